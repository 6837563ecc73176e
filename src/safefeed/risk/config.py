"""The risk funnel's configuration: a versioned YAML document, validated by pydantic.

Kept under ``risk/`` rather than in the policy configuration so that the funnel
can be rolled out (shadow -> limited -> expanded) without touching the feed's
gate rules; `RiskConfig.version` is stamped on every case and intervention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safefeed.documents import read_yaml_document, validate_document
from safefeed.risk.model import Tier

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "InterventionSpec",
    "Phase",
    "PhaseRule",
    "ReviewSettings",
    "RiskConfig",
    "TierThresholds",
    "load_risk_config",
]

DEFAULT_CONFIG_PATH = Path(__file__).with_name("rollout.yaml")

Phase = Literal["shadow", "limited", "expanded"]
InterventionKind = Literal[
    "informational_prompt",
    "light_friction",
    "limit_adult_minor_contact",
    "increased_monitoring",
    "queue_for_review",
    "priority_review",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PhaseRule(_Model):
    apply_tiers: list[Tier]
    #: Applied only when the confidence band's lower bound reaches this.
    min_lower_bound: float = Field(ge=0.0, le=1.0)


class TierThresholds(_Model):
    low: float = Field(gt=0, lt=1)
    medium: float = Field(gt=0, lt=1)
    high: float = Field(gt=0, lt=1)
    min_evidence: float = Field(ge=0)
    decay_half_life_hours: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> TierThresholds:
        if not self.low < self.medium < self.high:
            raise ValueError("tier thresholds must rise: low < medium < high")
        return self


class InterventionSpec(_Model):
    kind: InterventionKind
    ttl_hours: float = Field(gt=0, le=24 * 14)


class ReviewSettings(_Model):
    time_target_hours: dict[Tier, float]
    capacity_per_hour: float = Field(gt=0)
    low_tier_sample_rate: float = Field(ge=0, le=1)
    aging_per_hour: float = Field(ge=0)
    #: The queue counts as overloaded beyond this many hours of the team's capacity.
    max_backlog_hours: float = Field(default=4.0, gt=0)
    #: How long a claim holds a case for its moderator; claiming it again renews the
    #: lease. A lapsed claim counts as waiting, and another moderator may take it over.
    claim_lease_minutes: float = Field(default=30.0, gt=0, le=24 * 60)


class RiskConfig(_Model):
    version: str = Field(min_length=1, max_length=64)
    phase: Phase
    phases: dict[Phase, PhaseRule]
    tiers: TierThresholds
    interventions: dict[Tier, list[InterventionSpec]]
    review: ReviewSettings
    #: Vectors for trend-token kinship: character n-grams (``hashing``, fast,
    #: deterministic) or the packaged all-MiniLM-L6-v2 (``minilm``, the
    #: ``embeddings`` extra; replay runs about half as fast).
    trend_embedder: Literal["hashing", "minilm"] = "hashing"

    @model_validator(mode="after")
    def _complete(self) -> RiskConfig:
        missing = {"shadow", "limited", "expanded"} - set(self.phases)
        if missing:
            raise ValueError(f"phases missing: {sorted(missing)}")
        if self.phases["shadow"].apply_tiers:
            raise ValueError("the shadow phase applies nothing: apply_tiers must be empty")
        return self

    def with_phase(self, phase: Phase) -> RiskConfig:
        return self.model_copy(update={"phase": phase})


def load_risk_config(path: Path | None = None, *, phase: Phase | None = None) -> RiskConfig:
    """The configuration in ``path`` (default: the packaged one), optionally re-phased."""
    source = path or DEFAULT_CONFIG_PATH
    document = read_yaml_document(source, "risk configuration")
    config = validate_document(RiskConfig, document, f"risk configuration {source}")
    return config.with_phase(phase) if phase else config
