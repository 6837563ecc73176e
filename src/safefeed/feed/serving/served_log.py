"""The served log: every response, item by item, with the versions in force.

Exposure queries ("who was served item X between t1 and t2") and incident scoping
read it; so do the debug trace and "why am I seeing this".

A trace keeps each served item's gate rule path. Almost every one is nine outcomes
of "allow" with no reason, so such a path is stored as one line, the rules in order
with ``-`` before those that did not apply (`rule_path`), and read back as the full
outcomes (`request_trace`): about half the trace to encode and store per page, the same trace
for the auditor.

A long-running server writes it behind the response (`ServedLogWriter`): a bounded
in-process queue that one thread drains in batches, one transaction per batch, each
gathering what is served within a short linger (a group commit). Whoever reads served
data in that process calls `ServedLogWriter.flush` first, so nothing observable
changes there."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import OperationalError

from safefeed.clock import from_us
from safefeed.exceptions import StoreError
from safefeed.feed.contracts import FeedResponse
from safefeed.policy.rules import ACTION_NAMES, Action, RuleOutcome
from safefeed.store.database import Database, json_text
from safefeed.store.feed_tables import FeedRequestRow, FeedServedItem
from safefeed.store.tables import table_of
from safefeed.store.upsert import insert_rows

__all__ = [
    "ServedLogWriter",
    "expand_rule_path",
    "exposure",
    "request_trace",
    "rule_path",
    "served_item",
    "write_served",
]

_requests = table_of(FeedRequestRow)
_served = table_of(FeedServedItem)
_Rows = list[dict[str, Any]]
_log = logging.getLogger(__name__)


# How a rule's status is marked in a one-line path (allowed, no reason).
_MARKS = {"applied": "", "not_applicable": "-"}
_STATUS_OF_MARK = {"-": "not_applicable"}
_ALLOW = ACTION_NAMES[Action.ALLOW]


def rule_path(outcomes: Sequence[RuleOutcome]) -> str | list[dict[str, str]]:
    """An item's gate outcomes as a trace stores them: one line when every rule allowed
    it without a reason and applied or did not apply (nearly every served item), the
    full outcomes otherwise.

    >>> rule_path([RuleOutcome("denylist", "applied", Action.ALLOW),
    ...            RuleOutcome("region", "not_applicable", Action.ALLOW)])
    'denylist -region'
    >>> expand_rule_path('denylist -region')[1]
    {'rule': 'region', 'status': 'not_applicable', 'action': 'allow', 'reason': ''}
    """
    if all(o.action == Action.ALLOW and not o.reason and o.status in _MARKS for o in outcomes):
        return " ".join(_MARKS[o.status] + o.rule for o in outcomes)
    return [o.as_dict() for o in outcomes]


def expand_rule_path(path: str | list[dict[str, str]]) -> list[dict[str, str]]:
    """The full outcomes of a stored rule path (`rule_path`)."""
    if not isinstance(path, str):
        return path
    return [
        {
            "rule": token.lstrip("-"),
            "status": _STATUS_OF_MARK.get(token[0], "applied"),
            "action": _ALLOW,
            "reason": "",
        }
        for token in path.split()
    ]


def _rows(responses: Sequence[FeedResponse], now_us: int) -> tuple[_Rows, _Rows]:
    requests = [
        {
            "request_id": r.request_id,
            "user_id": r.user_id,
            "surface": r.surface,
            "ts_us": now_us,
            "mode": r.mode,
            "page": r.page,
            "versions": json_text(r.versions),
            "trace": json_text(r.trace),
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
            "components": json_text(
                {
                    "parts": i.components,
                    "sources": list(i.sources),
                    "why": list(i.reasons),
                    "features": i.features,
                }
            ),
            "ts_us": now_us,
            "reasons": "",
        }
        for r in responses
        for i in r.items
    ]
    return requests, items


def _insert(conn: Connection, requests: _Rows, items: _Rows) -> None:
    # The JSON columns are already the store's JSON text (`_rows`): straight to the
    # driver, where SQLAlchemy's per-row processing cost more than the inserts.
    insert_rows(conn, _requests, requests)
    insert_rows(conn, _served, items)


def write_served(conn: Connection, responses: Sequence[FeedResponse], now_us: int) -> None:
    """Append the responses (and their traces) to the served log."""
    _insert(conn, *_rows(responses, now_us))


class ServedLogWriter:
    """Writes the served log on a thread of its own, behind the responses.

    `put` queues a batch of responses and returns; the thread writes whatever is
    queued, up to ``max_batch`` entries, in one transaction, once the first entry has
    waited ``linger_seconds`` for others to join it (sooner when the batch is full, a
    `flush` waits or the writer closes). A full queue
    (``max_pending`` entries) makes `put` wait for room: memory stays bounded and a
    slow store slows serving rather than losing records. A write that fails because
    the store is unreachable is retried with backoff; only a record the store itself
    refuses is dropped (and logged). `flush` waits until everything queued before it is
    in the store; `close` drains the queue and stops the thread.
    """

    def __init__(
        self,
        database: Database,
        *,
        max_pending: int = 1024,
        max_batch: int = 256,
        linger_seconds: float = 0.05,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._database = database
        self._max_pending = max_pending
        self._max_batch = max_batch
        self._linger = linger_seconds
        self._timeout = timeout_seconds
        self._pending: deque[tuple[Sequence[FeedResponse], int]] = deque()
        self._changed = threading.Condition()
        self._queued = 0  # entries ever queued ...
        self._written = 0  # ... and ever written: flush waits for the one to reach the other
        self._flushing = 0  # `flush` calls waiting: they cut the linger short
        self._idle = False  # the thread waits for a first entry: `put` must wake it
        self._closed = False
        #: Failed write attempts so far (each retried), and records the store refused.
        self.errors = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="feed-served-log", daemon=True)
        self._thread.start()

    def put(self, responses: Sequence[FeedResponse], now_us: int) -> bool:
        """Queue ``responses`` served at ``now_us``. False when the writer is closed
        (the caller then writes them itself)."""
        deadline = time.monotonic() + self._timeout
        with self._changed:
            while not self._closed and len(self._pending) >= self._max_pending:
                if not self._changed.wait(deadline - time.monotonic()):
                    raise StoreError("the served log is not being written: its queue is full")
            if self._closed:
                return False
            self._pending.append((responses, now_us))
            self._queued += 1
            # A lingering writer is not woken per entry: each wake-up is a thread
            # switch on the serving path's CPU, for nothing until the batch is full.
            if self._idle or len(self._pending) >= self._max_batch:
                self._changed.notify_all()
        return True

    def flush(self) -> None:
        """Return once everything queued before this call is in the store."""
        deadline = time.monotonic() + self._timeout
        with self._changed:
            target = self._queued
            self._flushing += 1
            self._changed.notify_all()
            try:
                while self._written < target:
                    if not self._changed.wait(deadline - time.monotonic()):
                        raise StoreError("the served log could not be written in time")
            finally:
                self._flushing -= 1

    def close(self) -> None:
        """Write what is queued, then stop the thread (`put` returns False from now)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join(self._timeout)
        if self._thread.is_alive():
            raise StoreError("the served log could not be written before shutdown")

    def _run(self) -> None:
        while True:
            with self._changed:
                self._idle = True
                while not self._pending and not self._closed:
                    self._changed.wait()
                self._idle = False
                if not self._pending:
                    return  # closed and drained
                self._linger_for_batch()
                count = min(len(self._pending), self._max_batch)
                batch = [self._pending.popleft() for _ in range(count)]
                self._changed.notify_all()  # room for waiting `put`s
            self._write(batch)
            with self._changed:
                self._written += len(batch)
                self._changed.notify_all()

    def _linger_for_batch(self) -> None:
        """Wait (holding the condition) for more entries to join the first: one
        commit for many responses, where a commit per response cost the writer about
        twice the CPU per response (its fsync, the transaction, a wake-up each)."""
        deadline = time.monotonic() + self._linger
        while len(self._pending) < self._max_batch and not self._flushing and not self._closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._changed.wait(remaining)

    def _write(self, batch: list[tuple[Sequence[FeedResponse], int]]) -> None:
        rows = [_rows(responses, now_us) for responses, now_us in batch]
        requests = [r for request_rows, _ in rows for r in request_rows]
        items = [i for _, item_rows in rows for i in item_rows]
        delay = 0.05
        while True:
            try:
                with self._database.write() as conn:
                    _insert(conn, requests, items)
                return
            except (StoreError, OperationalError):  # the store is away: retry, lose nothing
                self.errors += 1
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except Exception:
                # A row the store refuses (say, a request id served twice) must not
                # block the queue nor take the rest of its batch down with it.
                self.errors += 1
                for entry in rows:
                    self._write_alone(*entry)
                return

    def _write_alone(self, requests: _Rows, items: _Rows) -> None:
        try:
            with self._database.write() as conn:
                _insert(conn, requests, items)
        except Exception:
            self.dropped += 1
            _log.exception("served-log record refused by the store, dropped")


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
    trace = dict(row.trace)
    trace["items"] = [
        {**item, "rules": expand_rule_path(item.get("rules", []))}
        for item in trace.get("items", [])
    ]
    return {
        "request_id": row.request_id,
        "user_id": row.user_id,
        "surface": row.surface,
        "served_at": from_us(row.ts_us).isoformat(),
        "mode": row.mode,
        "page": row.page,
        "versions": row.versions,
        "trace": trace,
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
