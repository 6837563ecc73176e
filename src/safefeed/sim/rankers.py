"""Named ranking configurations → recommenders, resolved inside each worker process.

The simulator compares objectives by name. The feed engine's configurations
(`FEED_RANKERS`) run the real engine (`safefeed.sim.engine`). The test seams (`TEST_SEAMS`) are
always available and are not rankers (see `safefeed.sim.seams`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from safefeed.exceptions import ConfigError
from safefeed.sim.config import SimConfig
from safefeed.sim.recommender import Recommender
from safefeed.sim.seams import PopularityRecommender, RandomRecommender

__all__ = [
    "FEED_RANKERS",
    "TEST_SEAMS",
    "check_objective",
    "check_ranker",
    "close_recommender",
    "resolve_recommender",
]

#: The feed engine's named configurations the issue compares.
FEED_RANKERS: tuple[str, ...] = (
    "engagement",
    "safety",
    "no_diversity",
    "no_trust_weighting",
    "no_user_controls",
    "no_safety_penalty",
    "no_reach_review",
)

TEST_SEAMS: Mapping[str, Callable[[int], Recommender]] = {
    "popularity": lambda seed: PopularityRecommender(seed=seed),
    "random": lambda seed: RandomRecommender(seed=seed),
}


def check_ranker(name: str) -> None:
    """Fail fast on an unknown ranker name, before any world or engine is built.

    >>> check_ranker("no_such")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: unknown ranker 'no_such'; known: ...
    """
    if name not in FEED_RANKERS and name not in TEST_SEAMS:
        known = ", ".join([*FEED_RANKERS, *TEST_SEAMS])
        raise ConfigError(f"unknown ranker {name!r}; known: {known}")


def check_objective(name: str, overrides: Mapping[str, Any] | None = None) -> None:
    """Fail fast on an objective that could not run: an unknown name or bad overrides.

    Overrides are validated the way the run applies them, without building an engine.

    >>> check_objective("safety", {"weights": {"watch_time": 5.0}})
    >>> check_objective("random", {"mmr_lambda": 0.5})
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: test seam 'random' takes no overrides
    """
    check_ranker(name)
    if not overrides:
        return
    if name in TEST_SEAMS:
        raise ConfigError(f"test seam {name!r} takes no overrides")
    from safefeed.feed.config import default_feed_config, with_ranker_overrides

    with_ranker_overrides(default_feed_config(), name, overrides)


def close_recommender(recommender: Recommender) -> None:
    """Release what a recommender holds (the engine binding: a store and scratch files)."""
    close = getattr(recommender, "close", None)
    if callable(close):
        close()


def resolve_recommender(
    name: str,
    seed: int,
    overrides: Mapping[str, Any] | None = None,
    *,
    config: SimConfig | None = None,
) -> Recommender:
    """A fresh recommender for one run of ``name`` (``overrides`` tune a feed configuration).

    The feed engine's configurations need the run's ``config`` (the engine is fed the
    world's events, which depend on it).

    >>> resolve_recommender("random", seed=1).name
    'random'
    >>> resolve_recommender("safety", seed=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: ranker 'safety' drives the feed engine: ...
    """
    if name in TEST_SEAMS:
        check_objective(name, overrides)
        return TEST_SEAMS[name](seed)
    if name in FEED_RANKERS:
        if config is None:
            raise ConfigError(f"ranker {name!r} drives the feed engine: give the run's config")
        from safefeed.sim.engine import FeedEngineRecommender  # the engine is heavy to import

        return FeedEngineRecommender(name, config, seed, overrides=overrides)
    check_ranker(name)
    raise AssertionError("unreachable: check_ranker accepts only the names handled above")
