"""The event log: accepted events, stored as received, readable in time order by
subject and by time range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, or_, select

from safefeed.clock import from_us, to_us
from safefeed.events.parsing import ParsedEvent
from safefeed.store.database import json_text
from safefeed.store.keys import in_keys
from safefeed.store.tables import EventRow, EventSubject, table_of
from safefeed.store.upsert import insert_values
from safefeed.types import SubjectKey

__all__ = ["EventLog", "StoredEvent"]

_events = table_of(EventRow)
_subjects = table_of(EventSubject)

_EVENT_COLUMNS = ("event_id", "type", "ts_us", "received_us", "payload")
_SUBJECT_COLUMNS = ("subject_type", "subject_id", "ts_us", "event_id")
# Bound on the number of parameters in one IN (...) list, well inside every back end's limit.
_CHUNK = 900


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the log holds it."""

    seq: int
    event_id: str
    type: str
    ts: datetime
    payload: dict[str, Any]

    @property
    def cursor(self) -> tuple[int, int]:
        """Position in time order, for paging with `EventLog.read`."""
        return (to_us(self.ts), self.seq)


class EventLog:
    """Append and read the event log inside the caller's transaction."""

    @staticmethod
    def existing_ids(conn: Connection, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` the log already holds."""
        found: set[str] = set()
        for start in range(0, len(event_ids), _CHUNK):
            chunk = event_ids[start : start + _CHUNK]
            found.update(
                conn.execute(
                    select(_events.c.event_id).where(in_keys(conn, [_events.c.event_id], chunk))
                ).scalars()
            )
        return found

    def append(
        self, conn: Connection, events: Sequence[ParsedEvent], received_at: datetime
    ) -> tuple[list[ParsedEvent], int]:
        """Store the events the log does not hold yet (by ``event_id``, including
        repeats inside the batch). Returns the newly stored events and the number of
        duplicates skipped."""
        seen = self.existing_ids(conn, [p.event.event_id for p in events])
        fresh: list[ParsedEvent] = []
        for parsed in events:
            if parsed.event.event_id in seen:
                continue
            seen.add(parsed.event.event_id)
            fresh.append(parsed)
        if not fresh:
            return [], len(events)
        received_us = to_us(received_at)
        rows: list[tuple[str, str, int, int, str]] = []
        subject_rows: list[tuple[str, str, int, str]] = []
        for parsed in fresh:
            event = parsed.event
            ts_us = to_us(event.ts)
            rows.append((event.event_id, event.type, ts_us, received_us, json_text(parsed.raw)))
            subject_rows.extend(
                (kind, ident, ts_us, event.event_id)
                for kind, ident in dict.fromkeys(event.subjects())
            )
        insert_values(conn, _events, _EVENT_COLUMNS, rows)
        insert_values(conn, _subjects, _SUBJECT_COLUMNS, subject_rows)
        return fresh, len(events) - len(fresh)

    @staticmethod
    def read(
        conn: Connection,
        *,
        subject: SubjectKey | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        types: Sequence[str] | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 1000,
    ) -> list[StoredEvent]:
        """Events in time order (ties by arrival), optionally for one subject, within
        ``[since, until)`` and of the given types. Page with ``after``, the `cursor` of
        the last event of the previous page."""
        query = select(_events)
        if subject is not None:
            query = query.join(_subjects, _subjects.c.event_id == _events.c.event_id).where(
                _subjects.c.subject_type == subject[0], _subjects.c.subject_id == subject[1]
            )
            ts_column = _subjects.c.ts_us
        else:
            ts_column = _events.c.ts_us
        if since is not None:
            query = query.where(ts_column >= to_us(since))
        if until is not None:
            query = query.where(ts_column < to_us(until))
        if types:
            query = query.where(_events.c.type.in_(list(types)))
        if after is not None:
            after_ts, after_seq = after
            query = query.where(
                or_(ts_column > after_ts, and_(ts_column == after_ts, _events.c.seq > after_seq))
            )
        query = query.order_by(_events.c.ts_us, _events.c.seq).limit(limit)
        return [_stored(row._mapping) for row in conn.execute(query)]

    @staticmethod
    def count(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(_events)).scalar_one())


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        seq=row["seq"],
        event_id=row["event_id"],
        type=row["type"],
        ts=from_us(row["ts_us"]),
        payload=orjson.loads(row["payload"]),
    )
