from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import Connection, select, text

from safefeed.events.parsing import ParsedEvent, validate_records
from safefeed.ingest import IngestContext, Ingestor, IngestResult
from safefeed.runtime import Runtime
from safefeed.store.database import Database
from safefeed.store.event_log import EventLog
from safefeed.store.tables import Account, Content, FollowEdge, TextSignal
from tests.support.events import event

CTX = IngestContext(actor="service:test")


def lines(*events: dict[str, object]) -> bytes:
    return b"\n".join(orjson.dumps(e) for e in events)


def test_valid_lines_are_stored_and_bad_lines_reported(runtime: Runtime) -> None:
    result = runtime.ingestor.ingest_bytes(
        lines(
            event("like", event_id="a"),
            event("like", event_id="b", user_id=7),
            event("open", event_id="c"),
        ),
        CTX,
    )
    assert (result.accepted, result.duplicates) == (2, 0)
    assert [(e.line, e.event_id) for e in result.rejected] == [(2, "b")]
    with runtime.database.read() as conn:
        assert {e.event_id for e in EventLog.read(conn)} == {"a", "c"}


def test_resending_an_event_id_is_a_no_op(runtime: Runtime) -> None:
    first = runtime.ingestor.ingest_records(
        [event("like", event_id="a"), event("like", event_id="a")], CTX
    )
    again = runtime.ingestor.ingest_records([event("like", event_id="a", user_id="other")], CTX)
    assert (first.accepted, first.duplicates) == (1, 1)
    assert (again.accepted, again.duplicates) == (0, 1)
    with runtime.database.read() as conn:
        stored = EventLog.read(conn)
    assert len(stored) == 1
    assert stored[0].payload["user_id"] == "u1"


def test_log_reads_back_in_time_order_by_subject_and_range(runtime: Runtime) -> None:
    runtime.ingestor.ingest_records(
        [
            event("like", event_id="late", ts="2026-05-01T12:00:00Z"),
            event("open", event_id="early", ts="2026-05-01T10:00:00+02:00"),  # 08:00Z
            event(
                "like", event_id="other", ts="2026-05-01T09:00:00Z", user_id="u2", content_id="c2"
            ),
            event("report", event_id="mid", ts="2026-05-01T11:00:00Z", custom={"kept": True}),
        ],
        CTX,
    )
    with runtime.database.read() as conn:
        everything = [e.event_id for e in EventLog.read(conn)]
        for_c1 = [e.event_id for e in EventLog.read(conn, subject=("content", "c1"))]
        window = EventLog.read(
            conn,
            subject=("user", "u1"),
            since=datetime(2026, 5, 1, 9, tzinfo=UTC),
            until=datetime(2026, 5, 1, 12, tzinfo=UTC),
        )
        page1 = EventLog.read(conn, limit=2)
        page2 = EventLog.read(conn, limit=2, after=page1[-1].cursor)
    assert everything == ["early", "other", "mid", "late"]
    assert for_c1 == ["early", "mid", "late"]
    assert [e.event_id for e in window] == ["mid"]
    assert window[0].payload["custom"] == {"kept": True}
    assert [e.event_id for e in page1 + page2] == everything


def test_catalog_follows_accounts_content_and_follows(runtime: Runtime) -> None:
    runtime.ingestor.ingest_records(
        [
            event("account.created", event_id="1", region="DE", timezone="Europe/Berlin"),
            event(
                "content.published",
                event_id="2",
                topics=["pets"],
                hashtags=["#Cats"],
                text="cute cats",
            ),
            event("follow", event_id="3"),
            event("follow", event_id="4", creator_id="cr2"),
            event("unfollow", event_id="5", creator_id="cr2"),
            event("content.deleted", event_id="6"),
        ],
        CTX,
    )
    with runtime.database.read() as conn:
        account = conn.execute(select(Account.__table__)).one()
        content = conn.execute(select(Content.__table__)).one()
        follows = conn.execute(select(FollowEdge.__table__.c.creator_id)).scalars().all()
        state = runtime.policy.get_state(conn, ("content", "c1"))
    assert (account.age_band, account.region, account.timezone) == ("16_17", "DE", "Europe/Berlin")
    assert (content.topics, content.hashtags, content.deleted) == (["pets"], ["#Cats"], True)
    assert follows == ["cr1"]
    assert state is not None
    assert state.state == "deleted"


def test_policy_events_change_state_with_the_sender_as_actor(runtime: Runtime) -> None:
    runtime.ingestor.ingest_records(
        [
            event(
                "policy.changed",
                event_id="p1",
                policy_state="limited_distribution",
                surfaces={"home": False},
                reasons=["borderline"],
            )
        ],
        CTX,
    )
    snap = runtime.policy_cache.snapshot()
    record = snap.state_of("content", "c1")
    assert record is not None
    assert (record.state, record.surfaces, record.reasons) == (
        "limited_distribution",
        {"home": False},
        ("borderline",),
    )
    with runtime.database.read() as conn:
        audit = runtime.audit.entries(conn, action="policy.state_changed")
    assert audit[0].actor == "service:test"
    assert audit[0].details["event_id"] == "p1"


def test_text_is_scored_and_offending_items_are_limited(runtime: Runtime) -> None:
    classifier = runtime.text_signals.classifier
    offensive = "you idiot, this is stupid garbage, idiot idiot"
    runtime.ingestor.ingest_records(
        [
            event("content.published", event_id="1", content_id="bad", text=offensive),
            event(
                "content.published", event_id="2", content_id="fine", text="a lovely soup recipe"
            ),
            event("live.chat", event_id="3", text=offensive),
        ],
        CTX,
    )
    with runtime.database.read() as conn:
        signals = conn.execute(select(TextSignal.__table__)).all()
        bad = runtime.policy.get_state(conn, ("content", "bad"))
        fine = runtime.policy.get_state(conn, ("content", "fine"))
    by_subject = {(s.subject_type, s.subject_id): s for s in signals}
    assert set(by_subject) >= {("content", "bad"), ("content", "fine"), ("live_session", "l1")}
    assert all(s.model_version == classifier.model_version for s in signals)
    assert by_subject[("content", "bad")].score > by_subject[("content", "fine")].score
    assert fine is None
    assert bad is not None
    assert bad.state in ("needs_review", "limited_distribution")


class Exploding:
    name = "exploding"

    def consume(
        self, conn: Connection, events: Sequence[ParsedEvent], context: IngestContext
    ) -> None:
        raise RuntimeError("consumer failed")


def test_events_and_derived_state_commit_together(runtime: Runtime) -> None:
    ingestor = Ingestor(runtime.database, runtime.clock, [*runtime.ingestor.consumers, Exploding()])
    with pytest.raises(RuntimeError):
        ingestor.ingest_records([event("account.created", event_id="x")], CTX)
    with runtime.database.read() as conn:
        assert EventLog.count(conn) == 0
        assert conn.execute(select(Account.__table__)).first() is None


def test_one_offending_sentence_in_a_long_text_is_not_diluted(runtime: Runtime) -> None:
    """With the real profanity model, which scores this whole text about 0.48."""
    engine = Runtime(replace(runtime.settings, text_classifier="profanity"), clock=runtime.clock)
    benign = " ".join(f"Step {n}: stir the soup gently and taste it." for n in range(30))
    engine.ingestor.ingest_records(
        [
            event(
                "content.published",
                event_id="1",
                content_id="long",
                text=benign + " You are a fucking idiot.",
            )
        ],
        CTX,
    )
    with engine.database.read() as conn:
        state = engine.policy.get_state(conn, ("content", "long"))
        score = conn.execute(select(TextSignal.__table__.c.score)).scalar_one()
    engine.close()
    assert score > 0.99
    assert state is not None
    assert state.state == "limited_distribution"


def _wait_for_a_blocked_writer(database: Database) -> None:
    """Until another transaction waits on a row lock (PostgreSQL); SQLite writers queue
    on BEGIN IMMEDIATE instead, where a short pause lets the ingest reach it."""
    if database.dialect != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with database.read() as conn:
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the ingest never waited on the concurrent writer")


def test_an_event_id_stored_concurrently_by_another_writer_is_a_duplicate(
    runtime: Runtime,
) -> None:
    """Two servers pushing overlapping batches: the loser of the race on an event_id
    retries and counts it as a duplicate rather than failing the batch."""
    other = Database(runtime.database.url)
    outcome: dict[str, object] = {}

    def ingest() -> None:
        try:
            outcome["result"] = runtime.ingestor.ingest_records(
                [event("like", event_id="shared"), event("like", event_id="own")], CTX
            )
        except Exception as exc:  # reported below, in the test's thread
            outcome["error"] = exc

    try:
        with other.write() as conn:
            shared = validate_records([(1, event("like", event_id="shared"))]).events
            EventLog().append(conn, shared, runtime.clock.now())
            racer = threading.Thread(target=ingest)
            racer.start()
            _wait_for_a_blocked_writer(runtime.database)
        racer.join(timeout=60)
    finally:
        other.dispose()
    assert "error" not in outcome, repr(outcome.get("error"))
    result = outcome["result"]
    assert isinstance(result, IngestResult)
    assert (result.accepted, result.duplicates) == (1, 1)
    with runtime.database.read() as conn:
        assert {e.event_id for e in EventLog.read(conn)} == {"shared", "own"}
