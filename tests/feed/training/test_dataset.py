"""Served impressions joined with the outcomes that followed them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from safefeed.clock import ManualClock, to_us
from safefeed.demo import generate_demo_events
from safefeed.feed.contracts import FeedRequest, FeedResponse
from safefeed.feed.ranking.features import MODEL_INPUTS
from safefeed.feed.training import build_dataset
from safefeed.ingest.pipeline import IngestContext
from safefeed.runtime import Runtime
from safefeed.store.feed_tables import FeedServedItem
from safefeed.store.tables import table_of

_served = table_of(FeedServedItem)


def load_demo(runtime: Runtime, clock: ManualClock, items: int = 80) -> None:
    events = generate_demo_events(3, users=40, creators=8, items=items, days=1, start=clock.now())
    result = runtime.ingestor.ingest_records(events, IngestContext(actor="test"))
    assert result.rejected == []
    clock.advance(2 * 86_400)


def send(runtime: Runtime, clock: ManualClock, events: list[dict[str, Any]]) -> None:
    stamp = clock.now().isoformat().replace("+00:00", "Z")
    body = [{"event_id": f"o{i}-{stamp}", "ts": stamp, **e} for i, e in enumerate(events)]
    assert runtime.ingestor.ingest_records(body, IngestContext(actor="test")).rejected == []


def serve(runtime: Runtime, user: str) -> FeedResponse:
    response = runtime.feed.serve([FeedRequest(user_id=user, page_size=6)])[0]
    assert len(response.items) >= 5, response.explanation
    return response


def test_labels_come_from_the_outcomes_of_each_impression(
    runtime: Runtime, clock: ManualClock
) -> None:
    load_demo(runtime, clock, items=200)
    start = clock.now()
    page = serve(runtime, "u00001")
    a, b, c, d, e = page.items[:5]
    clock.advance(30)
    ctx = {"user_id": "u00001", "request_id": page.request_id}
    send(
        runtime,
        clock,
        [
            {"type": "open", **ctx, "content_id": a.content_id},
            # A long dwell on ``a``: satisfied whatever its length.
            {"type": "dwell", **ctx, "content_id": a.content_id, "dwell_ms": 3_600_000.0},
            {"type": "save", **ctx, "content_id": a.content_id},
            {"type": "open", **ctx, "content_id": b.content_id},
            {"type": "dwell", **ctx, "content_id": b.content_id, "dwell_ms": 100.0},
            {"type": "report", **ctx, "content_id": c.content_id, "reason": "spam"},
            # No request id: joined to the user's latest impression of the item.
            {"type": "hide", "user_id": "u00001", "content_id": d.content_id},
            {"type": "follow", "user_id": "u00001", "creator_id": e.creator_id},
        ],
    )
    data = build_dataset_now(runtime, clock, start)
    assert data.inputs == MODEL_INPUTS
    assert len(data) == len(page.items)
    by_position = {int(p): i for i, p in enumerate(data.position)}
    expect = {
        0: {"open", "dwell", "save"},
        1: {"open"},
        2: {"report"},
        3: {"hide"},
        4: {"follow"},
    }
    for position, tasks in expect.items():
        row = by_position[position]
        got = {task for task, values in data.labels.items() if values[row]}
        # A follow labels every impression of that creator on the page.
        if page.items[position].creator_id == e.creator_id:
            tasks = tasks | {"follow"}
        assert got == tasks, (position, got)


def build_dataset_now(runtime: Runtime, clock: ManualClock, start: Any) -> Any:
    with runtime.database.read() as conn:
        return build_dataset(conn, to_us(start), to_us(clock.now() + timedelta(seconds=1)))


def test_the_logged_features_are_the_ones_the_ranker_scored(
    runtime: Runtime, clock: ManualClock
) -> None:
    load_demo(runtime, clock, items=200)
    start = clock.now()
    page = serve(runtime, "u00002")
    with runtime.database.read() as conn:
        stored = {
            r.content_id: r.components["features"]
            for r in conn.execute(
                select(_served.c.content_id, _served.c.components).where(
                    _served.c.request_id == page.request_id
                )
            )
        }
    for item in page.items:
        assert set(MODEL_INPUTS) <= set(item.features)
        assert stored[item.content_id] == item.features
    data = build_dataset_now(runtime, clock, start)
    first = data.matrix[list(data.position).index(0)]
    expected = [page.items[0].features[name] for name in MODEL_INPUTS]
    assert np.allclose(first, expected)
