"""The live path: the risk funnel as an ingest consumer.

Runs inside the ingest transaction: each stored event goes through the same
`RiskFunnel` replay uses; case updates are written to ``risk_cases`` (the review
queue's table), interventions to the ledger per the rollout phase, and every
case change and intervention to the audit log. Lapsed interventions are rolled
back on every batch. Event-to-tier latency (from the batch reaching the funnel
to its cases being written) is recorded per batch.

The funnel's memory lives in this process; `RiskConsumer.warm_start` rebuilds it
from the recent event log when a server starts. Lapsed interventions are rolled
back on each batch and by `RiskConsumer.sweep`, which `RiskSweeper` calls on a
timer so they roll back even when no events arrive. A lock guards the funnel's
memory only, never held while waiting on the store, so a sweep and an ingest
transaction cannot deadlock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy import update as sql_update

from safefeed.audit import AuditLog
from safefeed.clock import Clock, to_us
from safefeed.events.models import EVENT_ADAPTER
from safefeed.events.parsing import ParsedEvent
from safefeed.ingest.pipeline import IngestContext
from safefeed.policy.store import PolicyStore
from safefeed.review.lease import waiting
from safefeed.review.priority import base_priority
from safefeed.risk.cases import CaseUpdate
from safefeed.risk.config import RiskConfig, load_risk_config
from safefeed.risk.funnel import RiskFunnel
from safefeed.risk.interventions import InterventionLedger, InterventionRequest
from safefeed.risk.signals import CONSUMED_TYPES
from safefeed.store.database import Database
from safefeed.store.event_log import EventLog
from safefeed.store.risk_tables import RiskCase
from safefeed.store.tables import EventRow, table_of
from safefeed.store.upsert import upsert

__all__ = ["FUNNEL_ACTOR", "RiskConsumer"]

FUNNEL_ACTOR = "risk-funnel"
_cases = table_of(RiskCase)
_events = table_of(EventRow)
_RANK = {"low": 1, "medium": 2, "high": 3}


class RiskConsumer:
    """Feeds stored events to the funnel and stores what it finds."""

    name = "risk"

    def __init__(
        self,
        policy: PolicyStore,
        audit: AuditLog,
        clock: Clock,
        config: RiskConfig | None = None,
    ) -> None:
        self.config = config or load_risk_config()
        self.clock = clock
        self.audit = audit
        self.funnel = RiskFunnel(self.config)
        self.ledger = InterventionLedger(policy, audit, self.config.version)
        self.latencies_ms: deque[float] = deque(maxlen=100_000)
        self.lock = threading.Lock()

    def consume(
        self, conn: Connection, events: Sequence[ParsedEvent], context: IngestContext
    ) -> None:
        started = time.perf_counter()
        overloaded = self._overloaded(conn, to_us(self.clock.now()))
        updates: list[CaseUpdate] = []
        with self.lock:
            self.funnel.overloaded = overloaded
            for parsed in events:
                updates.extend(self.funnel.observe(parsed.event))
        now_us = to_us(self.clock.now())
        if updates:
            self._store(conn, updates, now_us)
        self.ledger.expire(conn, now_us)
        self.latencies_ms.append((time.perf_counter() - started) * 1000.0)

    def sweep(self, conn: Connection) -> None:
        """Decay idle cases and roll back lapsed interventions at the current time."""
        now = self.clock.now()
        with self.lock:
            updates = self.funnel.sweep(now.timestamp())
        now_us = to_us(now)
        if updates:
            self._store(conn, updates, now_us)
        self.ledger.expire(conn, now_us)

    def warm_start(
        self, database: Database, *, days: float = 14.0, max_events: int = 2_000_000
    ) -> int:
        """Rebuild the funnel's memory from the last ``days`` of the event log.

        Only memory: the cases these events raised are already stored, and their
        ids are deterministic, so the rebuilt funnel continues them. At most the
        newest ``max_events`` are read, which bounds start-up time. Returns the
        number of events replayed.
        """
        since = self.clock.now() - timedelta(days=days)
        types = sorted(CONSUMED_TYPES)
        with database.read() as conn:
            # Accounts first, whatever their age: bands, zones and account ages are
            # context for everything after, and there is one event per account.
            replayed = self._replay_log(conn, ["account.created"], None, since, None)
            if replayed < max_events:
                after = _skip_oldest(conn, since, types, max_events - replayed)
                replayed += self._replay_log(conn, types, since, None, after)
        return replayed

    def _replay_log(
        self,
        conn: Connection,
        types: list[str],
        since: datetime | None,
        until: datetime | None,
        after: tuple[int, int] | None,
    ) -> int:
        replayed = 0
        while True:
            page = EventLog.read(
                conn, since=since, until=until, types=types, after=after, limit=5000
            )
            if not page:
                return replayed
            with self.lock:
                for stored in page:
                    self.funnel.observe(EVENT_ADAPTER.validate_python(stored.payload))
            replayed += len(page)
            after = page[-1].cursor

    def _overloaded(self, conn: Connection, now_us: int) -> bool:
        """More cases wait (a lapsed claim's too) than the team decides in the backlog bound."""
        count = conn.execute(
            select(func.count()).select_from(_cases).where(waiting(now_us))
        ).scalar_one()
        review = self.config.review
        return bool(count > review.capacity_per_hour * review.max_backlog_hours)

    def _store(self, conn: Connection, updates: Sequence[CaseUpdate], now_us: int) -> None:
        ids = list({u.case_id for u in updates})
        known = {
            row.case_id: row
            for row in conn.execute(
                select(
                    _cases.c.case_id, _cases.c.status, _cases.c.peak_tier, _cases.c.queued_us
                ).where(_cases.c.case_id.in_(ids))
            )
        }
        rows: dict[str, dict[str, Any]] = {}
        audit: list[dict[str, Any]] = []
        requests: list[InterventionRequest] = []
        versions = self.funnel.versions()
        for update in updates:
            line = update.line
            case_id = update.case_id
            before = known.get(case_id)
            status = before.status if before is not None else "none"
            queued_us = before.queued_us if before is not None else None
            peak = before.peak_tier if before is not None else line["tier"]
            if _RANK[line["tier"]] > _RANK[peak]:
                peak = line["tier"]
            queue = line["signals"].get("queue")
            if update.change == "closed":
                # A queued case stays queued: subsiding risk rolls interventions back,
                # but a person still looks at what was surfaced.
                status = "closed" if status == "none" else status
            elif queue and status in ("none", "closed"):
                status, queued_us = "waiting", queued_us or now_us
            signals = line["signals"]
            rows[case_id] = {
                "case_id": case_id,
                "category": line["category"],
                "subject_type": line["subject_type"],
                "subject_id": line["subject_id"],
                "tier": line["tier"],
                "peak_tier": peak,
                "score": line["score"],
                "lower": line["confidence"][0],
                "upper": line["confidence"][1],
                "line": line,
                "queue": queue,
                "status": status,
                "base_priority": base_priority(
                    line["tier"],
                    velocity=signals.get("velocity", 0.0),
                    lower=line["confidence"][0],
                    severity=signals.get("severity", 0.0),
                    vulnerability=signals.get("audience_vulnerability", 0.0),
                ),
                "first_surfaced_us": (
                    int(update.t * 1_000_000)
                    if before is None
                    else rows.get(case_id, {}).get("first_surfaced_us")
                ),
                "queued_us": queued_us,
                "updated_us": now_us,
                "config_version": self.config.version,
            }
            known[case_id] = _Known(case_id, status, peak, queued_us)  # type: ignore[assignment]
            audit.append(
                {
                    "actor": FUNNEL_ACTOR,
                    "action": f"risk.case_{update.change}",
                    "reason": "; ".join(line["rationale"][:3]) or update.change,
                    "subject": (line["subject_type"], line["subject_id"]),
                    "versions": versions,
                    "details": {
                        "case_id": case_id,
                        "category": line["category"],
                        "tier": line["tier"],
                        "previous_tier": update.previous_tier,
                        "score": line["score"],
                        "confidence": line["confidence"],
                        "signals": signals,
                    },
                }
            )
            if update.change in ("lowered", "closed"):
                tier = None if update.change == "closed" else line["tier"]
                self.ledger.subside(conn, case_id, tier, now_us)
            elif update.route is not None:
                for item in update.route.interventions:
                    requests.append(
                        InterventionRequest(
                            case_id,
                            line["subject_type"],
                            line["subject_id"],
                            item.kind,
                            line["tier"],
                            item.ttl_hours,
                            item.apply,
                        )
                    )
        for row in rows.values():
            if row["first_surfaced_us"] is None:
                row.pop("first_surfaced_us")  # an existing case keeps its first surfacing
                conn.execute(
                    sql_update(_cases).where(_cases.c.case_id == row["case_id"]).values(row)
                )
            else:
                upsert(conn, _cases, [row], keys=["case_id"])
        self.audit.append_many(conn, audit)
        if requests:
            self.ledger.record(
                conn, requests, phase=self.config.phase, actor=FUNNEL_ACTOR, now_us=now_us
            )


def _skip_oldest(
    conn: Connection, since: datetime, types: list[str], keep: int
) -> tuple[int, int] | None:
    """The cursor before the newest ``keep`` events since ``since`` (None: keep all)."""
    window = (_events.c.ts_us >= to_us(since)) & _events.c.type.in_(types)
    total = conn.execute(select(func.count()).select_from(_events).where(window)).scalar_one()
    if total <= keep:
        return None
    row = conn.execute(
        select(_events.c.ts_us, _events.c.seq)
        .where(window)
        .order_by(_events.c.ts_us, _events.c.seq)
        .offset(total - keep - 1)
        .limit(1)
    ).one()
    return (int(row.ts_us), int(row.seq))


class _Known:
    __slots__ = ("case_id", "peak_tier", "queued_us", "status")

    def __init__(self, case_id: str, status: str, peak_tier: str, queued_us: int | None) -> None:
        self.case_id = case_id
        self.status = status
        self.peak_tier = peak_tier
        self.queued_us = queued_us
