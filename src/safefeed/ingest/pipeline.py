"""Event ingestion: validate, deduplicate by ``event_id``, persist, hand to consumers.

Events and everything the consumers derive from them commit in one transaction,
and `Ingestor.ingest` returns only after that commit: an acknowledged event is a
stored event. Ingestion knows consumers only through the `Consumer` protocol; the
application decides which ones to wire (catalog, policy, text signals, later the
feed state and the risk funnel).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from safefeed.clock import Clock
from safefeed.collector import collector_paused
from safefeed.events.parsing import (
    LineError,
    ParsedBatch,
    ParsedEvent,
    parse_batch,
    validate_records,
)
from safefeed.exceptions import BatchTooLargeError, StoreError
from safefeed.store.database import Database
from safefeed.store.event_log import EventLog

__all__ = ["Consumer", "IngestContext", "IngestResult", "Ingestor"]


@dataclass(frozen=True, slots=True)
class IngestContext:
    """Who sent a batch: becomes the actor of every change the batch causes."""

    actor: str


class Consumer(Protocol):
    """Something that derives state from newly stored events, inside the same
    transaction that stores them."""

    name: str

    def consume(
        self, conn: Connection, events: Sequence[ParsedEvent], context: IngestContext
    ) -> None: ...


@dataclass(slots=True)
class IngestResult:
    """What happened to a batch."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[LineError] = field(default_factory=list)

    def merge(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [e.as_dict() for e in self.rejected],
        }


class Ingestor:
    """Turns batches of raw events into stored events and derived state."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        consumers: Sequence[Consumer] = (),
        *,
        max_batch: int = 10_000,
    ) -> None:
        self.database = database
        self.clock = clock
        self.consumers = list(consumers)
        self.max_batch = max_batch
        self.log = EventLog()

    def ingest_bytes(self, data: bytes, context: IngestContext) -> IngestResult:
        """Ingest a body that is a JSON array or JSON Lines (bounded by ``max_batch``)."""
        with collector_paused():
            batch = parse_batch(data, self.max_batch)
        return self.ingest_parsed(batch, context)

    def ingest_records(
        self, records: Iterable[dict[str, Any]], context: IngestContext
    ) -> IngestResult:
        """Ingest already-decoded event objects (line numbers count from 1)."""
        items = list(enumerate(records, start=1))
        if len(items) > self.max_batch:
            raise BatchTooLargeError(
                f"batch of {len(items)} events exceeds the limit of {self.max_batch}"
            )
        with collector_paused():
            batch = validate_records(items)
        return self.ingest_parsed(batch, context)

    def ingest_parsed(self, batch: ParsedBatch, context: IngestContext) -> IngestResult:
        """Store the valid events of a validated batch; the rejected lines are reported."""
        result = IngestResult(rejected=list(batch.errors))
        if not batch.events:
            return result
        # A concurrent writer on PostgreSQL may store the same event_id between our
        # duplicate check and insert; the retry sees it and skips it.
        for attempt in range(3):
            try:
                with collector_paused(), self.database.write() as conn:
                    fresh, duplicates = self.log.append(conn, batch.events, self.clock.now())
                    for consumer in self.consumers:
                        if fresh:
                            consumer.consume(conn, fresh, context)
                break
            except IntegrityError:
                if attempt == 2:
                    raise StoreError(
                        "could not store the batch: conflicting concurrent writes"
                    ) from None
        result.accepted = len(fresh)
        result.duplicates = duplicates
        return result
