"""Everything the feed knows about the users of a batch, read from the store at once.

Read fresh on every request, so a hide, report, mute or control change is in force
on the very next page, in every process. One statement per chunk of users: the
per-table reads are joined with UNION ALL (a ``kind`` column says which table a row
came from), and a caller may add one-row counters (the policy and catalog
revisions) to the same statement, so a request pays for one round trip, not ten.

A user's item history (seen, hidden, reported: one row per item ever seen, so the
bulk of the read after a few days) comes back as one row per user carrying JSON
arrays aggregated by the store, not a row per item: the read stays a scan of the
user's rows, but its per-item cost is the database's, not the driver's and Python's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Connection,
    Float,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from safefeed.feed.state.controls import UserControls
from safefeed.feed.state.session import SessionState
from safefeed.store.feed_tables import (
    FeedAffinity,
    FeedControls,
    FeedMute,
    FeedServedItem,
    FeedSession,
    FeedUserItem,
)
from safefeed.store.tables import Account, FollowEdge, table_of
from safefeed.types import AgeBand

__all__ = ["UserState", "UserStateReader", "load_user_states"]

_accounts = table_of(Account)
_follows = table_of(FollowEdge)
_affinities = table_of(FeedAffinity)
_sessions = table_of(FeedSession)
_controls = table_of(FeedControls)
_mutes = table_of(FeedMute)
_user_items = table_of(FeedUserItem)
_served = table_of(FeedServedItem)
# Each chunk's user ids are bound once per UNION ALL arm (eight), so 900 users stay
# far below either back end's limit on bound parameters.
_CHUNK = 900
_DAY_US = 24 * 3600 * 1_000_000

# The row kinds of the combined read, in the order they must be applied (controls
# carry the reset time that affinities and sessions are filtered by).
_ACCOUNT, _CONTROLS, _FOLLOW, _AFFINITY, _SESSION, _MUTE, _ITEM, _PUSHES = range(8)
_REVISION = 100  # + the index of the caller's counter


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


class _json_array_agg(FunctionElement[Any]):  # noqa: N801 (SQL functions are lower case)
    """The values of a group as a JSON array (``NULL`` or ``[]`` for none), per dialect."""

    name = "json_array_agg"
    inherit_cache = True


@compiles(_json_array_agg)
def _json_agg(element: _json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg({compiler.process(element.clauses, **kw)})"


@compiles(_json_array_agg, "sqlite")
def _json_group_array(element: _json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


def _item_arm(users: BindParameter[str]) -> Select[Any]:
    """Each user's seen, hidden and reported items, one row per user (JSON arrays)."""
    content = _user_items.c.content_id
    return (
        _arm(
            _ITEM,
            _user_items.c.user_id,
            a=_json_array_agg(content).filter(_user_items.c.hidden),
            b=_json_array_agg(content).filter(_user_items.c.reported),
            document=_json_array_agg(content).filter(_user_items.c.seen_us.is_not(None)),
        )
        .where(_user_items.c.user_id.in_(users))
        .group_by(_user_items.c.user_id)
    )


def _arm(
    kind: int,
    user: ColumnElement[Any] | None = None,
    a: ColumnElement[Any] | None = None,
    b: ColumnElement[Any] | None = None,
    c: ColumnElement[Any] | None = None,
    number: ColumnElement[Any] | None = None,
    weight: ColumnElement[Any] | None = None,
    flags: ColumnElement[Any] | None = None,
    document: ColumnElement[Any] | None = None,
) -> Select[Any]:
    """One UNION ALL arm with the shared column list. Every column is cast to one
    type so that PostgreSQL can match the arms (an untyped NULL is text there), and
    JSON documents travel as text, decoded here, on both back ends."""

    def typed(value: ColumnElement[Any] | None, type_: Any) -> ColumnElement[Any]:
        return cast(null() if value is None else value, type_)

    return select(
        literal_column(str(kind), Integer).label("kind"),
        typed(user, String).label("user_id"),
        typed(a, String).label("a"),
        typed(b, String).label("b"),
        typed(c, String).label("c"),
        typed(number, BigInteger).label("number"),
        typed(weight, Float).label("weight"),
        typed(flags, Integer).label("flags"),
        typed(document, Text).label("document"),
    )


def _statement(with_push_counts: bool, counters: Sequence[Select[Any]]) -> CompoundSelect[Any]:
    users: BindParameter[str] = bindparam("users", expanding=True)
    arms = [
        _arm(
            _ACCOUNT,
            _accounts.c.user_id,
            _accounts.c.age_band,
            _accounts.c.region,
            _accounts.c.timezone,
        ).where(_accounts.c.user_id.in_(users)),
        _arm(
            _CONTROLS,
            _controls.c.user_id,
            number=_controls.c.reset_us,
            document=_controls.c.document,
        ).where(_controls.c.user_id.in_(users)),
        _arm(_FOLLOW, _follows.c.user_id, _follows.c.creator_id).where(
            _follows.c.user_id.in_(users)
        ),
        _arm(
            _AFFINITY,
            _affinities.c.user_id,
            _affinities.c.kind,
            _affinities.c.key,
            number=_affinities.c.updated_us,
            weight=_affinities.c.weight,
        ).where(_affinities.c.user_id.in_(users)),
        _arm(
            _SESSION,
            _sessions.c.user_id,
            _sessions.c.session_id,
            number=_sessions.c.updated_us,
            document=_sessions.c.state,
        ).where(_sessions.c.user_id.in_(users)),
        _arm(_MUTE, _mutes.c.user_id, _mutes.c.creator_id).where(_mutes.c.user_id.in_(users)),
        _item_arm(users),
    ]
    if with_push_counts:
        arms.append(
            _arm(_PUSHES, _served.c.user_id, number=func.count())
            .where(
                _served.c.user_id.in_(users),
                _served.c.surface == "push",
                _served.c.ts_us > bindparam("since_us", type_=BigInteger),
            )
            .group_by(_served.c.user_id)
        )
    for index, counter in enumerate(counters):
        arms.append(_arm(_REVISION + index, number=counter.scalar_subquery()))
    return union_all(*arms)


class UserStateReader:
    """Reads the state of a batch of users, and any one-row counters named at
    construction (``{name: select of one integer}``), in one statement per chunk of
    users. The statements are built once, so SQLAlchemy compiles them once."""

    def __init__(self, counters: Mapping[str, Select[Any]] | None = None) -> None:
        self._names = list(counters or {})
        selects = list((counters or {}).values())
        self._statements = {push: _statement(push, selects) for push in (False, True)}

    def read(
        self,
        conn: Connection,
        user_ids: Sequence[str],
        now_us: int,
        *,
        affinity_half_life_days: float,
        with_push_counts: bool = False,
    ) -> tuple[dict[str, UserState], dict[str, int]]:
        """The state of every user in ``user_ids`` (users the store has never seen get
        defaults: unknown age band, no profile) and the counters' values (0 when the
        counter's row does not exist yet)."""
        users = sorted(set(user_ids))
        rows: list[Any] = []
        statement = self._statements[with_push_counts]
        since = now_us - _DAY_US
        # Without users the statement still runs once when it carries counters.
        starts = range(0, max(len(users), 1 if self._names else 0), _CHUNK)
        for start in starts:
            chunk = users[start : start + _CHUNK]
            rows += conn.execute(statement, {"users": chunk, "since_us": since}).all()
        counters = dict.fromkeys(self._names, 0)
        for r in rows:
            if r.kind >= _REVISION and r.number is not None:
                counters[self._names[r.kind - _REVISION]] = int(r.number)
        return _states(users, rows, now_us, affinity_half_life_days * _DAY_US), counters


def _states(
    users: Sequence[str], rows: Sequence[Any], now_us: int, half_life_us: float
) -> dict[str, UserState]:
    states = {u: UserState(u) for u in users}
    # The rows of each kind in the order read, the kinds applied in order: a stable sort
    # by kind in one pass.
    by_kind: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_kind[int(r[0])].append(r)
    reset: dict[str, int] = {}
    for r in by_kind[_ACCOUNT]:
        state = states[r.user_id]
        state.age_band, state.region, state.timezone = r.a, r.b, r.c
    for r in by_kind[_CONTROLS]:
        states[r.user_id].controls = UserControls.model_validate(orjson.loads(r.document))
        if r.number is not None:
            reset[r.user_id] = r.number
    follows: dict[str, list[str]] = defaultdict(list)
    for r in by_kind[_FOLLOW]:
        follows[r.user_id].append(r.a)
    for r in by_kind[_AFFINITY]:
        if r.number < reset.get(r.user_id, 0):
            continue
        weight = r.weight * 0.5 ** (max(0, now_us - r.number) / half_life_us)
        target = states[r.user_id]
        affinity = target.topic_affinity if r.a == "topic" else target.creator_affinity
        affinity[r.b] = weight
    for r in by_kind[_SESSION]:
        if r.number >= reset.get(r.user_id, 0):
            states[r.user_id].session = SessionState.from_document(
                r.a, orjson.loads(r.document), r.number
            )
    muted: dict[str, set[str]] = defaultdict(set)
    for r in by_kind[_MUTE]:
        muted[r.user_id].add(r.a)
    for r in by_kind[_ITEM]:
        state = states[r.user_id]
        state.seen = _items(r.document)
        state.hidden = _items(r.a)
        state.reported = _items(r.b)
    for r in by_kind[_PUSHES]:
        states[r.user_id].pushes_last_day = int(r.number)
    for user, state in states.items():
        state.follows = tuple(sorted(follows.get(user, ())))
        state.muted = frozenset(muted.get(user, ()))
    return states


def _items(document: str | None) -> frozenset[str]:
    """A JSON array of content ids, as aggregated by the store (``None``: no rows)."""
    return frozenset(orjson.loads(document)) if document else frozenset()


_PLAIN = UserStateReader()


def load_user_states(
    conn: Connection,
    user_ids: Sequence[str],
    now_us: int,
    *,
    affinity_half_life_days: float,
    with_push_counts: bool = False,
) -> dict[str, UserState]:
    """The state of every user in ``user_ids`` (see `UserStateReader.read`)."""
    states, _ = _PLAIN.read(
        conn,
        user_ids,
        now_us,
        affinity_half_life_days=affinity_half_life_days,
        with_push_counts=with_push_counts,
    )
    return states
