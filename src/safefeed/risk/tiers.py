"""Stage 4, tier assignment: a score and its evidence become a tier and a band.

The band is a Wilson-style interval around the score that narrows as evidence
grows. Too little evidence is an abstention, not a low tier. A ``high`` tier
needs confidence (the band's lower bound at least at the medium threshold) and
corroboration (reports alone cap at ``medium``).
"""

from __future__ import annotations

import math

from safefeed.risk.config import TierThresholds
from safefeed.risk.model import Assessment, Judgement, Tier

__all__ = ["TierAssigner", "confidence_band", "tier_of"]


def confidence_band(score: float, evidence: float, z: float = 1.0) -> tuple[float, float]:
    """A band around ``score`` that narrows as ``evidence`` grows.

    >>> confidence_band(0.7, 2.0)
    (0.31, 1.0)
    >>> confidence_band(0.7, 30.0)
    (0.602, 0.798)
    """
    n = max(0.0, evidence)
    half = z * math.sqrt(score * (1.0 - score) / (n + 1.0)) + 0.5 / (n + 2.0)
    return round(max(0.0, score - half), 3), round(min(1.0, score + half), 3)


def tier_of(score: float, thresholds: TierThresholds) -> Tier | None:
    if score >= thresholds.high:
        return "high"
    if score >= thresholds.medium:
        return "medium"
    if score >= thresholds.low:
        return "low"
    return None


class TierAssigner:
    """Assigns tiers by the configured thresholds."""

    version = "tiers-1"

    def __init__(self, thresholds: TierThresholds) -> None:
        self.thresholds = thresholds

    def judge(self, assessment: Assessment) -> Judgement:
        lower, upper = confidence_band(assessment.score, assessment.evidence)
        if assessment.evidence < self.thresholds.min_evidence:
            return Judgement(assessment, None, lower, upper, abstained=True)
        tier = tier_of(assessment.score, self.thresholds)
        if tier == "high" and (assessment.uncorroborated or lower < self.thresholds.medium - 0.2):
            tier = "medium"
        return Judgement(assessment, tier, lower, upper)
