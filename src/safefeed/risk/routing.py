"""Stage 5, routing: a tiered judgement becomes suggested interventions and review.

Interventions are graduated (low: a prompt or light friction; medium: temporary
feature limits, more monitoring, a review; high: priority human review) and
reversible: each carries a time to live. Whether one is *applied* automatically
is the rollout phase's call — in ``shadow`` nothing is — and irreversible actions
are never routed: only a moderator's decision makes one (see `safefeed.review`).

Capacity: when review demand exceeds the team's capacity, low-tier cases are
sampled into the triage queue instead of all of them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from safefeed.risk.config import RiskConfig
from safefeed.risk.model import Judgement

__all__ = ["Route", "Router", "SuggestedIntervention", "sampled"]


@dataclass(frozen=True, slots=True)
class SuggestedIntervention:
    kind: str
    ttl_hours: float
    #: True when the rollout phase lets the funnel apply it without a human.
    apply: bool

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "ttl_hours": self.ttl_hours, "auto_apply": self.apply}


@dataclass(frozen=True, slots=True)
class Route:
    interventions: tuple[SuggestedIntervention, ...]
    queue: str | None
    requires_human: bool


def sampled(key: str, rate: float) -> bool:
    """A deterministic sample: the same case is always in or out at a given rate.

    >>> sampled("case-1", 1.0), sampled("case-1", 0.0)
    (True, False)
    """
    return (zlib.crc32(key.encode()) % 10_000) < rate * 10_000


class Router:
    """Routes judgements per the configuration's interventions and rollout phase."""

    version = "routing-1"

    def __init__(self, config: RiskConfig) -> None:
        self.config = config

    def route(self, judgement: Judgement, case_id: str, *, overloaded: bool = False) -> Route:
        tier = judgement.tier
        if tier is None:
            return Route((), None, False)
        rule = self.config.phases[self.config.phase]
        auto = tier in rule.apply_tiers and judgement.lower >= rule.min_lower_bound
        interventions = tuple(
            SuggestedIntervention(spec.kind, spec.ttl_hours, auto)
            for spec in self.config.interventions.get(tier, [])
        )
        if tier == "high":
            return Route(interventions, "priority", True)
        if tier == "medium":
            return Route(interventions, "standard", True)
        rate = self.config.review.low_tier_sample_rate if overloaded else 1.0
        return Route(interventions, "triage" if sampled(case_id, rate) else None, False)
