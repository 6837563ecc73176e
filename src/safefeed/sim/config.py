"""The simulated world's parameters: one frozen, validated value object.

Every number the world draws from lives here, so a run is reproduced from its
``config`` block in ``metrics.json`` plus the seed. Defaults describe a small
platform whose engagement-only feed drifts the way the incident did; the docs
(``docs/simulator.md``) say what each group models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["SimConfig"]

_Share = Field(ge=0.0, le=1.0)


class SimConfig(BaseModel):
    """Parameters of the agent-based world (not of any ranker).

    >>> SimConfig(users=100, steps=3).page_size
    20
    >>> SimConfig(harmful_threshold=0.1, borderline_band=0.2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SimConfig
    ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # -- scale
    users: int = Field(2_000, ge=2, le=10_000_000)
    steps: int = Field(30, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=200)
    topics: int = Field(12, ge=2, le=1_000)

    # -- creators and content
    creators: int = Field(300, ge=1)
    new_creators_per_step: int = Field(2, ge=0)
    initial_items: int = Field(4_000, ge=1)
    items_per_step: int = Field(150, ge=0)
    #: Creators whose content sits high on the extremeness axis (most creators sit low).
    edgy_creator_share: float = Field(0.05, ge=0.0, le=1.0)
    #: Items at or above this extremeness are harmful.
    harmful_threshold: float = Field(0.85, gt=0.0, le=1.0)
    #: Items in [harmful_threshold - band, harmful_threshold) are borderline.
    borderline_band: float = Field(0.2, ge=0.0, lt=1.0)
    mean_duration_s: float = Field(90.0, gt=0.0)
    #: Supply-side feedback: extremeness an edgy creator adds per step per unit of
    #: audience above the average creator's (their opens over the average, capped at
    #: ``escalation_cap``, minus 1) — a feed that rewards edginess with audience gets edgier
    #: creators. Creators below ``escalation_floor`` do not chase it.
    creator_escalation: float = Field(0.02, ge=0.0, le=1.0)
    escalation_floor: float = Field(0.45, ge=0.0, le=1.0)
    escalation_cap: float = Field(5.0, gt=0.0)

    # -- users
    interest_concentration: float = Field(0.3, gt=0.0)
    #: Mean share of the gap to consumed extremeness a user closes per step.
    susceptibility_mean: float = Field(0.03, ge=0.0, le=0.5)
    #: How fast topic interests follow consumption (homogenization pressure).
    interest_drift: float = Field(0.04, ge=0.0, le=1.0)
    #: A minority enjoys extreme content without regret.
    extreme_affine_share: float = Field(0.05, ge=0.0, le=1.0)
    reporter_share: float = Field(0.06, ge=0.0, le=1.0)
    hider_share: float = Field(0.2, ge=0.0, le=1.0)
    #: Share of sessions that start on "watch next" (related) from the last opened item.
    related_share: float = Field(0.3, ge=0.0, le=1.0)

    # -- engagement model (logit of an open, completion, regret)
    open_bias: float = -1.6
    match_weight: float = 2.0
    quality_weight: float = 1.0
    #: Sensational pull: extreme content is more clickable...
    sensational_pull: float = 1.8
    #: ...up to a distance above the user's own position, beyond which it repels.
    tolerance: float = Field(0.15, ge=0.0, le=1.0)
    distance_penalty: float = Field(4.0, ge=0.0)
    position_decay: float = Field(0.35, ge=0.0)
    #: Extra completion (short-term watch time) per unit of extremeness.
    sensational_watch: float = Field(0.35, ge=0.0)
    regret_base: float = Field(0.03, ge=0.0, le=1.0)
    #: Regret probability added at extremeness 1 (quadratic in extremeness).
    regret_gain: float = Field(0.7, ge=0.0, le=1.0)
    hide_given_regret: float = Field(0.5, ge=0.0, le=1.0)
    hide_unwanted: float = Field(0.02, ge=0.0, le=1.0)
    report_harmful: float = Field(0.3, ge=0.0, le=1.0)
    report_borderline: float = Field(0.05, ge=0.0, le=1.0)
    report_base: float = Field(0.001, ge=0.0, le=1.0)

    # -- satisfaction, return and leaving
    watch_value_per_min: float = Field(0.25, ge=0.0)
    #: Session value a user expects; below it satisfaction falls.
    satisfaction_reference: float = Field(0.5, ge=0.0)
    regret_penalty: float = Field(0.6, ge=0.0)
    satisfaction_memory: float = Field(0.3, gt=0.0, le=1.0)
    return_bias: float = 1.2
    return_gain: float = Field(2.0, ge=0.0)
    churn_base: float = Field(0.002, ge=0.0, le=1.0)
    churn_gain: float = Field(0.04, ge=0.0, le=1.0)

    # -- bots and brigades (raw engagement inflation)
    bots: int = Field(200, ge=0)
    brigade_items_per_step: int = Field(6, ge=0)
    brigade_size: int = Field(40, ge=0)
    #: Chance that a brigade targets borderline or harmful content rather than any item.
    brigade_extreme_bias: float = Field(0.7, ge=0.0, le=1.0)
    #: Times a bot replays each target (watch farms loop views to inflate counts; in
    #: one burst, so a trust model that watches for scripted bursts can discount it).
    brigade_replays: int = Field(15, ge=1)

    # -- safety classifier and moderation
    #: Recall on harmful items: the share that is ever labelled.
    label_coverage: float = Field(0.7, ge=0.0, le=1.0)
    #: Steps between publishing and the classifier's verdict.
    label_lag: int = Field(2, ge=0)
    borderline_recall: float = Field(0.5, ge=0.0, le=1.0)
    #: Share of non-harmful items wrongly labelled harmful.
    classifier_fpr: float = Field(0.005, ge=0.0, le=1.0)
    #: The publish-time pre-screen: a classifier scores every upload at once, its score a
    #: noisy reading of the item's extremeness (this standard deviation around it); only
    #: scores at or above ``prescreen_floor`` are raised as (low-severity) flags. Policy
    #: labels still come ``label_lag`` steps later, with ``label_coverage`` recall.
    prescreen: bool = True
    prescreen_noise: float = Field(0.12, ge=0.0, le=1.0)
    prescreen_floor: float = Field(0.3, ge=0.0, le=1.0)
    #: Reports that send an item to a moderator; 0 disables.
    report_review_threshold: int = Field(20, ge=0)
    #: Items the moderators take each night from the platform's own review queue (the
    #: engine's review by reach, `safefeed.feed.state.reach_review`), highest priority first, and
    #: decide before the next day; 0: they work on reports alone.
    reach_review_capacity: int = Field(50, ge=0)
    #: Share of moderator decisions that are wrong: a harmful or borderline item cleared
    #: as allowed, a benign one wrongly limited. 0: moderators decide by the truth.
    moderator_error_rate: float = Field(0.0, ge=0.0, le=1.0)
    harm_category: str = "violent_extremism"

    # -- metrics
    new_creator_window: int = Field(5, ge=1)
    homogenization_pairs: int = Field(500, ge=0)

    # -- event emission (off for big runs: a 100M-impression run is ~300M events)
    emit_events: bool = False
    #: Share of users whose engagement events are emitted (catalog and policy always are).
    event_user_sample: float = Field(1.0, ge=0.0, le=1.0)
    #: Hours of the day (UTC) in which sessions start; events inside a session follow
    #: the scrolls and watch times, so the engine's trust model sees people, not scripts.
    session_hours: tuple[int, int] = (7, 22)

    @model_validator(mode="after")
    def _check_bands(self) -> SimConfig:
        low = self.harmful_threshold - self.borderline_band
        if low <= 0.0:
            raise ValueError(
                f"borderline band [{low:.3g}, {self.harmful_threshold:.3g}) must stay above 0 "
                "(mainstream content needs room below it)"
            )
        start, end = self.session_hours
        if not 0 <= start < end <= 23:
            raise ValueError(f"session_hours {self.session_hours} must lie within 0..23")
        return self

    @property
    def borderline_threshold(self) -> float:
        """Extremeness at which content becomes borderline."""
        return self.harmful_threshold - self.borderline_band

    def with_overrides(self, **changes: Any) -> SimConfig:
        """A validated copy with some parameters changed."""
        return SimConfig.model_validate({**self.model_dump(), **changes})
