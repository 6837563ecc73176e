"""Versioned feed configuration: quotas, caps and floors per surface, the named
ranking configurations, and the hard safety constraints no weight buys back.

A document (``default_feed.yaml``), validated here; every served response carries
its ``version``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from safefeed.documents import validate_document
from safefeed.exceptions import ConfigError

__all__ = [
    "FEED_SURFACES",
    "SOURCE_NAMES",
    "FeedConfig",
    "FeedSurface",
    "PriorRiskSettings",
    "RankerConfig",
    "ReachReviewSettings",
    "SafetyScoreSettings",
    "SourceName",
    "SurfaceConfig",
    "default_feed_config",
    "parse_feed_config",
    "with_ranker_overrides",
]

FeedSurface = Literal["home", "following", "related", "push", "email"]
FEED_SURFACES: tuple[FeedSurface, ...] = get_args(FeedSurface)

SourceName = Literal[
    "following",
    "affinity_topic",
    "affinity_creator",
    "session_topic",
    "similar",
    "trending",
    "exploration",
    "editorial",
    "fallback",
]
#: Every candidate source, in the order a request runs them (an item two sources
#: propose keeps the first one's provenance).
SOURCE_NAMES: tuple[SourceName, ...] = get_args(SourceName)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CatalogSettings(_Strict):
    refresh_seconds: float = Field(ge=0)
    freshness_seconds: float = Field(gt=0)


class FallbackSettings(_Strict):
    max_age_seconds: float = Field(gt=0)
    quality_floor: float = Field(ge=0, le=1)
    max_report_rate: float = Field(ge=0, le=1)
    size: int = Field(gt=0)


class TrendingSettings(_Strict):
    half_life_hours: float = Field(gt=0)
    quality_floor: float = Field(ge=0, le=1)
    max_report_rate: float = Field(ge=0, le=1)
    max_hide_rate: float = Field(ge=0, le=1)
    anomaly_velocity: float = Field(gt=0)
    anomaly_low_trust_share: float = Field(ge=0, le=1)
    pool: int = Field(gt=0)


class ExplorationSettings(_Strict):
    new_creator_days: float = Field(gt=0)
    quality_floor: float = Field(ge=0, le=1)
    trust_floor: float = Field(ge=0, le=1)
    exposure_budget: float = Field(gt=0)
    max_negative_rate: float = Field(ge=0, le=1)


class AffinitySettings(_Strict):
    half_life_days: float = Field(gt=0)
    session_half_life_minutes: float = Field(gt=0)
    hide_topic_step: float = Field(gt=0, lt=1)


class PriorRiskSettings(_Strict):
    """Risk before an item's own evidence (`safefeed.feed.ranking.prior_risk`)."""

    #: Creator impressions at which a creator's own negative rate outweighs the platform's.
    creator_strength: float = Field(200.0, gt=0)
    #: A creator with no track record counts as this multiple of the platform's rate.
    unknown_creator_ratio: float = Field(1.5, ge=0)
    #: Trust-weighted reports, and reports per trust-weighted impression, that hold an
    #: item from recommendation.
    hold_min_reports: float = Field(2.0, gt=0)
    hold_report_rate: float = Field(0.01, ge=0, le=1)


class SafetyScoreSettings(_Strict):
    """The graded penalty and hold on an item's safety score (`feed_item_stats.safety_score`:
    the highest classifier or rule score its flags carried, until a moderator decided).

    The penalty rises linearly from 0 at ``floor`` to ``penalty`` at ``hold``; at or above
    ``hold`` an item nobody has reviewed yet is held from recommendation, a hard constraint
    like ``max_p_report``. Over the same span the engagement objectives lose up to
    ``engagement_discount`` of their value, so a score costs an engaging item more than a
    dull one. Together they act in the window between an upload and a label, when the
    classifier has scored an item but no policy decision exists yet.
    """

    floor: float = Field(0.3, ge=0, lt=1)
    hold: float = Field(0.8, gt=0, le=1)
    #: Risk added at ``hold`` (the ``safety`` weight multiplies it, like every risk term).
    penalty: float = Field(1.0, ge=0)
    #: Share of the engagement objectives' value an item loses at ``hold`` (linear from
    #: ``floor``; 0 turns the discount off). Applies with the ranker's safety penalty.
    engagement_discount: float = Field(1.0, ge=0, le=1)
    #: A flag's score counts times its category's weight (``default_weight`` for the
    #: rest): mild profanity is worth a nudge, never a hold. Applied as flags arrive.
    category_weights: dict[str, float] = Field(default_factory=dict)
    default_weight: float = Field(1.0, ge=0, le=1)

    def weight(self, category: str) -> float:
        """The weight of a flag of ``category``."""
        return self.category_weights.get(category, self.default_weight)

    @model_validator(mode="after")
    def _ordered(self) -> SafetyScoreSettings:
        bad = {k: v for k, v in self.category_weights.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"safety_score: category weights must lie in [0, 1], got {bad}")
        if self.hold <= self.floor:
            raise ValueError(f"safety_score: hold {self.hold} must be above floor {self.floor}")
        return self


class ReachReviewSettings(_Strict):
    """When an item's reach sends it to human review (`safefeed.feed.state.reach_review`).

    An item that has reached ``min_reach`` trust-weighted viewers while no moderator has
    decided on it is due for review, whatever the classifier said: recall is never
    complete, and an item that spreads is where a miss costs most. Due items are ordered
    by reach times the evidence against them, so a team short of capacity reviews the
    likeliest harm first. A due item with a safety score of ``hold_min_score`` or more is
    also held from feeds until the decision (a circuit breaker; the viewers a batch of
    pages adds count at once, so a batch cannot carry it past the threshold).
    """

    #: Trust-weighted viewers (first views; bots count at their trust weight).
    min_reach: float = Field(25.0, gt=0)
    #: A due item whose safety score is at least this (a flag nobody has decided on) is
    #: held from feeds until a moderator decides: the classifier had doubts, and it has
    #: spread as far as it may on them. Others stay in feeds while they wait.
    hold_min_score: float = Field(0.3, gt=0, le=1)
    #: Evidence an item with no flag and no report still carries: reach alone ranks it.
    base_evidence: float = Field(0.1, gt=0)
    #: A trust-weighted report rate of 1 in ``1 / report_weight`` viewers counts as a
    #: safety score of 1.
    report_weight: float = Field(20.0, ge=0)


class HardConstraints(_Strict):
    max_p_report: float = Field(gt=0, le=1)
    max_p_hide: float = Field(gt=0, le=1)


ObjectiveName = Literal[
    "open", "dwell", "save", "follow", "hide", "report", "freshness", "safety", "watch_time"
]


class RankerConfig(_Strict):
    """A named ranking configuration: objective weights and which mechanisms are on."""

    description: str = ""
    weights: dict[ObjectiveName, float]
    diversity: bool
    mmr_lambda: float = Field(ge=0, le=1)
    trust_weighting: bool
    user_controls: bool
    safety_penalty: bool
    #: ``smoothed``: estimates from event statistics; ``active``: the active learned
    #: task models (`safefeed train activate`), smoothed where none is active.
    model: Literal["smoothed", "active"] = "smoothed"
    #: The creator prior and the early-report hold (off only for the engagement baseline).
    prior_risk: bool = True
    #: The safety-score hold and, with ``safety_penalty``, its graded penalty (off only
    #: for the engagement baseline, which acts on policy labels alone).
    safety_score: bool = True
    #: Items that reach ``reach_review.min_reach`` viewers without a moderator's
    #: decision go to human review (off only for the engagement baseline: the incident's
    #: platform reviewed on reports alone).
    reach_review: bool = True


class SurfaceConfig(_Strict):
    """Quotas, caps and floors of one surface."""

    page_size: int = Field(gt=0)
    max_page_size: int = Field(gt=0)
    quotas: dict[SourceName, int]
    per_creator: int = Field(gt=0)
    per_topic: int = Field(gt=0)
    min_creators: int = Field(ge=0)
    limited_max: int = Field(ge=0)
    fresh_min: int = Field(ge=0)
    fresh_hours: float = Field(gt=0)
    long_video_seconds: float = Field(gt=0)
    long_run_max: int = Field(gt=0)
    quality_floor: float = Field(ge=0, le=1)
    exploration_quality_floor: float = Field(ge=0, le=1)
    relevance_floor: float = Field(ge=0, le=1)
    opt_in_required: bool = False
    quiet_hours: tuple[int, int] | None = None
    max_per_day: int | None = Field(default=None, gt=0)
    #: A stricter per-surface ceiling under the global hard constraint.
    max_p_report: float | None = Field(default=None, gt=0, le=1)
    #: A stricter per-surface safety-score hold under ``safety_score.hold``.
    max_safety_score: float | None = Field(default=None, gt=0, le=1)


class FeedConfig(_Strict):
    """One version of the feed configuration."""

    version: str = Field(min_length=1, max_length=64)
    embedding_dim: int = Field(ge=4, le=1024)
    #: Embed item text with the packaged sentence model (the ``embeddings`` extra);
    #: items without text keep topic embeddings.
    text_embeddings: bool = False
    catalog: CatalogSettings
    fallback: FallbackSettings
    trending: TrendingSettings
    exploration: ExplorationSettings
    affinity: AffinitySettings
    freshness_half_life_hours: dict[str, float]
    hard_constraints: HardConstraints
    prior_risk: PriorRiskSettings = PriorRiskSettings()
    safety_score: SafetyScoreSettings = SafetyScoreSettings()
    reach_review: ReachReviewSettings = ReachReviewSettings()
    editorial: tuple[str, ...] = ()
    default_ranker: str
    rankers: dict[str, RankerConfig]
    surfaces: dict[FeedSurface, SurfaceConfig]

    @model_validator(mode="after")
    def _complete(self) -> FeedConfig:
        missing = [s for s in FEED_SURFACES if s not in self.surfaces]
        if missing:
            raise ValueError(f"no configuration for surface(s): {', '.join(missing)}")
        for name in ("safety", "engagement", self.default_ranker):
            if name not in self.rankers:
                raise ValueError(f"ranker {name!r} must be configured")
        for surface in ("push", "email"):
            if self.surfaces[surface].limited_max != 0:
                raise ValueError(f"{surface}: limited-distribution items are never allowed")
        for name, surface_config in self.surfaces.items():
            if surface_config.page_size > surface_config.max_page_size:
                raise ValueError(f"{name}: page_size exceeds max_page_size")
        return self

    def surface(self, surface: FeedSurface) -> SurfaceConfig:
        return self.surfaces[surface]

    def ranker(self, name: str | None) -> RankerConfig:
        key = name or self.default_ranker
        if key not in self.rankers:
            raise ConfigError(f"unknown ranker {key!r}; known: {sorted(self.rankers)}")
        return self.rankers[key]


def with_ranker_overrides(
    config: FeedConfig, ranker: str, overrides: Mapping[str, Any]
) -> FeedConfig:
    """``config`` with the named ranker's fields changed (``weights`` merge key by key).

    The result is validated like any document and gets a version of its own, derived
    from the overrides, so every response served under it says so.

    >>> base = default_feed_config()
    >>> tuned = with_ranker_overrides(base, "safety", {"weights": {"watch_time": 5.0}})
    >>> tuned.rankers["safety"].weights["watch_time"], tuned.rankers["safety"].weights["open"]
    (5.0, 1.0)
    >>> tuned.version.startswith(base.version + "+")
    True
    >>> with_ranker_overrides(base, "safety", {"wieghts": {}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safefeed.exceptions.ConfigError: ...wieghts...
    """
    document = config.model_dump(mode="json")
    if ranker not in document["rankers"]:
        raise ConfigError(f"unknown ranker {ranker!r}; known: {sorted(document['rankers'])}")
    entry = document["rankers"][ranker]
    for key, value in overrides.items():
        if key == "weights" and isinstance(value, Mapping):
            entry["weights"] = {**entry["weights"], **value}
        else:
            entry[key] = value
    digest = hashlib.blake2b(
        json.dumps({ranker: dict(overrides)}, sort_keys=True, default=str).encode(),
        digest_size=4,
    ).hexdigest()
    document["version"] = f"{config.version}+{digest}"[:64]
    return parse_feed_config(document)


def parse_feed_config(document: Mapping[str, Any]) -> FeedConfig:
    """Validate a feed configuration document; all problems in one `ConfigError`."""
    return validate_document(FeedConfig, document, "feed configuration")


@cache
def default_feed_config() -> FeedConfig:
    """The feed configuration shipped with the package (``default_feed.yaml``)."""
    text = resources.files("safefeed.feed").joinpath("default_feed.yaml").read_text("utf-8")
    return parse_feed_config(yaml.safe_load(text))
