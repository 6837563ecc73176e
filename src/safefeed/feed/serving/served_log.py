"""The served log: every response, item by item, with the versions in force.

Exposure queries ("who was served item X between t1 and t2") and incident scoping
read it; so do the debug trace and "why am I seeing this"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from safefeed.clock import from_us
from safefeed.feed.contracts import FeedResponse
from safefeed.store.feed_tables import FeedRequestRow, FeedServedItem
from safefeed.store.tables import table_of

__all__ = ["exposure", "request_trace", "served_item", "write_served"]

_requests = table_of(FeedRequestRow)
_served = table_of(FeedServedItem)


def write_served(conn: Connection, responses: Sequence[FeedResponse], now_us: int) -> None:
    """Append the responses (and their traces) to the served log."""
    requests = [
        {
            "request_id": r.request_id,
            "user_id": r.user_id,
            "surface": r.surface,
            "ts_us": now_us,
            "mode": r.mode,
            "page": r.page,
            "versions": r.versions,
            "trace": r.trace,
        }
        for r in responses
    ]
    items = [
        {
            "request_id": r.request_id,
            "user_id": r.user_id,
            "surface": r.surface,
            "content_id": i.content_id,
            "creator_id": i.creator_id,
            "position": i.position,
            "source": i.source,
            "action": i.action,
            "score": i.score,
            "components": {
                "parts": i.components,
                "sources": list(i.sources),
                "why": list(i.reasons),
                "features": i.features,
            },
            "ts_us": now_us,
            "reasons": "",
        }
        for r in responses
        for i in r.items
    ]
    # JSON columns: through SQLAlchemy's executemany (insert_rows takes plain values).
    if requests:
        conn.execute(insert(_requests), requests)
    if items:
        conn.execute(insert(_served), items)


def exposure(
    conn: Connection, content_id: str, since_us: int, until_us: int, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Every time ``content_id`` was served in [since, until): to whom, where, how."""
    rows = conn.execute(
        select(_served)
        .where(
            _served.c.content_id == content_id,
            _served.c.ts_us >= since_us,
            _served.c.ts_us < until_us,
        )
        .order_by(_served.c.ts_us, _served.c.id)
        .limit(limit)
    )
    return [
        {
            "user_id": r.user_id,
            "request_id": r.request_id,
            "surface": r.surface,
            "position": r.position,
            "source": r.source,
            "action": r.action,
            "served_at": from_us(r.ts_us).isoformat(),
        }
        for r in rows
    ]


def request_trace(conn: Connection, request_id: str) -> dict[str, Any] | None:
    """A served request with its versions and debug trace."""
    row = conn.execute(select(_requests).where(_requests.c.request_id == request_id)).first()
    if row is None:
        return None
    return {
        "request_id": row.request_id,
        "user_id": row.user_id,
        "surface": row.surface,
        "served_at": from_us(row.ts_us).isoformat(),
        "mode": row.mode,
        "page": row.page,
        "versions": row.versions,
        "trace": row.trace,
    }


def served_item(conn: Connection, request_id: str, content_id: str) -> dict[str, Any] | None:
    """One served item of a request: its source, score parts and reasons."""
    row = conn.execute(
        select(_served).where(
            _served.c.request_id == request_id, _served.c.content_id == content_id
        )
    ).first()
    if row is None:
        return None
    return {
        "request_id": row.request_id,
        "user_id": row.user_id,
        "content_id": row.content_id,
        "position": row.position,
        "source": row.source,
        "sources": row.components.get("sources", []),
        "components": row.components.get("parts", {}),
        "action": row.action,
        "why": row.components.get("why", []),
    }
