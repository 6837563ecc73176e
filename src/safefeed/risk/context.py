"""Stage 2, context enrichment: who and where an observation happens, in aggregate.

The enricher keeps the funnel's shared memory of the platform — accounts (age band,
local time zone, trust), content and live sessions (creator, category, audience
counts), rolling baselines per creator and per live category, and the creator
interaction graph — and fills an observation's context fields from it *before*
the detectors run; `ContextEnricher.learn` folds the observation in afterwards,
so a detector compares an event with the history before it.

Every table is a `BoundedDict`, so memory stays bounded per creator and overall.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import ClassVar

import networkx as nx  # type: ignore[import-untyped]

from safefeed.localtime import local_hour, utc_offset_seconds, zone_for
from safefeed.risk.bounded import BoundedDict
from safefeed.risk.decay import DecayedMean, DecayedSum
from safefeed.risk.model import AudienceSnapshot, Observation
from safefeed.types import MINOR_AGE_BANDS

__all__ = [
    "AccountInfo",
    "CategoryBaseline",
    "ContextEnricher",
    "CreatorBaseline",
    "SessionState",
    "is_adult",
    "is_minor",
    "reporter_trust",
]

_DAY = 86400.0
_ADULT_BANDS = frozenset({"18_24", "25_plus"})
#: Bands known to be under 18 (``unknown`` is handled on its own: it may be either).
_MINOR_BANDS = frozenset(MINOR_AGE_BANDS) - {"unknown"}
#: How long a creator's live must have been quiet for its next live to end it.
_QUIET = 1800.0
#: Kinds by which an adult reaches a minor performer beyond what any audience does.
_REACHING = frozenset({"gift", "dm_request", "private_invite"})
#: How far above its normal (in standard errors of the session's share) one session
#: may pull a creator's under-18 baseline (`robust_share`).
_SHIFT_BOUND = 0.5


def is_minor(band: str | None) -> bool:
    return band in _MINOR_BANDS


def is_adult(band: str | None) -> bool:
    return band in _ADULT_BANDS


@dataclass(slots=True)
class AccountInfo:
    """What the funnel knows of an account: bands and zones, never exact values."""

    band: str = "unknown"
    created_t: float | None = None
    offset_zone: object = None
    is_creator: bool = False
    reports: DecayedSum = field(default_factory=lambda: DecayedSum(_DAY))


def reporter_trust(account: AccountInfo | None, t: float) -> float:
    """How much one report from this account counts, in ``[0.02, 1]``.

    New accounts and accounts filing many reports a day count for little, so a
    brigade of fresh accounts cannot outweigh a few established ones. An account
    the log never introduced gets a middling weight: other platforms' logs may
    not carry account events.

    >>> old = AccountInfo(created_t=0.0)
    >>> reporter_trust(old, 90 * 86400.0)
    1.0
    >>> round(reporter_trust(AccountInfo(created_t=0.0), 86400.0), 3)
    0.05
    >>> reporter_trust(None, 0.0)
    0.3
    """
    if account is None or account.created_t is None:
        return 0.3
    age_days = max(0.0, (t - account.created_t) / _DAY)
    by_age = min(1.0, max(0.05, age_days / 30.0))
    recent = account.reports.value(t)
    by_volume = 1.0 / (1.0 + max(0.0, recent - 3.0) / 3.0)
    return max(0.02, by_age * by_volume)


@dataclass(slots=True)
class CreatorBaseline:
    """A creator's rolling profile: audience, usual hours, flag history."""

    sessions: int = 0
    minor_share: DecayedMean = field(default_factory=lambda: DecayedMean(6.0))
    audience: DecayedMean = field(default_factory=lambda: DecayedMean(6.0))
    interaction_rate: DecayedMean = field(default_factory=lambda: DecayedMean(6.0))
    hours: list[float] = field(default_factory=lambda: [0.0] * 24)
    flags: DecayedSum = field(default_factory=lambda: DecayedSum(14 * _DAY))
    recent_flags: DecayedSum = field(default_factory=lambda: DecayedSum(3 * _DAY))
    first_t: float | None = None
    #: The creator's latest live not yet folded into this baseline.
    live: str | None = None

    def usual_hour_share(self, hour: float) -> float:
        """Share of past session starts within an hour either side of ``hour``."""
        total = sum(self.hours)
        if total <= 0:
            return 0.0
        h = int(hour) % 24
        return (self.hours[h - 1] + self.hours[h] + self.hours[(h + 1) % 24]) / total


def robust_share(
    baseline: CreatorBaseline, audience: AudienceSnapshot, *, minor_creator: bool = False
) -> float:
    """The under-18 share a session adds to the creator's baseline, clipped.

    A share beyond half a standard error above the creator's own normal is folded in
    at that bound (a Huber-style update), so a sudden shift does not become the new
    normal while it is still the thing to notice, and a lasting change still moves
    the baseline a step per session. The bound was Huber's 1.345 standard errors
    until `context-4`: a late-night audience shift then became the normal over the
    three or four sessions the vulnerability detector needs to see it recur, and
    the shift went unseen (docs/risk.md). For a minor creator an audience turning
    adult is a shift to notice too, and is clipped alike below the normal.

    >>> b = CreatorBaseline(sessions=5)
    >>> b.minor_share.add(0.1)
    >>> round(robust_share(b, AudienceSnapshot(joins=30, minor_joins=18)), 3)
    0.127
    >>> teen = CreatorBaseline(sessions=5)
    >>> teen.minor_share.add(1.0)
    >>> round(robust_share(teen, AudienceSnapshot(joins=8, minor_joins=3), minor_creator=True), 3)
    0.96
    """
    share = audience.minor_share
    if baseline.sessions < 3 or baseline.minor_share.weight <= 0:
        return share
    normal = baseline.minor_share.value
    joins = max(1, audience.joins)
    spread = math.sqrt(max(0.05, normal) * (1.0 - normal) / joins)
    share = min(share, normal + _SHIFT_BOUND * spread)
    if minor_creator:
        spread = math.sqrt(max(0.05, 1.0 - normal) * normal / joins)
        share = max(share, normal - _SHIFT_BOUND * spread)
    return share


@dataclass(slots=True)
class CategoryBaseline:
    """A live category's rolling audience profile."""

    sessions: int = 0
    minor_share: DecayedMean = field(default_factory=lambda: DecayedMean(40.0))


@dataclass(slots=True)
class SessionState:
    """A live session in progress: creator, category, local start hour, audience counts."""

    creator_id: str
    category: str | None
    start_t: float
    #: The session's start in the creator's local time; None when the zone is unknown.
    local_hour: float | None
    audience: AudienceSnapshot = field(default_factory=AudienceSnapshot)
    tokens: list[str] = field(default_factory=list)
    #: When the live last saw a viewer come or go, chat or an interaction.
    last_t: float = 0.0
    #: Folded into the creator's baseline (ended, or the creator went live again).
    folded: bool = False


class ContextEnricher:
    """Fills observations with context and keeps the shared baselines up to date."""

    version = "context-8"
    #: Signal kinds whose `learn` reads fields that `enrich` fills: these are
    #: enriched even when no detector reads them.
    learns_from_context: ClassVar[frozenset[str]] = frozenset({"flag", "report", "violation"})

    def __init__(
        self,
        *,
        max_accounts: int = 500_000,
        max_creators: int = 100_000,
        max_sessions: int = 20_000,
        max_content: int = 200_000,
        max_graph_nodes: int = 50_000,
        max_graph_degree: int = 64,
    ) -> None:
        self.max_accounts = max_accounts
        self.max_creators = max_creators
        self.max_sessions = max_sessions
        self.max_content = max_content
        self.max_graph_nodes = max_graph_nodes
        self.max_graph_degree = max_graph_degree
        self.accounts_: BoundedDict[str, AccountInfo] = BoundedDict(max_accounts)
        #: When an account first posted or went live, for logs without account events.
        self.first_seen_: BoundedDict[str, float] = BoundedDict(max_accounts)
        self.creators_: BoundedDict[str, CreatorBaseline] = BoundedDict(max_creators)
        self.categories_: BoundedDict[str, CategoryBaseline] = BoundedDict(1000)
        self.sessions_: BoundedDict[str, SessionState] = BoundedDict(max_sessions)
        self.content_: BoundedDict[str, tuple[str, tuple[str, ...]]] = BoundedDict(max_content)
        #: Ended sessions' creator and trend tokens: reports on a live and reviews of
        #: its replay arrive after it ends, and they are still about that creator.
        self.ended_: BoundedDict[str, tuple[str, tuple[str, ...]]] = BoundedDict(max_content)
        self.graph_: nx.Graph = nx.Graph()

    # ------------------------------------------------------------ lookups

    def creator_of(self, subject_type: str | None, subject_id: str | None) -> str | None:
        """The account a flagged subject belongs to (content and sessions -> creator)."""
        if subject_id is None:
            return None
        if subject_type in ("creator", "user"):
            return subject_id
        if subject_type == "content":
            found = self.content_.get(subject_id)
            return found[0] if found else None
        if subject_type == "live_session":
            session = self.sessions_.get(subject_id)
            if session is not None:
                return session.creator_id
            ended = self.ended_.get(subject_id)
            return ended[0] if ended else None
        return None

    def tokens_of(self, subject_type: str | None, subject_id: str | None) -> tuple[str, ...]:
        """Trend tokens carried by a flagged content item or live session."""
        if subject_type == "content" and subject_id:
            found = self.content_.get(subject_id)
            return found[1] if found else ()
        if subject_type == "live_session" and subject_id:
            session = self.sessions_.get(subject_id)
            if session is not None:
                return tuple(session.tokens)
            ended = self.ended_.get(subject_id)
            return ended[1] if ended else ()
        return ()

    def _offset(self, account: AccountInfo | None, t: float) -> float | None:
        if account is None or account.offset_zone is None:
            return None
        return utc_offset_seconds(account.offset_zone, t)  # type: ignore[arg-type]

    # ------------------------------------------------------------ enrich

    def enrich(self, obs: Observation) -> None:
        """Fill the context fields of ``obs`` from what was known before it."""
        kind = obs.kind
        if kind in ("join", "leave", "interaction", "chat", "session_end"):
            session = self.sessions_.get(obs.session_id or "")
            if session is None:
                return
            obs.creator_id = session.creator_id
            obs.category = session.category
            obs.audience = session.audience
            # The session's hour, not the event's: a viewer joining after midnight
            # does not make an evening live a late-night one.
            obs.local_hour = session.local_hour
            self._creator_context(obs, session.creator_id)
            if kind == "chat":
                obs.account_age_days = self._age_days(session.creator_id, obs.t)
                obs.author_is_creator = obs.user_id == session.creator_id
                baseline = self.creators_.get(session.creator_id)
                obs.creator_flag_mass = baseline.recent_flags.value(obs.t) if baseline else 0.0
                obs.neighbours = self.graph_
        elif kind == "session_start":
            creator = obs.creator_id or ""
            offset = self._offset(self.accounts_.get(creator), obs.t)
            if offset is not None:
                obs.local_hour = local_hour(obs.t, offset)
            self._creator_context(obs, creator)
        elif kind in ("flag", "report", "violation"):
            owner = self.creator_of(obs.subject_type, obs.subject_id)
            obs.creator_id = owner
            obs.tokens = self.tokens_of(obs.subject_type, obs.subject_id)
            if obs.subject_type == "live_session":
                session = self.sessions_.get(obs.subject_id or "")
                obs.session_id = obs.subject_id
                obs.audience = session.audience if session else None
            if owner is not None:
                self._creator_context(obs, owner)
                obs.account_age_days = self._age_days(owner, obs.t)
            if kind == "report":
                obs.reporter_trust = reporter_trust(self.accounts_.get(obs.user_id or ""), obs.t)
        elif kind == "content":
            obs.neighbours = self.graph_
            baseline = self.creators_.get(obs.creator_id or "")
            obs.creator_flag_mass = baseline.recent_flags.value(obs.t) if baseline else 0.0

    def _age_days(self, account_id: str, t: float) -> float | None:
        """How long the account is known to exist: since it was created or, in a log
        without account events, since its first post or live."""
        account = self.accounts_.get(account_id)
        since = account.created_t if account is not None else None
        if since is None:
            since = self.first_seen_.get(account_id)
        return None if since is None else max(0.0, t - since) / _DAY

    def _seen(self, account_id: str, t: float) -> None:
        # For logs without account events: how long an account is known to exist.
        if account_id not in self.first_seen_:
            self.first_seen_[account_id] = t

    def _creator_context(self, obs: Observation, creator: str) -> None:
        obs.creator_baseline = self.creators_.get(creator)
        account = self.accounts_.get(creator)
        obs.creator_band = account.band if account else None
        if obs.category:
            obs.category_baseline = self.categories_.get(obs.category)

    # ------------------------------------------------------------ learn

    def learn(self, obs: Observation) -> None:
        """Fold ``obs`` into the shared state, after the detectors have seen it.

        Only kinds in `learns_from_context` need ``obs`` enriched first; the others
        are folded in from the signal's own fields.
        """
        kind, t = obs.kind, obs.t
        # The kinds in the order a live log is made of them: viewers, chat, interactions.
        if kind in ("join", "leave"):
            self._audience(obs)
        elif kind == "chat":
            session = self.sessions_.get(obs.session_id or "")
            if session is not None:
                session.last_t = t
            if session is not None and obs.tokens:
                # Distinct tokens: a flag on the session counts once for each token it
                # carried, however often the chat repeated it.
                for token in obs.tokens:
                    if token in session.tokens:
                        session.tokens.remove(token)
                    session.tokens.append(sys.intern(token))
                del session.tokens[:-16]
        elif kind == "interaction":
            session = self.sessions_.get(obs.session_id or "")
            if session is not None:
                session.last_t = t
                session.audience.interactions += 1
                performer = session.creator_id in (obs.from_user, obs.to_user)
                if is_adult(obs.from_band) and is_minor(obs.to_band):
                    if not performer:
                        session.audience.adult_to_minor += 1
                    elif obs.to_user == session.creator_id and obs.interaction_kind in _REACHING:
                        session.audience.adult_to_minor_performer += 1
                self._link(obs.from_user, session.creator_id)
        elif kind == "session_start":
            creator = obs.creator_id or ""
            account = self.accounts_.touch(creator, AccountInfo)
            account.is_creator = True
            self._seen(creator, t)
            offset = self._offset(account, t)
            hour = None if offset is None else local_hour(t, offset)
            baseline = self.creators_.touch(creator, CreatorBaseline)
            if baseline.live is not None:
                # Many platforms never send some lives' end (an app killed, a converted
                # log without them): a creator going live again after the last live went
                # quiet has ended it, and its audience belongs in the baselines. A live
                # still going on is left to end on its own; late events still reach it.
                earlier = self.sessions_.get(baseline.live)
                if earlier is not None and t - max(earlier.start_t, earlier.last_t) > _QUIET:
                    self._fold(earlier, baseline)
            baseline.live = obs.session_id or ""
            self.sessions_[baseline.live] = SessionState(creator, obs.category, t, hour)
            if baseline.first_t is None:
                baseline.first_t = t
            if hour is not None:
                # Decay the hour histogram so a changed schedule becomes the new normal.
                baseline.hours = [h * 0.9 for h in baseline.hours]
                baseline.hours[int(hour) % 24] += 1.0
        elif kind == "session_end":
            self._end_session(obs)
        elif kind == "account":
            info = self.accounts_.touch(obs.user_id or "", AccountInfo)
            info.band = obs.age_band or "unknown"
            info.created_t = t
            info.offset_zone = zone_for(obs.timezone, obs.region)
            info.is_creator = info.is_creator or obs.author_is_creator
        elif kind == "content":
            self.content_[obs.subject_id or ""] = (obs.creator_id or "", obs.tokens)
            self._seen(obs.creator_id or "", t)
        elif kind in ("flag", "report", "violation"):
            if kind == "report":
                reporter = self.accounts_.get(obs.user_id or "")
                if reporter is not None:
                    reporter.reports.add(t, 1.0)
            if obs.creator_id is not None:
                baseline = self.creators_.touch(obs.creator_id, CreatorBaseline)
                weight = obs.severity * (obs.reporter_trust if kind == "report" else 1.0)
                baseline.flags.add(t, weight)
                baseline.recent_flags.add(t, weight)

    def _audience(self, obs: Observation) -> None:
        session = self.sessions_.get(obs.session_id or "")
        if session is None:
            return
        session.last_t = obs.t
        audience = session.audience
        band = obs.age_band
        if obs.kind == "join":
            audience.joins += 1
            audience.present += 1
            if band == "unknown":
                audience.unknown_joins += 1
            elif band in _MINOR_BANDS:
                audience.minor_joins += 1
                audience.minors_present += 1
            self._link(obs.user_id, session.creator_id)
        else:
            audience.present = max(0, audience.present - 1)
            if band in _MINOR_BANDS:
                audience.minors_present = max(0, audience.minors_present - 1)

    def _link(self, user: str | None, creator: str) -> None:
        """An edge of the creator interaction graph: a creator in another creator's live."""
        if user is None or user == creator:
            return
        account = self.accounts_.get(user)
        if account is None or not account.is_creator:
            return
        graph = self.graph_
        if graph.has_edge(user, creator):
            graph[user][creator]["weight"] += 1
            return
        if graph.number_of_nodes() >= self.max_graph_nodes:
            return
        for node in (user, creator):
            if node in graph and graph.degree(node) >= self.max_graph_degree:
                return
        graph.add_edge(user, creator, weight=1)

    def _end_session(self, obs: Observation) -> None:
        session = self.sessions_.pop(obs.session_id or "", None)
        if session is None:
            return
        self.ended_[obs.session_id or ""] = (session.creator_id, tuple(session.tokens))
        baseline = self.creators_.touch(session.creator_id, CreatorBaseline)
        if baseline.live == obs.session_id:
            baseline.live = None
        self._fold(session, baseline)

    def _fold(self, session: SessionState, baseline: CreatorBaseline) -> None:
        """Fold a live's audience into its creator's and its category's baselines, once."""
        if session.folded:
            return
        session.folded = True
        audience = session.audience
        if audience.joins >= 3:
            account = self.accounts_.get(session.creator_id)
            minor_creator = account is not None and is_minor(account.band)
            baseline.minor_share.add(robust_share(baseline, audience, minor_creator=minor_creator))
            baseline.interaction_rate.add(audience.interactions / audience.joins)
            if session.category:
                category = self.categories_.touch(session.category, CategoryBaseline)
                category.sessions += 1
                category.minor_share.add(audience.minor_share)
        baseline.audience.add(float(audience.joins))
        baseline.sessions += 1
