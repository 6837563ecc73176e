"""Served traffic for the demo platform: real feed pages and what users did with them.

`serve_demo_traffic` asks the real `FeedEngine` for home pages for demo users, on a
manual clock that starts after the store's last event, and answers every served
item with v1 events (impression, open, dwell, save, follow, hide, report) that
name the serving request and position, ingested through the real pipeline. The
served log then holds the features every item was scored with and the event log
the outcomes, which is what `safefeed train ranker` learns from.

How users respond is a fixed, seeded model the engine never sees: each user has
three topics they care about, each item a hidden appeal, and the chance a slot is
looked at falls with its position. Risky items (policy states that allow reduced
distribution) draw more opens but also more hides, reports and short dwells.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select

from safefeed.clock import ManualClock, from_us, to_us
from safefeed.exceptions import InputError
from safefeed.feed.catalog.dwell import expected_dwell_s
from safefeed.feed.contracts import FeedRequest, FeedResponse
from safefeed.ingest.pipeline import IngestContext
from safefeed.runtime import Runtime
from safefeed.store.database import Database
from safefeed.store.feed_tables import FeedAffinity, FeedRequestRow
from safefeed.store.tables import Account, EventRow, PolicyStateRow, table_of

__all__ = ["TrafficSummary", "serve_demo_traffic", "traffic_start"]

_accounts = table_of(Account)
_affinities = table_of(FeedAffinity)
_states = table_of(PolicyStateRow)
_events = table_of(EventRow)
_requests = table_of(FeedRequestRow)

#: Policy states whose items may still reach a feed with reduced reach: the users'
#: model treats them as the clickable, regretted kind.
_RISKY = ("limited_distribution", "needs_review", "not_recommendable", "restricted")
_FORMAT_PULL = np.array([0.0, -0.2, 0.1, 0.4, -0.3, -0.4])  # order of catalog FORMATS


@dataclass(frozen=True, slots=True)
class TrafficSummary:
    """What one run served and sent."""

    pages: int
    impressions: int
    events: int
    started_at: str
    ended_at: str


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _appeal(content_id: str) -> float:
    digest = hashlib.blake2b(content_id.encode(), digest_size=8).digest()
    return float(np.random.default_rng(int.from_bytes(digest, "little")).standard_normal())


def traffic_start(database: Database) -> ManualClock:
    """A manual clock one minute after the newest event or served page in the store."""
    with database.read() as conn:
        last_event = conn.execute(select(func.max(_events.c.ts_us))).scalar_one_or_none()
        last_page = conn.execute(select(func.max(_requests.c.ts_us))).scalar_one_or_none()
    newest = max(last_event or 0, last_page or 0)
    if newest == 0:
        raise InputError("the store is empty: load the demo platform first (safefeed demo)")
    return ManualClock(from_us(newest) + timedelta(minutes=1))


class _Users:
    """The hidden side of the demo's users: the topics each one cares about."""

    def __init__(self, runtime: Runtime, rng: np.random.Generator, topics: list[str]) -> None:
        with runtime.database.read() as conn:
            self.ids = list(
                conn.execute(
                    select(_accounts.c.user_id)
                    .where(_accounts.c.is_creator.is_(False))
                    .order_by(_accounts.c.user_id)
                ).scalars()
            )
            rows = conn.execute(
                select(_affinities.c.user_id, _affinities.c.key, _affinities.c.weight).where(
                    _affinities.c.kind == "topic"
                )
            ).all()
            self.risky = set(
                conn.execute(
                    select(_states.c.subject_id).where(
                        _states.c.subject_type == "content", _states.c.state.in_(_RISKY)
                    )
                ).scalars()
            )
        if not self.ids:
            raise InputError("no user accounts in the store: load the demo platform first")
        learned: dict[str, list[tuple[float, str]]] = {}
        for user, key, weight in rows:
            learned.setdefault(user, []).append((weight, key))
        self.topics: dict[str, set[str]] = {}
        for user in self.ids:
            known = [key for _, key in sorted(learned.get(user, []), reverse=True)[:3]]
            drawn = (
                rng.choice(topics, size=3 - len(known), replace=False).tolist() if topics else []
            )
            self.topics[user] = set(known) | set(drawn)
        self.activity = rng.lognormal(0.0, 1.0, len(self.ids))
        self.activity /= self.activity.sum()


def _respond(
    runtime: Runtime,
    users: _Users,
    response: FeedResponse,
    rng: np.random.Generator,
    at: str,
    ids: Any,
) -> list[dict[str, Any]]:
    catalog = runtime.feed.catalog
    view = catalog.view
    interests = users.topics[response.user_id]
    context = {
        "user_id": response.user_id,
        "surface": response.surface,
        "session_id": f"sess-{response.request_id}",
        "request_id": response.request_id,
    }
    events: list[dict[str, Any]] = []

    def send(kind: str, **fields: Any) -> None:
        events.append({"event_id": f"traffic-{next(ids)}", "type": kind, "ts": at, **fields})

    for item in response.items:
        row = catalog.index_of[item.content_id]
        base = {**context, "content_id": item.content_id, "position": item.position}
        quality = float(view.col("quality")[row])
        duration = float(view.col("duration")[row])
        pull = float(_FORMAT_PULL[int(view.col("format")[row])])
        interested = float(bool(interests & set(catalog.candidate(row).topics)))
        risky = float(item.content_id in users.risky)
        seen = 1.0 / (1.0 + 0.25 * item.position)  # examination falls with position
        send("impression", **base)
        appeal = _appeal(item.content_id)
        p_open = seen * _sigmoid(-2.4 + 2.2 * quality + 1.1 * interested + 0.6 * appeal + pull)
        p_open = min(1.0, p_open + 0.05 * risky)
        if rng.random() < p_open:
            send("open", **base)
            satisfied = rng.random() < _sigmoid(
                -0.3 + 1.3 * interested + 2.0 * (quality - 0.6) + 0.4 * appeal - 1.2 * risky
            )
            share = rng.uniform(0.6, 1.6) if satisfied else rng.uniform(0.05, 0.4)
            dwell_s = min(share * float(expected_dwell_s(duration)), 3600.0)
            send("dwell", **base, dwell_ms=round(dwell_s * 1000.0))
            if rng.random() < 0.02 + 0.08 * interested * quality * satisfied:
                send("save", **base)
            if rng.random() < 0.005 + 0.03 * interested * satisfied:
                send("follow", user_id=response.user_id, creator_id=item.creator_id)
        if rng.random() < seen * (0.008 + 0.015 * (1 - interested) + 0.08 * risky):
            send("hide", **base)
        if rng.random() < seen * (0.0008 + 0.03 * risky):
            send("report", **base, reason="offensive" if risky else "other")
    send("session_end", **context)
    return events


def serve_demo_traffic(
    runtime: Runtime,
    clock: ManualClock,
    *,
    pages: int = 3000,
    batch: int = 100,
    seed: int = 11,
    ranker: str | None = None,
    minutes_per_batch: float = 10.0,
) -> TrafficSummary:
    """Serve ``pages`` home pages in batches and ingest the users' responses
    (see the module docstring). ``runtime`` must run on ``clock``."""
    if runtime.clock is not clock:
        raise InputError("the runtime must run on the traffic clock")
    rng = np.random.default_rng(seed)
    users = _Users(runtime, rng, list(runtime.feed.refresh(clock.now()).topic_names))
    start = clock.now()
    counter = (f"{to_us(start)}-{n}" for n in itertools.count())
    context = IngestContext(actor="demo:traffic")
    served = impressions = sent = 0
    while served < pages:
        size = min(batch, pages - served)
        chosen = rng.choice(len(users.ids), size=size, replace=False, p=users.activity)
        requests = [FeedRequest(user_id=users.ids[i], ranker=ranker) for i in chosen]
        responses = runtime.feed.serve(requests)
        at = (clock.now() + timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
        events = [e for r in responses for e in _respond(runtime, users, r, rng, at, counter)]
        for first in range(0, len(events), runtime.ingestor.max_batch):
            result = runtime.ingestor.ingest_records(
                events[first : first + runtime.ingestor.max_batch], context
            )
            if result.rejected:
                raise InputError(f"traffic event rejected: {result.rejected[0].error}")
        served += size
        impressions += sum(len(r.items) for r in responses)
        sent += len(events)
        clock.advance(minutes_per_batch * 60.0)
    return TrafficSummary(served, impressions, sent, start.isoformat(), clock.now().isoformat())
