"""Category 1, age-related exposure: from bands, counts, timing and direction only.

Two subjects. An *adult account* that repeatedly reaches minors across live
sessions — scored on how many sessions and distinct minors it reaches, how
private the channel is (a DM request or private invite weighs more than a chat
mention), and whether the contact is one-sided. A *creator* whose live audience
has far more under-18 viewers than its own and its category's baselines, or
whose adult-oriented live category draws minors. No message text is read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

from safefeed.risk.bounded import BoundedDict
from safefeed.risk.context import is_adult, is_minor
from safefeed.risk.decay import DecayedSum
from safefeed.risk.detectors.base import Detector, saturate
from safefeed.risk.model import Assessment, Category, Observation, SignalKind

__all__ = ["AgeExposureDetector", "expected_minor_share"]

_DAY = 86400.0

#: How strongly each interaction kind indicates seeking contact (private > public).
KIND_WEIGHT: dict[str, float] = {
    "chat_mention": 0.15,
    "follow": 0.3,
    "gift": 0.4,
    "dm_request": 1.0,
    "private_invite": 1.2,
}

#: Kinds that stay on the live's stage: the whole audience sees them.
ON_STAGE: frozenset[str] = frozenset({"chat_mention", "gift", "follow"})


def expected_minor_share(
    creator_baseline: object, category_baseline: object, creator_band: str | None
) -> float:
    """What under-18 share a session of this creator would normally have.

    The creator's own history when it has one, else its category's, else a prior
    from the creator's own band (teen creators draw teen audiences).

    >>> expected_minor_share(None, None, "16_17"), expected_minor_share(None, None, "25_plus")
    (0.6, 0.15)
    """
    if is_minor(creator_band):
        fallback = 0.6
    elif getattr(category_baseline, "sessions", 0) >= 5:
        fallback = float(category_baseline.minor_share.value)  # type: ignore[attr-defined]
    else:
        fallback = 0.15
    sessions = getattr(creator_baseline, "sessions", 0)
    own = getattr(creator_baseline, "minor_share", None)
    if not sessions or own is None or own.weight <= 0:
        return fallback
    # The creator's own history takes over as it grows.
    trust = min(1.0, sessions / 3.0)
    return float(trust * own.value + (1.0 - trust) * fallback)


@dataclass(slots=True)
class _Contacts:
    """One adult account's contacts with minors (bounded)."""

    session_weight: dict[str, float] = field(default_factory=dict)
    sessions: deque[str] = field(default_factory=lambda: deque(maxlen=16))
    minors: dict[str, float] = field(default_factory=dict)
    reach: DecayedSum = field(default_factory=lambda: DecayedSum(14 * _DAY))
    recent: DecayedSum = field(default_factory=lambda: DecayedSum(_DAY))
    outgoing: int = 0
    incoming: int = 0
    count: int = 0


class AgeExposureDetector(Detector):
    """Scores adult-to-minor contact patterns and under-18 audience exposure."""

    name = "age_exposure"
    category: ClassVar[Category] = "age_exposure"
    version = "age-exposure-2"
    inputs = frozenset(
        {
            "kind",
            "t",
            "session_id",
            "creator_id",
            "category",
            "age_band",
            "from_user",
            "to_user",
            "from_band",
            "to_band",
            "interaction_kind",
            "audience",
            "creator_baseline",
            "category_baseline",
            "creator_band",
        }
    )
    consumes: ClassVar[frozenset[SignalKind]] = frozenset({"join", "interaction"})

    def __init__(
        self,
        adult_categories: frozenset[str] = frozenset(
            {"adult", "dating", "nightlife", "gambling", "mature", "18+"}
        ),
        min_audience: int = 10,
        max_accounts: int = 100_000,
    ) -> None:
        self.adult_categories = adult_categories
        self.min_audience = min_audience
        self.max_accounts = max_accounts

    def update_one(self, obs: Observation) -> Assessment | None:
        if obs.kind == "interaction":
            return self._interaction(obs)
        return self._audience(obs)

    # ------------------------------------------------------------ adult -> minor contact

    def _contacts(self) -> BoundedDict[str, _Contacts]:
        state: BoundedDict[str, _Contacts] | None = getattr(self, "contacts_", None)
        if state is None:
            state = BoundedDict[str, _Contacts](self.max_accounts)
            self.contacts_ = state
        return state

    def _interaction(self, obs: Observation) -> Assessment | None:
        contacts = self._contacts()
        source, target = obs.from_user or "", obs.to_user or ""
        if is_minor(obs.from_band) and is_adult(obs.to_band):
            # A minor reaching out to the adult: the contact is not one-sided.
            found = contacts.get(target)
            if found is not None:
                found.incoming += 1
            return None
        if not (is_adult(obs.from_band) and is_minor(obs.to_band)):
            return None
        c = contacts.touch(source, _Contacts)
        kind = obs.interaction_kind or ""
        weight = KIND_WEIGHT.get(kind, 0.3)
        # A performer and their audience addressing each other in the live itself is
        # what lives are for; contact that leaves the performer's stage is not. An
        # audience reaches its performer by any channel (a public figure gets fan
        # mail); a performer inviting a minor viewer to private contact has picked
        # that viewer out, and weighs as anyone's private contact would.
        on_stage = obs.creator_id == target or (obs.creator_id == source and kind in ON_STAGE)
        if on_stage:
            weight *= 0.3
        session = obs.session_id or ""
        if session not in c.session_weight:
            c.sessions.append(session)
            if len(c.session_weight) >= 16:
                c.session_weight.pop(next(iter(c.session_weight)))
            c.session_weight[session] = 0.0
            c.reach.add(obs.t, 0.0)
        previous = c.session_weight[session]
        if weight > previous:
            c.session_weight[session] = weight
            c.reach.add(obs.t, weight - previous)
        if (
            not on_stage
            and weight > c.minors.get(target, 0.0)
            and (len(c.minors) < 32 or target in c.minors)
        ):
            c.minors[target] = weight
        c.recent.add(obs.t, weight)
        c.outgoing += 1
        c.count += 1
        reach = c.reach.value(obs.t)
        distinct = sum(min(1.0, 2.5 * w) for w in c.minors.values())
        one_sided = c.outgoing / (c.outgoing + c.incoming)
        x = (0.45 * reach + 0.25 * max(0.0, distinct - 1.0)) * (0.6 + 0.4 * one_sided)
        score = saturate(x)
        sessions = len(c.session_weight)
        private = sum(1 for w in c.session_weight.values() if w >= 1.0)
        rationale = [
            f"adult account reached {len(c.minors)} minor account(s) in {sessions} live "
            f"session(s), {private} of them through a private channel",
        ]
        if one_sided > 0.8 and c.outgoing >= 3:
            rationale.append("the contact is one-sided (minors rarely respond)")
        velocity = min(1.0, c.recent.value(obs.t) / max(0.5, reach))
        return Assessment(
            category="age_exposure",
            subject_type="user",
            subject_id=source,
            score=score,
            evidence=float(c.count),
            t=obs.t,
            velocity=velocity,
            severity=min(1.0, max(c.session_weight.values()) / 1.2),
            vulnerability=1.0,
            rationale=tuple(rationale),
            signals={
                "sessions_with_minor_contact": sessions,
                "distinct_minors": len(c.minors),
                "private_channel_sessions": private,
                "one_sided_share": round(one_sided, 3),
                "contacts": c.count,
            },
            related=tuple(f"live_session:{s}" for s in list(c.sessions)[-3:]),
        )

    # ------------------------------------------------------------ audience exposure

    def _audience(self, obs: Observation) -> Assessment | None:
        audience = obs.audience
        if audience is None or obs.creator_id is None or not is_minor(obs.age_band):
            return None
        adult_category = obs.category in self.adult_categories
        if audience.joins < self.min_audience and not adult_category:
            return None
        # Re-score every few joins: the share moves slowly, and the hot path stays cheap.
        if not adult_category and audience.joins % 5:
            return None
        share = audience.minor_share
        expected = expected_minor_share(
            obs.creator_baseline, obs.category_baseline, obs.creator_band
        )
        excess = max(0.0, share - expected) / max(0.2, 1.0 - expected)
        rationale = []
        score = 0.0
        if adult_category:
            score = saturate(0.35 * audience.minor_joins)
            rationale.append(
                f"{audience.minor_joins} under-18 viewer(s) joined a live in the "
                f"adult-oriented category '{obs.category}'"
            )
        if excess > 0.25 and not is_minor(obs.creator_band):
            # A share well above baseline is a reason to look, not a finding: capped at low.
            score = max(score, min(0.5, 0.6 * excess))
            rationale.append(
                f"under-18 share of the audience {share:.0%} against an expected {expected:.0%}"
            )
        if score <= 0.0:
            return None
        return Assessment(
            category="age_exposure",
            subject_type="creator",
            subject_id=obs.creator_id,
            score=score,
            evidence=float(audience.joins) / 5.0 + (3.0 if adult_category else 0.0),
            t=obs.t,
            velocity=min(1.0, excess),
            severity=0.7 if adult_category else 0.3,
            vulnerability=min(1.0, share),
            rationale=tuple(rationale),
            signals={
                "audience_joins": audience.joins,
                "under_18_share": round(share, 3),
                "expected_under_18_share": round(expected, 3),
                "adult_oriented_category": adult_category,
            },
            related=(f"live_session:{obs.session_id}",),
        )
