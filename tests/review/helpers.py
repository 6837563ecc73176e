"""Review-queue cases written straight into the store, and a queue over it on a manual clock."""

from __future__ import annotations

from typing import Any

from safefeed.audit import AuditLog
from safefeed.clock import ManualClock
from safefeed.policy.store import PolicyStore
from safefeed.review.queue import ReviewQueue
from safefeed.risk.config import load_risk_config
from safefeed.risk.interventions import InterventionLedger
from safefeed.store.database import Database
from safefeed.store.risk_tables import RiskCase
from safefeed.store.tables import table_of
from tests.support.policy import NOW

__all__ = ["seed_cases", "store_queue"]

_cases = table_of(RiskCase)


def seed_cases(database: Database, count: int, **values: Any) -> list[str]:
    """``count`` medium cases in the standard queue, waiting since the epoch, the later
    ones of higher priority; ``values`` overrides columns of every one."""
    ids = [f"rc_{n:04d}" for n in range(count)]
    rows = [
        {
            "case_id": case_id,
            "category": "escalation",
            "subject_type": "creator",
            "subject_id": f"c{n}",
            "tier": "medium",
            "peak_tier": "medium",
            "score": 0.7,
            "lower": 0.5,
            "upper": 0.9,
            "line": {
                "tier": "medium",
                "confidence": [0.5, 0.9],
                "signals": {"velocity": n / count},
            },
            "queue": "standard",
            "status": "waiting",
            "base_priority": 2.0 + n / count,
            "first_surfaced_us": 0,
            "queued_us": 0,
            "updated_us": 0,
            "config_version": "test",
            **values,
        }
        for n, case_id in enumerate(ids)
    ]
    with database.write() as conn:
        conn.execute(_cases.insert(), rows)
    return ids


def store_queue(database: Database) -> tuple[ReviewQueue, ManualClock]:
    """The review queue over ``database`` with the packaged configuration, and its clock."""
    clock = ManualClock(NOW)
    audit = AuditLog(clock)
    config = load_risk_config()
    ledger = InterventionLedger(PolicyStore(database, audit, clock), audit, config.version)
    return ReviewQueue(audit, clock, config, ledger), clock
