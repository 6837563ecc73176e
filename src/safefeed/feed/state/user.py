"""Everything the feed knows about the users of a batch, read from the store at once.

Read fresh on every request (one query per table for the whole batch), so a hide,
report, mute or control change is in force on the very next page, in every process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from safefeed.feed.state.controls import UserControls
from safefeed.feed.state.session import SessionState
from safefeed.store.feed_tables import (
    FeedAffinity,
    FeedControls,
    FeedMute,
    FeedRequestRow,
    FeedServedItem,
    FeedSession,
    FeedUserItem,
)
from safefeed.store.tables import Account, FollowEdge, table_of
from safefeed.types import AgeBand

__all__ = ["UserState", "load_user_states"]

_accounts = table_of(Account)
_follows = table_of(FollowEdge)
_affinities = table_of(FeedAffinity)
_sessions = table_of(FeedSession)
_controls = table_of(FeedControls)
_mutes = table_of(FeedMute)
_user_items = table_of(FeedUserItem)
_requests = table_of(FeedRequestRow)
_served = table_of(FeedServedItem)
_CHUNK = 900
_DAY_US = 24 * 3600 * 1_000_000


@dataclass(slots=True)
class UserState:
    """One user's profile, session, choices and history, as of this request."""

    user_id: str
    age_band: AgeBand = "unknown"
    region: str | None = None
    timezone: str | None = None
    follows: tuple[str, ...] = ()
    topic_affinity: dict[str, float] = field(default_factory=dict)
    creator_affinity: dict[str, float] = field(default_factory=dict)
    session: SessionState = field(default_factory=SessionState)
    controls: UserControls = field(default_factory=UserControls)
    muted: frozenset[str] = frozenset()
    seen: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    reported: frozenset[str] = frozenset()
    pushes_last_day: int = 0


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def load_user_states(
    conn: Connection,
    user_ids: Sequence[str],
    now_us: int,
    *,
    affinity_half_life_days: float,
    with_push_counts: bool = False,
) -> dict[str, UserState]:
    """The state of every user in ``user_ids`` (users the store has never seen get
    defaults: unknown age band, no profile)."""
    users = sorted(set(user_ids))
    states = {u: UserState(u) for u in users}
    follows: dict[str, list[str]] = defaultdict(list)
    muted: dict[str, set[str]] = defaultdict(set)
    seen: dict[str, set[str]] = defaultdict(set)
    hidden: dict[str, set[str]] = defaultdict(set)
    reported: dict[str, set[str]] = defaultdict(set)
    reset: dict[str, int] = {}
    half_life = affinity_half_life_days * _DAY_US
    for chunk in _chunks(users):
        for r in conn.execute(select(_accounts).where(_accounts.c.user_id.in_(chunk))):
            state = states[r.user_id]
            state.age_band, state.region, state.timezone = r.age_band, r.region, r.timezone
        for r in conn.execute(
            select(_controls.c.user_id, _controls.c.document, _controls.c.reset_us).where(
                _controls.c.user_id.in_(chunk)
            )
        ):
            states[r.user_id].controls = UserControls.model_validate(r.document)
            if r.reset_us is not None:
                reset[r.user_id] = r.reset_us
        for r in conn.execute(
            select(_follows.c.user_id, _follows.c.creator_id).where(_follows.c.user_id.in_(chunk))
        ):
            follows[r.user_id].append(r.creator_id)
        for r in conn.execute(select(_affinities).where(_affinities.c.user_id.in_(chunk))):
            if r.updated_us < reset.get(r.user_id, 0):
                continue
            weight = r.weight * 0.5 ** (max(0, now_us - r.updated_us) / half_life)
            target = states[r.user_id]
            (target.topic_affinity if r.kind == "topic" else target.creator_affinity)[r.key] = (
                weight
            )
        for r in conn.execute(select(_sessions).where(_sessions.c.user_id.in_(chunk))):
            if r.updated_us >= reset.get(r.user_id, 0):
                states[r.user_id].session = SessionState.from_document(
                    r.session_id, r.state, r.updated_us
                )
        for r in conn.execute(
            select(_mutes.c.user_id, _mutes.c.creator_id).where(_mutes.c.user_id.in_(chunk))
        ):
            muted[r.user_id].add(r.creator_id)
        for r in conn.execute(select(_user_items).where(_user_items.c.user_id.in_(chunk))):
            if r.seen_us is not None:
                seen[r.user_id].add(r.content_id)
            if r.hidden:
                hidden[r.user_id].add(r.content_id)
            if r.reported:
                reported[r.user_id].add(r.content_id)
        if with_push_counts:
            rows = conn.execute(
                select(_served.c.user_id, func.count())
                .where(
                    _served.c.user_id.in_(chunk),
                    _served.c.surface == "push",
                    _served.c.ts_us > now_us - _DAY_US,
                )
                .group_by(_served.c.user_id)
            )
            for user, count in rows:
                states[user].pushes_last_day = int(count)
    for user, state in states.items():
        state.follows = tuple(sorted(follows.get(user, ())))
        state.muted = frozenset(muted.get(user, ()))
        state.seen = frozenset(seen.get(user, ()))
        state.hidden = frozenset(hidden.get(user, ()))
        state.reported = frozenset(reported.get(user, ()))
    return states
