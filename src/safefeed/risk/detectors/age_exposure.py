"""Category 1, age-related exposure: from bands, counts, timing and direction only.

Two subjects. An *adult account* that repeatedly reaches minors across live
sessions — scored on how many sessions and distinct minors it reaches, how
private the channel is (a DM request or private invite weighs more than a chat
mention), and whether the contact is one-sided. An account that reaches adult
viewers as often as its audiences hold them (a channel's moderator, a viewer gifting
whoever is there) is not picking minors out and stays at ``low``; each channel is
judged apart, so chatting with adults in public does not cover private contact with
minors. Contact that stays public and within one creator's lives (a family's
relatives, a community's regulars) stays at ``low`` too, until it goes private or
moves across creators; so does contact between neighbouring bands (18-24 to 16-17)
that the minors answer, among a few of them and without private invites: friends
either side of the line the bands draw.

A *creator* whose live audience has far more under-18 viewers than its own and its
category's baselines, or whose adult-oriented live category draws minors. No message
text is read.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

from safefeed.risk.bounded import BoundedDict
from safefeed.risk.context import is_adult, is_minor
from safefeed.risk.decay import DecayedSum
from safefeed.risk.detectors.base import Detector, saturate
from safefeed.risk.model import Assessment, AudienceSnapshot, Category, Observation, SignalKind

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
    #: Creators in whose lives it reached minors (two are enough to tell).
    communities: list[str] = field(default_factory=list)
    private: int = 0
    #: Every contact so far between neighbouring bands (18-24 to 16-17), none of it a
    #: private invite.
    peers: bool = True


#: How strongly an account that picks minors out prefers them: it reaches a minor
#: where one drawn at random from the audience would be an adult 80% of the time.
_SELECTIVITY = 0.8
_ADULT_EVIDENCE = -math.log(1.0 - _SELECTIVITY)


@dataclass(slots=True)
class _Tally:
    """Contact through one kind of channel with viewers of a known band, as the log
    odds that its targets were whoever was there (drawn from the audience as it
    stood) against picked out for being minors (`_SELECTIVITY`)."""

    minors: int = 0
    log_odds: float = 0.0

    def add(self, to_adult: bool, minor_share: float) -> None:
        if to_adult:
            # An account picking minors out rarely reaches an adult, whatever the room.
            self.log_odds += _ADULT_EVIDENCE
            return
        self.minors += 1
        share = min(0.99, max(0.01, minor_share))
        self.log_odds += math.log(share / (share + _SELECTIVITY * (1.0 - share)))

    def untargeted(self) -> float:
        """The probability (even prior) that minors were reached only as often as
        the audiences held them.

        >>> room = 0.3  # a third of the audience under 18
        >>> mod = _Tally()
        >>> for to_adult in (True, False, True, True, False, True, False):
        ...     mod.add(to_adult, room)
        >>> round(mod.untargeted(), 2)
        0.96
        >>> seeker = _Tally()
        >>> for to_adult in (False, False, True, False, False):
        ...     seeker.add(to_adult, room)
        >>> round(seeker.untargeted(), 2)
        0.07
        """
        return 1.0 / (1.0 + math.exp(-self.log_odds))


@dataclass(slots=True)
class _ViewerContact:
    """One adult account's contact with viewers other than the performer, public
    (chat mentions, gifts, follows) and private (DM requests, private invites) apart:
    talking to everyone in chat does not make private contact with minors untargeted."""

    public: _Tally = field(default_factory=_Tally)
    private: _Tally = field(default_factory=_Tally)

    def add(self, kind: str, to_adult: bool, audience: AudienceSnapshot) -> None:
        if audience.joins > 0:
            tally = self.public if kind in ON_STAGE else self.private
            tally.add(to_adult, audience.minor_share)

    def untargeted(self) -> float:
        """The least untargeted of the channels through which it reached minors."""
        reaching = [t for t in (self.public, self.private) if t.minors]
        return min((t.untargeted() for t in reaching), default=0.0)


class AgeExposureDetector(Detector):
    """Scores adult-to-minor contact patterns and under-18 audience exposure."""

    name = "age_exposure"
    category: ClassVar[Category] = "age_exposure"
    version = "age-exposure-7"
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
        untargeted_share: float = 0.8,
        low_cap: float = 0.55,
        peer_one_sided: float = 0.75,
        peer_circle: int = 4,
        max_accounts: int = 100_000,
    ) -> None:
        self.adult_categories = adult_categories
        self.min_audience = min_audience
        self.untargeted_share = untargeted_share
        self.low_cap = low_cap
        self.peer_one_sided = peer_one_sided
        # A few friends; privately reaching more 16-17-year-olds than that is a pattern.
        self.peer_circle = peer_circle
        self.max_accounts = max_accounts

    def update_one(self, obs: Observation) -> Assessment | None:
        if obs.kind == "interaction":
            return self._interaction(obs)
        return self._audience(obs)

    # ------------------------------------------------------------ adult -> minor contact

    def _tables(self) -> tuple[BoundedDict[str, _Contacts], BoundedDict[str, _ViewerContact]]:
        """Contacts with minors, and contact with viewers of any band, per account."""
        if getattr(self, "contacts_", None) is None:
            self.contacts_ = BoundedDict[str, _Contacts](self.max_accounts)
            self.viewer_contacts_ = BoundedDict[str, _ViewerContact](self.max_accounts)
        return self.contacts_, self.viewer_contacts_

    def _interaction(self, obs: Observation) -> Assessment | None:
        contacts, viewer_contacts = self._tables()
        source, target = obs.from_user or "", obs.to_user or ""
        if is_minor(obs.from_band) and is_adult(obs.to_band):
            # A minor reaching out to the adult: the contact is not one-sided, whoever
            # spoke first (a viewer's word to the performer is audience talk).
            if obs.creator_id != target:
                contacts.touch(target, _Contacts).incoming += 1
            return None
        if not is_adult(obs.from_band):
            return None
        kind = obs.interaction_kind or ""
        weight = KIND_WEIGHT.get(kind, 0.3)
        # A performer and their audience addressing each other in the live itself is
        # what lives are for; contact that leaves the performer's stage is not. An
        # audience reaches its performer by any channel (a public figure gets fan
        # mail); a performer inviting a minor viewer to private contact has picked
        # that viewer out, and weighs as anyone's private contact would.
        on_stage = obs.creator_id == target or (obs.creator_id == source and kind in ON_STAGE)
        to_minor = is_minor(obs.to_band)
        if not on_stage and obs.audience is not None and (to_minor or is_adult(obs.to_band)):
            # Contact with adult viewers is what tells a moderator or a generous viewer,
            # who reach whoever is there, from an account that picks minors out.
            reached = viewer_contacts.touch(source, _ViewerContact)
            reached.add(kind, not to_minor, obs.audience)
        if not to_minor:
            return None
        c = contacts.touch(source, _Contacts)
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
        if kind not in ON_STAGE:
            c.private += 1
        if obs.from_band != "18_24" or obs.to_band != "16_17" or kind == "private_invite":
            # An invitation away from the live is not friends' talk across a band line.
            c.peers = False
        creator = obs.creator_id or ""
        if len(c.communities) < 2 and creator not in c.communities:
            c.communities.append(creator)
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
        viewers = viewer_contacts.get(source)
        untargeted = 0.0 if viewers is None else viewers.untargeted()
        if untargeted >= self.untargeted_share and score > self.low_cap:
            # Minors reached no more often than the audiences held them, adults as
            # often: a reason to look (low), not a pattern of seeking minors out.
            score = self.low_cap
            rationale.append("it reaches adult viewers as often as minors, by their share")
        if not c.private and len(c.communities) < 2 and score > self.low_cap:
            # Chat, gifts and follows in one creator's lives, in view of that creator
            # and its audience (a family's relatives, a community's regulars): a reason
            # to look, not yet contact sought across lives or away from the stage.
            score = self.low_cap
            rationale.append("all of it in public, in one creator's lives")
        if (
            c.peers
            and len(c.minors) <= self.peer_circle
            and one_sided <= self.peer_one_sided
            and score > self.low_cap
        ):
            # An 18-19-year-old and 16-17-year-old friends who answer each other are
            # peers across the line the bands draw, not an adult reaching minors.
            score = self.low_cap
            rationale.append("between neighbouring bands (18-24, 16-17), both ways")
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
                "untargeted": round(untargeted, 3),
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
