"""Simulated users as arrays: interests, extremeness position, susceptibility, satisfaction.

One row per user; nothing here is a per-user Python object, so a step over 100,000
users is a handful of vectorized operations. Bots are not users: they live in
`safefeed.sim.bots` and are never counted in user metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from safefeed.sim.config import SimConfig

__all__ = ["Population"]


@dataclass
class Population:
    """The users' state; the world mutates it step by step.

    ``interest`` rows are topic distributions (sum to 1); ``position`` is each
    user's place on the extremeness axis in [0, 1]; ``susceptibility`` the share of
    the gap to what they consumed that they move per step; ``satisfaction`` a
    running score whose sign drives coming back and leaving; ``active`` is False
    once a user has left for good.
    """

    interest: NDArray[np.float64]
    position: NDArray[np.float64]
    initial_position: NDArray[np.float64]
    susceptibility: NDArray[np.float64]
    extreme_affine: NDArray[np.bool_]
    reporter: NDArray[np.bool_]
    hider: NDArray[np.bool_]
    satisfaction: NDArray[np.float64]
    active: NDArray[np.bool_]
    last_opened: NDArray[np.int64]
    consumed_topics: NDArray[np.float64]

    @classmethod
    def create(cls, config: SimConfig, rng: np.random.Generator) -> Population:
        """Draw ``config.users`` users."""
        n, topics = config.users, config.topics
        interest = rng.dirichlet(np.full(topics, config.interest_concentration), size=n)
        # Most people start near the mainstream; the tail is what drift can grow.
        position = rng.beta(2.0, 6.0, size=n)
        susceptibility = rng.beta(2.0, 5.0, size=n) * config.susceptibility_mean / (2.0 / 7.0)
        return cls(
            interest=interest,
            position=position,
            initial_position=position.copy(),
            susceptibility=np.clip(susceptibility, 0.0, 1.0),
            extreme_affine=rng.random(n) < config.extreme_affine_share,
            reporter=rng.random(n) < config.reporter_share,
            hider=rng.random(n) < config.hider_share,
            satisfaction=np.zeros(n),
            active=np.ones(n, dtype=np.bool_),
            last_opened=np.full(n, -1, dtype=np.int64),
            consumed_topics=np.zeros((n, topics)),
        )

    @property
    def size(self) -> int:
        """Number of users (including those who left)."""
        return int(self.position.shape[0])

    def drift_toward(
        self, users: NDArray[np.int64], consumed_extremeness: NDArray[np.float64]
    ) -> None:
        """Move each user's position a susceptibility-sized step toward what they consumed.

        >>> import numpy as np
        >>> from safefeed.sim.config import SimConfig
        >>> pop = Population.create(SimConfig(users=2, topics=2), np.random.default_rng(0))
        >>> pop.position[:] = 0.2; pop.susceptibility[:] = 0.5
        >>> pop.drift_toward(np.array([0, 1]), np.array([0.8, 0.2]))
        >>> pop.position.round(3).tolist()
        [0.5, 0.2]
        """
        gap = consumed_extremeness - self.position[users]
        self.position[users] = np.clip(
            self.position[users] + self.susceptibility[users] * gap, 0.0, 1.0
        )
