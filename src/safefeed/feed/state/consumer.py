"""Feed state from engagement events, applied inside the ingest transaction.

Per batch: item and creator statistics (trust-weighted and raw), each user's
seen set and per-item negative feedback, mutes, long-term decayed affinities and
the current session. Everything is read for the batch's subjects at once, updated
in memory and written back with one bulk upsert per table; the feed revision row
is bumped once so serving processes pick the new statistics up.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from safefeed.clock import to_us
from safefeed.events.models import (
    Completion,
    ContentDeleted,
    ContentPublished,
    Dislike,
    Dwell,
    Engagement,
    Follow,
    Hide,
    Impression,
    Like,
    ModerationFlag,
    MuteCreator,
    NotInterested,
    Open,
    PolicyChanged,
    Report,
    Save,
    ScrollPast,
    SessionEnd,
    Share,
    ViewableImpression,
)
from safefeed.events.parsing import ParsedEvent
from safefeed.feed.catalog.dwell import dwell_ratio
from safefeed.feed.config import FeedConfig, SafetyScoreSettings
from safefeed.feed.state.session import SessionState
from safefeed.feed.state.text_embeddings import embed_published_text
from safefeed.feed.state.trust import LOW_TRUST, trust_weights
from safefeed.ingest.pipeline import IngestContext
from safefeed.policy.records import MODERATOR_DECISION
from safefeed.signals.embeddings import SentenceEmbedder, load_sentence_embedder
from safefeed.store.feed_tables import (
    FeedAffinity,
    FeedCreatorStats,
    FeedItemStats,
    FeedMute,
    FeedRevision,
    FeedSession,
    FeedUserItem,
)
from safefeed.store.keys import in_keys
from safefeed.store.tables import Account, Content, table_of
from safefeed.store.upsert import upsert

__all__ = ["AFFINITY_DELTAS", "FeedStateConsumer"]

_items = table_of(FeedItemStats)
_creators = table_of(FeedCreatorStats)
_user_items = table_of(FeedUserItem)
_mutes = table_of(FeedMute)
_affinities = table_of(FeedAffinity)
_sessions = table_of(FeedSession)
_revision = table_of(FeedRevision)
_accounts = table_of(Account)
_content = table_of(Content)

_HOUR_US = 3600 * 1_000_000
_CHUNK = 900

#: How much one event moves a user's topic and creator affinity (before decay).
AFFINITY_DELTAS: dict[type[Engagement], float] = {
    Open: 0.5,
    Like: 1.0,
    Save: 2.0,
    Share: 2.0,
    Dislike: -1.0,
    Report: -3.0,
}
_ITEM_STAT_NAMES = tuple(c.name for c in _items.columns if c.name not in ("content_id", "revision"))
#: Flag sources whose score is a model's or a rule's estimate, not a human decision.
_SCORED_SOURCES = frozenset({"classifier", "rule"})


@dataclass(slots=True)
class _ItemInfo:
    creator_id: str
    topics: tuple[str, ...]
    duration_s: float


@dataclass(slots=True)
class _Batch:
    """What a batch changes, accumulated before the writes."""

    items: dict[str, dict[str, float]] = field(default_factory=dict)
    creators: dict[str, dict[str, float]] = field(default_factory=dict)
    user_items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: The stored rows of the user-item pairs the batch's engagement touches.
    stored_user_items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    mutes: dict[tuple[str, str], int] = field(default_factory=dict)
    affinity: dict[tuple[str, str, str], list[tuple[int, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    sessions: dict[str, SessionState] = field(default_factory=dict)


class FeedStateConsumer:
    """Derives feed state from newly stored events (see the module docstring)."""

    name = "feed"

    def __init__(self, config: FeedConfig, embedder: SentenceEmbedder | None = None) -> None:
        self.config = config
        #: The sentence model for ``text_embeddings`` (loaded on first use when unset).
        self.embedder = embedder

    def consume(
        self, conn: Connection, events: Sequence[ParsedEvent], context: IngestContext
    ) -> None:
        engagements = [p.event for p in events if isinstance(p.event, Engagement)]
        catalog_changed = any(
            isinstance(p.event, (ContentPublished, ContentDeleted, Follow)) for p in events
        )
        scores = _safety_scores((p.event for p in events), self.config.safety_score)
        if not engagements and not catalog_changed and not scores:
            return
        if catalog_changed and self.config.text_embeddings:
            self.embedder = self.embedder or load_sentence_embedder()
            embed_published_text(conn, [p.event for p in events], self.embedder)
        revision = self._bump(conn)
        batch = _Batch()
        for parsed in events:
            event = parsed.event
            if isinstance(event, (ContentPublished, ContentDeleted)):
                batch.items.setdefault(event.content_id, {})
            elif isinstance(event, Follow):
                batch.creators.setdefault(event.creator_id, {})["w_follows"] = (
                    batch.creators.get(event.creator_id, {}).get("w_follows", 0.0) + 1.0
                )
        for content_id, (reset, score) in scores.items():
            delta = batch.items.setdefault(content_id, {})
            delta["_safety_score"] = score
            if reset:
                delta["_safety_reset"] = 1.0
        if engagements:
            self._engagements(conn, engagements, batch)
        self._write_items(conn, batch, revision)
        self._write_creators(conn, batch, revision)
        self._write_users(conn, batch)

    # ------------------------------------------------------------ engagement

    def _engagements(self, conn: Connection, events: Sequence[Engagement], batch: _Batch) -> None:
        users = sorted({e.user_id for e in events})
        content_ids = sorted({e.content_id for e in events if e.content_id})
        info = _item_info(conn, content_ids)
        created = _account_created(conn, users)
        stamps = [to_us(e.ts) for e in events]
        times: dict[str, list[int]] = defaultdict(list)
        for e, ts in zip(events, stamps, strict=True):
            times[e.user_id].append(ts)
        now_us = max(max(t) for t in times.values())
        weights = trust_weights(times, created, now_us)
        ratios = self._dwell_ratios(events, info)
        sessions = batch.sessions
        sessions.update(_load_sessions(conn, users))
        batch.stored_user_items = _load_user_items(
            conn, sorted({(e.user_id, e.content_id) for e in events if e.content_id})
        )
        half_life = self.config.affinity.session_half_life_minutes
        for e, ts in zip(events, stamps, strict=True):
            weight = weights[e.user_id]
            item = info.get(e.content_id) if e.content_id else None
            session = sessions.get(e.user_id)
            if session is None:
                session = sessions[e.user_id] = SessionState()
            session.touch(e.session_id, ts, half_life)
            if isinstance(e, SessionEnd):
                session.clear()
                continue
            if isinstance(e, MuteCreator):
                batch.mutes[(e.user_id, e.creator_id)] = ts
                self._affinity(batch, e.user_id, "creator", e.creator_id, ts, -5.0)
                self._creator(batch, e.creator_id, "w_negative", weight)
                continue
            if item is None or e.content_id is None:
                continue  # engagement with an item the catalog does not know
            self._item_event(batch, e, item, weight, ts, session, ratios)

    @staticmethod
    def _dwell_ratios(events: Sequence[Engagement], info: dict[str, _ItemInfo]) -> Iterator[float]:
        """The normalized dwell of each dwell event on a known item, in event order
        (one vectorised call: per event, NumPy's scalar overhead dominated)."""
        dwells = [
            (e.dwell_ms / 1000.0, info[e.content_id].duration_s)
            for e in events
            if isinstance(e, Dwell) and e.content_id in info
        ]
        if not dwells:
            return iter(())
        seconds, durations = zip(*dwells, strict=True)
        return iter(dwell_ratio(seconds, durations).tolist())

    def _item_event(
        self,
        batch: _Batch,
        e: Engagement,
        item: _ItemInfo,
        weight: float,
        ts: int,
        session: SessionState,
        ratios: Iterator[float],
    ) -> None:
        assert e.content_id is not None
        stats = batch.items.get(e.content_id)
        if stats is None:
            stats = batch.items[e.content_id] = {}
        low = 1.0 if weight < LOW_TRUST else 0.0

        def add(name: str, value: float = 1.0) -> None:
            stats[name] = stats.get(name, 0.0) + value

        def velocity(value: float) -> None:
            add("_velocity", weight * value)
            add("_velocity_low", low * value)
            stats["_velocity_us"] = max(stats.get("_velocity_us", 0.0), float(ts))

        key = (e.user_id, e.content_id)
        user_item = batch.user_items.get(key)
        if user_item is None:
            stored = batch.stored_user_items.get(key, {})
            user_item = batch.user_items[key] = {
                "seen_us": None,
                "hidden": False,
                "reported": False,
                "views": int(stored.get("views") or 0),
            }
        if isinstance(e, Impression):
            user_item["views"] += 1
        # One viewer, one vote: what a user does on an item they were shown before (a
        # watch farm looping it, a re-watch) adds to the raw counts only, so volume from
        # a few accounts cannot outweigh their trust weight. Negative feedback always counts.
        first = user_item["views"] <= 1
        delta = AFFINITY_DELTAS.get(type(e), 0.0)
        if isinstance(e, (Impression, ViewableImpression)):
            if first:
                add("w_impressions", weight)
                self._creator(batch, item.creator_id, "w_impressions", weight)
            add("n_impressions")
            user_item["seen_us"] = ts
        elif isinstance(e, Open):
            if first:
                add("w_opens", weight)
                velocity(1.0)
            add("n_opens")
        elif isinstance(e, Dwell):
            ratio = next(ratios)
            if first:
                add("w_dwell_ratio", weight * ratio)
                add("w_dwells", weight)
            add("n_dwell_s", e.dwell_ms / 1000.0)
            delta = ratio - 0.5  # a short dwell is a mild negative: a skip
            session.dwell(ratio)
        elif isinstance(e, Completion):
            delta = e.ratio
        elif isinstance(e, (Like, Share)):
            if first:
                add("w_likes", weight)
                velocity(1.0)
        elif isinstance(e, Save):
            if first:
                add("w_saves", weight)
                velocity(2.0)
        elif isinstance(e, (Hide, NotInterested)):
            add("w_hides", weight)
            add("n_hides")
            user_item["hidden"] = True
            session.hides += 1
            self._creator(batch, item.creator_id, "w_negative", weight)
            self._hide_affinity(batch, e.user_id, item, ts)
        elif isinstance(e, Report):
            add("w_reports", weight)
            add("n_reports")
            user_item["reported"] = True
            session.hides += 1
            self._creator(batch, item.creator_id, "w_negative", 2.0 * weight)
        elif isinstance(e, ScrollPast):
            session.skips += 1
            delta = -0.2
        if delta > 0:
            session.saw(item.topics, item.creator_id, e.content_id)
        if delta:
            for topic in item.topics:
                self._affinity(batch, e.user_id, "topic", topic, ts, delta)
            self._affinity(batch, e.user_id, "creator", item.creator_id, ts, delta)

    def _hide_affinity(self, batch: _Batch, user: str, item: _ItemInfo, ts: int) -> None:
        # A hide takes a fraction off the topic (multiplicative, recorded as a
        # marker the writer applies): one hide never wipes a topic out.
        for topic in item.topics:
            batch.affinity[(user, "topic", topic)].append((ts, math.nan))
        self._affinity(batch, user, "creator", item.creator_id, ts, -1.0)

    @staticmethod
    def _affinity(batch: _Batch, user: str, kind: str, key: str, ts: int, delta: float) -> None:
        batch.affinity[(user, kind, key)].append((ts, delta))

    @staticmethod
    def _creator(batch: _Batch, creator: str, name: str, value: float) -> None:
        stats = batch.creators.setdefault(creator, {})
        stats[name] = stats.get(name, 0.0) + value

    # ------------------------------------------------------------ writes

    @staticmethod
    def _bump(conn: Connection) -> int:
        conn.execute(update(_revision).values(revision=_revision.c.revision + 1))
        return int(conn.execute(select(_revision.c.revision)).scalar_one())

    def _write_items(self, conn: Connection, batch: _Batch, revision: int) -> None:
        if not batch.items:
            return
        ids = sorted(batch.items)
        current = _rows_by_key(conn, _items, _items.c.content_id, ids)
        half_life = _HOUR_US  # velocity: trust-weighted engagements per recent hour
        rows = []
        for content_id in ids:
            old = current.get(content_id, {})
            delta = batch.items[content_id]
            row: dict[str, Any] = {"content_id": content_id, "revision": revision}
            for name in _ITEM_STAT_NAMES:
                row[name] = old.get(name) or 0
            for name, value in delta.items():
                if not name.startswith("_"):
                    row[name] = float(row[name]) + value
            if "_safety_score" in delta:
                before = 0.0 if "_safety_reset" in delta else float(row["safety_score"])
                row["safety_score"] = max(before, delta["_safety_score"])
            if "_velocity" in delta:
                at = int(delta["_velocity_us"])
                decay = 0.5 ** (max(0, at - int(row["velocity_us"])) / half_life)
                low_before = float(row["low_trust_share"]) * float(row["velocity"]) * decay
                row["velocity"] = float(row["velocity"]) * decay + delta["_velocity"]
                low = low_before + delta["_velocity_low"]
                row["low_trust_share"] = min(1.0, low / max(row["velocity"], 1e-9))
                row["velocity_us"] = max(at, int(row["velocity_us"]))
            rows.append(row)
        upsert(conn, _items, rows, keys=["content_id"])

    @staticmethod
    def _write_creators(conn: Connection, batch: _Batch, revision: int) -> None:
        if not batch.creators:
            return
        ids = sorted(batch.creators)
        current = _rows_by_key(conn, _creators, _creators.c.creator_id, ids)
        rows = []
        for creator_id in ids:
            old = current.get(creator_id, {})
            row: dict[str, Any] = {"creator_id": creator_id, "revision": revision}
            for name in ("w_impressions", "w_follows", "w_negative"):
                row[name] = float(old.get(name) or 0.0) + batch.creators[creator_id].get(name, 0.0)
            rows.append(row)
        upsert(conn, _creators, rows, keys=["creator_id"])

    def _write_users(self, conn: Connection, batch: _Batch) -> None:
        if batch.user_items:
            keys = sorted(batch.user_items)
            current = batch.stored_user_items
            rows = []
            for key in keys:
                new, old = batch.user_items[key], current.get(key, {})
                rows.append(
                    {
                        "user_id": key[0],
                        "content_id": key[1],
                        "seen_us": new["seen_us"] or old.get("seen_us"),
                        "hidden": bool(new["hidden"] or old.get("hidden")),
                        "reported": bool(new["reported"] or old.get("reported")),
                        "views": new["views"],
                    }
                )
            upsert(conn, _user_items, rows, keys=["user_id", "content_id"])
        mutes = [
            {"user_id": u, "creator_id": c, "created_us": at} for (u, c), at in batch.mutes.items()
        ]
        upsert(conn, _mutes, mutes, keys=["user_id", "creator_id"], update=[])
        self._write_affinities(conn, batch)
        sessions = [
            {
                "user_id": user,
                "session_id": state.session_id,
                "state": state.document(),
                "updated_us": state.updated_us,
            }
            for user, state in sorted(batch.sessions.items())
        ]
        upsert(conn, _sessions, sessions, keys=["user_id"])

    def _write_affinities(self, conn: Connection, batch: _Batch) -> None:
        if not batch.affinity:
            return
        keys = sorted(batch.affinity)
        current: dict[tuple[str, str, str], tuple[float, int]] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            for r in conn.execute(
                select(_affinities).where(
                    in_keys(
                        conn, [_affinities.c.user_id, _affinities.c.kind, _affinities.c.key], chunk
                    )
                )
            ):
                current[(r.user_id, r.kind, r.key)] = (r.weight, r.updated_us)
        half_life = self.config.affinity.half_life_days * 24 * _HOUR_US
        step = self.config.affinity.hide_topic_step
        rows = []
        for key in keys:
            weight, at = current.get(key, (0.0, 0))
            for ts, delta in sorted(batch.affinity[key]):
                weight *= 0.5 ** (max(0, ts - at) / half_life)
                at = max(at, ts)
                # NaN marks a hide: a step off a positive affinity, never to below zero
                # by itself, so a single hide dampens a topic without wiping it out.
                weight = weight * (1 - step) if math.isnan(delta) else weight + delta
            rows.append(
                {
                    "user_id": key[0],
                    "kind": key[1],
                    "key": key[2],
                    "weight": weight,
                    "updated_us": at,
                }
            )
        upsert(conn, _affinities, rows, keys=["user_id", "kind", "key"])


def _rows_by_key(
    conn: Connection, table: Any, column: Any, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        for r in conn.execute(select(table).where(column.in_(ids[start : start + _CHUNK]))):
            mapping = dict(r._mapping)
            found[mapping[column.name]] = mapping
    return found


def _item_info(conn: Connection, content_ids: Sequence[str]) -> dict[str, _ItemInfo]:
    found: dict[str, _ItemInfo] = {}
    for start in range(0, len(content_ids), _CHUNK):
        rows = conn.execute(
            select(
                _content.c.content_id,
                _content.c.creator_id,
                _content.c.topics,
                _content.c.duration_s,
            ).where(in_keys(conn, [_content.c.content_id], content_ids[start : start + _CHUNK]))
        )
        for r in rows:
            found[r.content_id] = _ItemInfo(
                r.creator_id, tuple(r.topics or ()), float(r.duration_s or 60.0)
            )
    return found


def _account_created(conn: Connection, users: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(users), _CHUNK):
        rows = conn.execute(
            select(_accounts.c.user_id, _accounts.c.created_us).where(
                in_keys(conn, [_accounts.c.user_id], users[start : start + _CHUNK])
            )
        )
        found.update({r.user_id: r.created_us for r in rows})
    return found


def _load_sessions(conn: Connection, users: Sequence[str]) -> dict[str, SessionState]:
    found: dict[str, SessionState] = {}
    for start in range(0, len(users), _CHUNK):
        rows = conn.execute(
            select(_sessions).where(
                in_keys(conn, [_sessions.c.user_id], users[start : start + _CHUNK])
            )
        )
        for r in rows:
            found[r.user_id] = SessionState.from_document(r.session_id, r.state, r.updated_us)
    return found


def _safety_scores(
    events: Iterable[object], settings: SafetyScoreSettings
) -> dict[str, tuple[bool, float]]:
    """Per content id the batch touches: whether a moderator's decision reset its safety
    score, and the highest classifier or rule score flagged after that (times its
    category's weight).

    A flag is evidence that the item may be harmful before anyone has decided; a
    moderator's decision on the item's policy is the verdict (the gate applies the
    policy state from then on), so the score stops counting. Events apply in order: a
    flag raised after a decision counts again.
    """
    out: dict[str, tuple[bool, float]] = {}
    for event in events:
        if isinstance(event, ModerationFlag):
            if (
                event.subject_type == "content"
                and event.source in _SCORED_SOURCES
                and event.score is not None
            ):
                reset, score = out.get(event.subject_id, (False, 0.0))
                weighted = settings.weight(event.category) * float(event.score)
                out[event.subject_id] = (reset, max(score, weighted))
        elif (
            isinstance(event, PolicyChanged)
            and event.subject_type == "content"
            and event.review_status == MODERATOR_DECISION
        ):
            out[event.subject_id] = (True, 0.0)
    return out


def _load_user_items(
    conn: Connection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored ``feed_user_items`` rows of ``keys`` (user id, content id)."""
    current: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        for r in conn.execute(
            select(_user_items).where(
                in_keys(conn, [_user_items.c.user_id, _user_items.c.content_id], chunk)
            )
        ).mappings():
            current[(r["user_id"], r["content_id"])] = dict(r)
    return current
