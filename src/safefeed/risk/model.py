"""The typed values that flow between the funnel's stages.

Stage 1 (signals) turns an event into an `Observation`; stage 2 (context) fills in
the aggregate context; stage 3 (detectors) turns observations into `Assessment`s;
stage 4 (tiers) turns assessments into tiered `Judgement`s; stage 5 (routing) into
interventions and review. An observation carries aggregates and bands only: no
message text (text is reduced to tokens and a classifier score at stage 1) and no
exact age.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "CATEGORIES",
    "OBSERVATION_FIELDS",
    "SIGNAL_KINDS",
    "TIERS",
    "TIER_RANK",
    "Assessment",
    "AudienceSnapshot",
    "Category",
    "Judgement",
    "Observation",
    "SignalKind",
    "Tier",
]

Category = Literal["age_exposure", "escalation", "vulnerability", "emerging_trend"]
CATEGORIES: tuple[Category, ...] = get_args(Category)

Tier = Literal["low", "medium", "high"]
TIERS: tuple[Tier, ...] = get_args(Tier)
#: Order of tiers; 0 is "no case" (below low, or abstained).
TIER_RANK: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3}

SignalKind = Literal[
    "account",
    "content",
    "session_start",
    "session_end",
    "join",
    "leave",
    "interaction",
    "chat",
    "flag",
    "report",
    "violation",
]
SIGNAL_KINDS: tuple[SignalKind, ...] = get_args(SignalKind)


@dataclass(slots=True)
class AudienceSnapshot:
    """A live session's audience in aggregate: counts per kind of band, never who."""

    joins: int = 0
    minor_joins: int = 0
    unknown_joins: int = 0
    present: int = 0
    minors_present: int = 0
    interactions: int = 0
    #: Adults reaching minors in the audience (the performer aside).
    adult_to_minor: int = 0
    #: Adults reaching the performer when the performer is a minor, privately or with
    #: a gift (a chat mention or a follow is what any audience does).
    adult_to_minor_performer: int = 0

    @property
    def minor_share(self) -> float:
        """Share of joins from under-18 bands (``unknown`` counts half: it may be either)."""
        if self.joins == 0:
            return 0.0
        return (self.minor_joins + 0.5 * self.unknown_joins) / self.joins


class Observation:
    """One signal with its enriched context; what a detector reads.

    A plain slotted class (not a dataclass) because the funnel reuses one per event
    on the hot path. Detectors read only the fields they declare (see
    `safefeed.risk.detectors.base.Detector.inputs`); the least-context test checks it.
    """

    __slots__ = (
        "account_age_days",
        "age_band",
        "audience",
        "author_is_creator",
        "category",
        "category_baseline",
        "creator_band",
        "creator_baseline",
        "creator_flag_mass",
        "creator_id",
        "flag_category",
        "flag_score",
        "flag_source",
        "from_band",
        "from_user",
        "interaction_kind",
        "kind",
        "local_hour",
        "neighbours",
        "region",
        "reporter_trust",
        "session_id",
        "severity",
        "subject_id",
        "subject_type",
        "t",
        "text_score",
        "timezone",
        "to_band",
        "to_user",
        "tokens",
        "user_id",
    )

    def __init__(self, kind: SignalKind, t: float) -> None:
        self.kind: SignalKind = kind
        self.t = t
        self.account_age_days: float | None = None
        self.age_band: str | None = None
        self.audience: AudienceSnapshot | None = None
        self.author_is_creator = False
        self.category: str | None = None
        self.category_baseline: Any = None
        self.creator_band: str | None = None
        self.creator_baseline: Any = None
        self.creator_flag_mass = 0.0
        self.creator_id: str | None = None
        self.flag_category: str | None = None
        self.flag_score: float | None = None
        self.flag_source: str | None = None
        self.from_band: str | None = None
        self.from_user: str | None = None
        self.interaction_kind: str | None = None
        self.local_hour: float | None = None
        self.neighbours: Any = None
        self.region: str | None = None
        self.reporter_trust = 1.0
        self.session_id: str | None = None
        self.severity = 0
        self.subject_id: str | None = None
        self.subject_type: str | None = None
        self.text_score: float | None = None
        self.timezone: str | None = None
        self.to_band: str | None = None
        self.to_user: str | None = None
        self.tokens: tuple[str, ...] = ()
        self.user_id: str | None = None


#: Every field an observation has: what a detector may declare as its inputs.
OBSERVATION_FIELDS: frozenset[str] = frozenset(Observation.__slots__)


@dataclass(slots=True)
class Assessment:
    """A detector's current view of one subject in one category.

    ``score`` is in ``[0, 1]``; ``evidence`` is the effective number of independent
    observations behind it (what the confidence band narrows with); ``velocity``,
    ``severity`` and ``vulnerability`` (all ``[0, 1]``) feed the review priority.
    """

    category: Category
    subject_type: str
    subject_id: str
    score: float
    evidence: float
    t: float
    velocity: float = 0.0
    severity: float = 0.0
    vulnerability: float = 0.0
    rationale: tuple[str, ...] = ()
    signals: dict[str, Any] = field(default_factory=dict)
    #: Reports-only evidence (no classifier, rule or moderator signal behind it):
    #: a pile of reports may raise a case to medium for review, never to high.
    uncorroborated: bool = False
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Judgement:
    """An assessment with its tier and confidence band, or an abstention."""

    assessment: Assessment
    tier: Tier | None
    lower: float
    upper: float
    abstained: bool = False

    @property
    def rank(self) -> int:
        return TIER_RANK[self.tier or "none"]
