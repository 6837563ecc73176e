"""Named ranking configurations → recommenders, resolved inside each worker process.

The simulator compares objectives by name. The feed engine's configurations
(`FEED_RANKERS`) are bound here when the engine's batch entry point exists; until
then asking for one fails with a clear message. The test seams (`TEST_SEAMS`) are
always available and are not rankers (see `safefeed.sim.seams`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from safefeed.exceptions import ConfigError
from safefeed.sim.recommender import Recommender
from safefeed.sim.seams import PopularityRecommender, RandomRecommender

__all__ = ["FEED_RANKERS", "TEST_SEAMS", "resolve_recommender"]

#: The feed engine's named configurations the issue compares.
FEED_RANKERS: tuple[str, ...] = (
    "engagement",
    "safety",
    "no_diversity",
    "no_trust_weighting",
    "no_user_controls",
    "no_safety_penalty",
)

TEST_SEAMS: Mapping[str, Callable[[int], Recommender]] = {
    "popularity": lambda seed: PopularityRecommender(seed=seed),
    "random": lambda seed: RandomRecommender(seed=seed),
}


def resolve_recommender(
    name: str, seed: int, overrides: Mapping[str, Any] | None = None
) -> Recommender:
    """A fresh recommender for one run of ``name`` (``overrides`` tune a feed configuration).

    >>> resolve_recommender("random", seed=1).name
    'random'
    >>> resolve_recommender("safety", seed=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: ranker 'safety': feed engine not bound yet ...
    """
    if name in TEST_SEAMS:
        if overrides:
            raise ConfigError(f"test seam {name!r} takes no overrides")
        return TEST_SEAMS[name](seed)
    if name in FEED_RANKERS:
        raise ConfigError(
            f"ranker {name!r}: feed engine not bound yet (safefeed.sim.rankers); "
            f"the test seams {sorted(TEST_SEAMS)} run the simulator machinery only"
        )
    raise ConfigError(f"unknown ranker {name!r}; known: {', '.join([*FEED_RANKERS, *TEST_SEAMS])}")
