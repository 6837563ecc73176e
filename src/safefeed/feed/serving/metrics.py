"""Feed metrics: live Prometheus counters per response, and window summaries from
the served log and the event log (``safefeed metrics``).

The summaries: source contribution, harmful and limited-distribution exposure rate
(served items whose policy state is now harmful, or limited), hides and reports
per 1,000 sessions, repeat creator and topic rate (consecutive items of a page
with the same creator, or sharing a topic), creator exposure
concentration (Gini), new-creator exposure and the fallback rate.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Connection, func, select

from safefeed.feed.contracts import FeedResponse
from safefeed.store.feed_tables import FeedRequestRow, FeedServedItem
from safefeed.store.tables import Content, EventRow, PolicyStateRow, table_of

__all__ = ["HARMFUL_STATES", "FeedPrometheus", "gini", "summarize"]

_served = table_of(FeedServedItem)
_requests = table_of(FeedRequestRow)
_states = table_of(PolicyStateRow)
_events = table_of(EventRow)
_content = table_of(Content)

#: Policy states that count as harmful exposure once an item is in them.
HARMFUL_STATES = ("blocked", "deleted", "restricted", "age_or_region_restricted")


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: 0 is perfectly even, near 1 concentrated.

    >>> gini([1, 1, 1, 1]), round(gini([0, 0, 0, 10]), 3)
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


class FeedPrometheus:
    """Counters on an app's registry, updated for every response."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "safefeed_feed_requests_total",
            "Feed responses by surface and mode (fallback rate = mode fallback / all)",
            ["surface", "mode"],
            registry=registry,
        )
        self.items = Counter(
            "safefeed_feed_items_served_total",
            "Items served by surface and source (source contribution)",
            ["surface", "source"],
            registry=registry,
        )
        self.models = Counter(
            "safefeed_feed_ranker_model_total",
            "Feed responses by ranker and task-model version (learned or smoothed)",
            ["ranker", "model"],
            registry=registry,
        )
        self.limited = Counter(
            "safefeed_feed_limited_items_served_total",
            "Items served with a limit or label action, by surface",
            ["surface", "action"],
            registry=registry,
        )

    def observe(self, response: FeedResponse) -> None:
        self.requests.labels(response.surface, response.mode).inc()
        versions = response.versions
        self.models.labels(versions.get("ranker", ""), versions.get("model", "")).inc()
        # One increment per source and per action, not per item: each `labels` call
        # takes the metric's lock and builds its key, twenty-odd times a page.
        for source, count in Tally(item.source for item in response.items).items():
            self.items.labels(response.surface, source).inc(count)
        limited = Tally(item.action for item in response.items if item.action != "allow")
        for action, count in limited.items():
            self.limited.labels(response.surface, action).inc(count)


def summarize(conn: Connection, since_us: int, until_us: int) -> dict[str, Any]:
    """The feed's safety and diversity metrics over [since, until)."""
    window = (_served.c.ts_us >= since_us) & (_served.c.ts_us < until_us)
    rows = conn.execute(
        select(
            _served.c.request_id,
            _served.c.content_id,
            _served.c.creator_id,
            _served.c.position,
            _served.c.source,
            _served.c.action,
        )
        .where(window)
        .order_by(_served.c.request_id, _served.c.position)
    ).all()
    total = len(rows)
    states = dict(
        conn.execute(
            select(_states.c.subject_id, _states.c.state).where(
                _states.c.subject_type == "content",
                _states.c.subject_id.in_(
                    select(_served.c.content_id).where(window).distinct().scalar_subquery()
                ),
            )
        ).all()
    )
    by_source = Tally(r.source for r in rows)
    creators = Tally(r.creator_id for r in rows)
    harmful = sum(1 for r in rows if states.get(r.content_id) in HARMFUL_STATES)
    limited = sum(
        1
        for r in rows
        if r.action in ("limit", "label") or states.get(r.content_id) == "limited_distribution"
    )
    topics: dict[str, set[str]] = {
        cid: set(names or ())
        for cid, names in conn.execute(
            select(_content.c.content_id, _content.c.topics).where(
                _content.c.content_id.in_(
                    select(_served.c.content_id).where(window).distinct().scalar_subquery()
                )
            )
        ).all()
    }
    repeats = topic_repeats = pairs = 0
    previous: Any = None
    for r in rows:
        if previous is not None and previous.request_id == r.request_id:
            pairs += 1
            repeats += int(previous.creator_id == r.creator_id)
            shared = topics.get(previous.content_id, set()) & topics.get(r.content_id, set())
            topic_repeats += bool(shared)
        previous = r
    request_window = (_requests.c.ts_us >= since_us) & (_requests.c.ts_us < until_us)
    modes: dict[str, int] = dict(
        conn.execute(
            select(_requests.c.mode, func.count()).where(request_window).group_by(_requests.c.mode)
        ).all()
    )
    n_requests = sum(modes.values())
    event_window = (_events.c.ts_us >= since_us) & (_events.c.ts_us < until_us)
    counts: dict[str, int] = dict(
        conn.execute(
            select(_events.c.type, func.count())
            .where(event_window, _events.c.type.in_(["hide", "report", "session_end"]))
            .group_by(_events.c.type)
        ).all()
    )
    sessions = max(int(counts.get("session_end", 0)), 1)

    def rate(n: int) -> float:
        return n / total if total else 0.0

    return {
        "served_items": total,
        "requests": n_requests,
        "source_contribution": {k: rate(v) for k, v in sorted(by_source.items())},
        "harmful_exposure_rate": rate(harmful),
        "limited_exposure_rate": rate(limited),
        "hides_per_1k_sessions": 1000.0 * counts.get("hide", 0) / sessions,
        "reports_per_1k_sessions": 1000.0 * counts.get("report", 0) / sessions,
        "repeat_creator_rate": repeats / pairs if pairs else 0.0,
        "repeat_topic_rate": topic_repeats / pairs if pairs else 0.0,
        "creator_gini": gini(list(creators.values())),
        "new_creator_exposure": rate(by_source.get("exploration", 0)),
        "fallback_rate": modes.get("fallback", 0) / n_requests if n_requests else 0.0,
    }
