"""Risk cases: one per (category, subject), opened when first surfaced, updated when
its tier changes, decaying when evidence stops, closed when risk subsides.

`CaseLine` is the ``cases.jsonl`` record of EVENTS.md ("Risk case output"):
exactly its fields. The first line of a case is written when it is first
surfaced; later lines with the same ``case_id`` follow its tier changes.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from safefeed.risk.bounded import BoundedDict
from safefeed.risk.config import TierThresholds
from safefeed.risk.model import TIER_RANK, Judgement, Tier
from safefeed.risk.routing import Route
from safefeed.risk.tiers import tier_of

__all__ = ["CASE_FIELDS", "CaseBook", "CaseState", "CaseUpdate", "iso", "make_case_id"]

#: The fields of a case line, in the order of EVENTS.md.
CASE_FIELDS: tuple[str, ...] = (
    "case_id",
    "subject_type",
    "subject_id",
    "category",
    "tier",
    "score",
    "confidence",
    "first_surfaced_at",
    "rationale",
    "signals",
    "suggested_interventions",
    "requires_human",
)


_HYSTERESIS = 0.05


def iso(t: float) -> str:
    """RFC 3339 in UTC with a ``Z``, to the second.

    >>> iso(0.0)
    '1970-01-01T00:00:00Z'
    """
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_case_id(category: str, subject_type: str, subject_id: str, serial: int) -> str:
    """A deterministic case id: replaying a log gives the same ids.

    >>> make_case_id("escalation", "creator", "c1", 0)
    'rc_bd31ade564be1542'
    """
    digest = hashlib.sha256(f"{category}|{subject_type}|{subject_id}|{serial}".encode())
    return "rc_" + digest.hexdigest()[:16]


@dataclass(slots=True)
class CaseState:
    case_id: str
    category: str
    subject_type: str
    subject_id: str
    tier: Tier
    score: float
    first_t: float
    last_t: float
    lower: float
    upper: float
    line: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseUpdate:
    """A case line to write, with what changed and how the case is routed."""

    line: dict[str, Any]
    previous_tier: Tier | None
    route: Route | None
    #: ``opened``, ``raised``, ``lowered`` or ``closed`` (closed: no line is written).
    change: str
    t: float

    @property
    def case_id(self) -> str:
        return str(self.line["case_id"])


class CaseBook:
    """The open cases, bounded; turns judgements into case updates."""

    version = "cases-1"

    def __init__(self, thresholds: TierThresholds, config_version: str, *, max_open: int = 200_000):
        self.thresholds = thresholds
        self.config_version = config_version
        self.open: BoundedDict[tuple[str, str, str], CaseState] = BoundedDict(max_open)
        self._serials: dict[tuple[str, str, str], int] = {}

    def judge(self, judgement: Judgement) -> tuple[CaseState, str, Tier | None] | None:
        """Apply a judgement: the case and its change, or None when nothing changes."""
        a = judgement.assessment
        key = (a.category, a.subject_type, a.subject_id)
        case = self.open.get(key)
        if case is None:
            if judgement.tier is None:
                return None
            serial = self._serials.get(key, 0)
            self._serials[key] = serial + 1
            case = CaseState(
                make_case_id(*key, serial),
                a.category,
                a.subject_type,
                a.subject_id,
                judgement.tier,
                a.score,
                a.t,
                a.t,
                judgement.lower,
                judgement.upper,
            )
            self.open[key] = case
            self._fill(case, judgement)
            return case, "opened", None
        self.open.move_to_end(key)
        previous = case.tier
        case.last_t = a.t
        if judgement.tier is None or TIER_RANK[judgement.tier] <= TIER_RANK[previous]:
            # Evidence that does not raise the tier still refreshes the case (no new line).
            case.score = max(case.score, a.score) if judgement.tier else case.score
            return None
        case.tier, case.score = judgement.tier, a.score
        case.lower, case.upper = judgement.lower, judgement.upper
        self._fill(case, judgement)
        return case, "raised", previous

    def _fill(self, case: CaseState, judgement: Judgement) -> None:
        a = judgement.assessment
        case.line = {
            "case_id": case.case_id,
            "subject_type": case.subject_type,
            "subject_id": case.subject_id,
            "category": case.category,
            "tier": case.tier,
            "score": round(a.score, 4),
            "confidence": [judgement.lower, judgement.upper],
            "first_surfaced_at": iso(case.first_t),
            "rationale": list(a.rationale),
            "signals": {
                **a.signals,
                "observed_at": iso(a.t),
                "evidence": round(a.evidence, 2),
                "velocity": round(a.velocity, 3),
                "severity": round(a.severity, 3),
                "audience_vulnerability": round(a.vulnerability, 3),
                "related": list(a.related),
                "config_version": self.config_version,
            },
            "suggested_interventions": [],
            "requires_human": False,
        }

    def decay(self, t: float) -> list[tuple[CaseState, str, Tier | None]]:
        """Let open cases without new evidence fade; lower or close them."""
        changes: list[tuple[CaseState, str, Tier | None]] = []
        half_life = self.thresholds.decay_half_life_hours * 3600.0
        for key in list(self.open):
            case = self.open[key]
            idle = t - case.last_t
            if idle <= 0:
                continue
            faded = case.score * math.exp(-math.log(2.0) * idle / half_life)
            # Hysteresis: a case leaves a tier only clearly below it, so it does not flap.
            tier = tier_of(faded + _HYSTERESIS, self.thresholds)
            # Decay only lowers: a case held at a tier its score no longer reaches
            # (a corroboration cap, a raise by later evidence) must not be lifted by it.
            if tier is not None and TIER_RANK[tier] >= TIER_RANK[case.tier]:
                continue
            previous = case.tier
            if tier is None:
                del self.open[key]
                changes.append((case, "closed", previous))
                continue
            case.tier, case.score, case.last_t = tier, faded, t
            case.line = {
                **case.line,
                "tier": tier,
                "score": round(faded, 4),
                "rationale": [*case.line["rationale"], "no new evidence: risk is subsiding"],
                "signals": {**case.line["signals"], "observed_at": iso(t)},
            }
            changes.append((case, "lowered", previous))
        return changes
