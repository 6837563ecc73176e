"""The audit log on a real store: appends, reads, concurrency, and naming each kind of tampering.

Tampering is done the way an attacker with database access would do it: raw SQL
against ``audit_log`` and ``audit_head``, bypassing `AuditLog` entirely.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Connection, bindparam, event, insert, text

from safefeed.audit import GENESIS, AuditEntry, AuditLog, VerifyReport, record_body, record_hash
from safefeed.clock import ManualClock, to_us
from safefeed.exceptions import InputError, StoreError
from safefeed.store.database import Database
from safefeed.store.tables import AuditRecord

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
N = 8  # records in the standard log of the tampering tests
ACTIONS = ("policy.state_changed", "threshold.changed", "api_key.issued", "denylist.added")


class DeliberateError(Exception):
    pass


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def log(clock: ManualClock) -> AuditLog:
    # A small page size makes every verify below cross page boundaries.
    return AuditLog(clock, chunk_size=3)


def fill(database: Database, log: AuditLog, clock: ManualClock, n: int = N) -> list[AuditEntry]:
    """``n`` records, each in its own write transaction, one second apart."""
    entries = []
    for i in range(1, n + 1):
        clock.advance(seconds=1)
        with database.write() as conn:
            entries.append(
                log.append(
                    conn,
                    actor=f"key:user{i % 3}",
                    action=ACTIONS[i % len(ACTIONS)],
                    reason=f"change number {i}",
                    subject=("content", f"c{i}"),
                    versions={"policy": f"v{i}"},
                    details={"i": i, "score": i / 10, "tags": ["a", "é"]},
                )
            )
    return entries


def sql(database: Database, statement: str, **params: Any) -> None:
    """Raw SQL in its own transaction, as an attacker would run it."""
    query = text(statement)
    if ":doc" in statement:
        query = query.bindparams(bindparam("doc", type_=JSON))
    used = {name: value for name, value in params.items() if f":{name}" in statement}
    with database.write() as conn:
        conn.execute(query, used)


def shift(database: Database, *, above: int, by: int) -> None:
    """Renumber every record with seq > ``above`` by ``by``, via a detour past any clash."""
    sql(database, "UPDATE audit_log SET seq = seq + 1000000 WHERE seq > :s", s=above)
    sql(database, "UPDATE audit_log SET seq = seq - 1000000 + :by WHERE seq > 1000000", by=by)


def swap(database: Database, a: int, b: int) -> None:
    sql(database, "UPDATE audit_log SET seq = -1 WHERE seq = :a", a=a)
    sql(database, "UPDATE audit_log SET seq = :a WHERE seq = :b", a=a, b=b)
    sql(database, "UPDATE audit_log SET seq = :b WHERE seq = -1", b=b)


def forge(conn: Connection, *, seq: int, prev_hash: str, reason: str = "forged") -> str:
    """Insert a record with a correctly computed hash that follows ``prev_hash``."""
    at = START + timedelta(hours=1)
    body = record_body(
        at=at,
        actor="key:mallory",
        action="policy.state_changed",
        reason=reason,
        subject=("content", "c666"),
        versions={},
        details={},
    )
    digest = record_hash(prev_hash, body)
    conn.execute(
        insert(AuditRecord).values(
            seq=seq,
            ts_us=to_us(at),
            actor="key:mallory",
            action="policy.state_changed",
            subject_type="content",
            subject_id="c666",
            reason=reason,
            versions={},
            details={},
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return digest


def verify(database: Database, log: AuditLog, **kwargs: Any) -> VerifyReport:
    with database.read() as conn:
        return log.verify(conn, **kwargs)


@contextmanager
def reading(database: Database, *, snapshot: bool) -> Iterator[Connection]:
    """A read transaction: `Database.read()`, or a bare one in the engine's default isolation."""
    if snapshot:
        with database.read() as conn:
            yield conn
    else:
        with database.engine.connect() as conn, conn.begin():
            yield conn


def found(report: VerifyReport) -> list[tuple[str, int]]:
    return [(p.kind, p.seq) for p in report.problems]


# ---------------------------------------------------------------- appending and reading


def test_an_empty_log_has_the_genesis_head_and_verifies(database: Database, log: AuditLog) -> None:
    with database.read() as conn:
        assert log.head(conn) == (0, GENESIS)
        assert log.entries(conn) == []
    report = verify(database, log)
    assert (report.ok, report.checked, report.head_seq, report.head_hash) == (True, 0, 0, GENESIS)


def test_append_entries_and_head_round_trip(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    clock.advance(seconds=0.000123)
    with database.write() as conn:
        first = log.append(
            conn,
            actor="key:alice",
            action="policy.state_changed",
            reason="confirmed violation",
            subject=("content", "c1"),
            versions={"policy": "v3", "classifier": "tox-2"},
            details={"to": "blocked", "at": START, "pair": ("a", 1), "score": 0.25},
        )
        second = log.append(conn, actor="key:bob", action="threshold.changed", reason="tuning")
    assert first.seq == 1
    assert first.at == START + timedelta(microseconds=123)
    assert first.prev_hash == GENESIS
    assert first.hash == record_hash(GENESIS, first.body())
    assert first.details == {
        "to": "blocked",
        "at": "2026-05-01T09:00:00.000000Z",
        "pair": ["a", 1],
        "score": 0.25,
    }
    assert (second.seq, second.prev_hash, second.subject) == (2, first.hash, None)
    assert (second.versions, second.details) == ({}, {})
    with database.read() as conn:
        assert log.entries(conn) == [first, second]
        assert log.head(conn) == (2, second.hash)
    assert verify(database, log).ok


def test_entries_filter_and_page(database: Database, log: AuditLog, clock: ManualClock) -> None:
    entries = fill(database, log, clock)
    with database.read() as conn:
        assert [e.seq for e in log.entries(conn, after_seq=3, limit=2)] == [4, 5]
        by_action = log.entries(conn, action="threshold.changed")
        assert [e.seq for e in by_action] == [1, 5]
        assert [e.seq for e in log.entries(conn, actor="key:user0")] == [3, 6]
        assert log.entries(conn, subject=("content", "c7")) == [entries[6]]
        assert log.entries(conn, subject=("creator", "c7")) == []
        with pytest.raises(InputError):
            log.entries(conn, limit=0)


def test_as_dict_is_json_ready(database: Database, log: AuditLog, clock: ManualClock) -> None:
    entry = fill(database, log, clock, n=1)[0]
    assert entry.as_dict() == {
        "seq": 1,
        "at": "2026-05-01T09:00:01.000000Z",
        "actor": "key:user1",
        "action": "threshold.changed",
        "reason": "change number 1",
        "subject_type": "content",
        "subject_id": "c1",
        "versions": {"policy": "v1"},
        "details": {"i": 1, "score": 0.1, "tags": ["a", "é"]},
        "prev_hash": GENESIS,
        "hash": entry.hash,
    }


def test_an_append_commits_with_the_callers_transaction_or_not_at_all(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock, n=2)
    with database.read() as conn:
        before = log.head(conn)

    def change_that_fails_after_auditing() -> None:
        with database.write() as conn:
            log.append(conn, actor="key:alice", action="denylist.added", reason="spam wave")
            raise DeliberateError

    with pytest.raises(DeliberateError):
        change_that_fails_after_auditing()
    with database.read() as conn:
        assert log.head(conn) == before
        assert [e.seq for e in log.entries(conn)] == [1, 2]
    with database.write() as conn:
        assert log.append(conn, actor="key:alice", action="a", reason="r").seq == 3
    assert verify(database, log).ok


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"actor": ""}, "actor"),
        ({"actor": "   "}, "actor"),
        ({"reason": ""}, "reason"),
        ({"reason": "\n\t"}, "reason"),
        ({"action": ""}, "action"),
        ({"actor": "x" * 257}, "longer than 256"),
        ({"reason": "a\x00b"}, "NUL"),
        ({"subject": ("content",)}, "pair"),
        ({"subject": ("content", "")}, "subject_id"),
        ({"versions": {"policy": 3}}, "version strings"),
        ({"details": {"score": float("nan")}}, "no exact JSON form"),
        ({"details": {"at": datetime(2026, 5, 1)}}, "naive"),
        ({"details": {"ids": {1, 2}}}, "no exact JSON form"),
        ({"details": {"n": 2**64}}, "64 bits"),
        ({"reason": "bad \udc80 surrogate"}, "UTF-8"),
    ],
)
def test_invalid_records_are_refused_and_nothing_is_written(
    database: Database, log: AuditLog, fields: dict[str, Any], message: str
) -> None:
    record = {"actor": "key:alice", "action": "policy.state_changed", "reason": "why"} | fields
    with pytest.raises(InputError, match=message), database.write() as conn:
        log.append(conn, **record)
    with database.read() as conn:
        assert log.head(conn) == (0, GENESIS)
        assert log.entries(conn) == []


def test_append_many_links_one_batch_and_validates_it_all_first(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock, n=1)
    batch = [
        {"actor": "ingest", "action": "policy.state_changed", "reason": f"event e{i}"}
        | {"subject": ("content", f"c{i}"), "details": {"event_id": f"e{i}"}}
        for i in range(5)
    ]
    with database.write() as conn:
        with pytest.raises(InputError, match="unknown"):
            log.append_many(conn, [*batch, {"actor": "a", "action": "b", "reason": "c", "x": 1}])
        with pytest.raises(InputError, match="reason"):
            log.append_many(conn, [*batch, {"actor": "a", "action": "b", "reason": ""}])
        assert log.head(conn)[0] == 1
        assert log.append_many(conn, []) == []
        entries = log.append_many(conn, batch)
    assert [e.seq for e in entries] == [2, 3, 4, 5, 6]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert {e.at for e in entries} == {clock.now()}
    with database.read() as conn:
        assert log.head(conn) == (6, entries[-1].hash)
        assert log.entries(conn, after_seq=1) == entries
    assert verify(database, log).ok


def test_concurrent_appenders_build_one_unbroken_chain(database: Database, log: AuditLog) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def appender(worker: int) -> None:
        try:
            start.wait()
            for i in range(25):
                with database.write() as conn:
                    log.append(conn, actor=f"worker{worker}", action="test.append", reason=str(i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=appender, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.read() as conn:
        entries = log.entries(conn, limit=1000)
        head = log.head(conn)
    assert [e.seq for e in entries] == list(range(1, 101))
    assert [e.prev_hash for e in entries] == [GENESIS] + [e.hash for e in entries[:-1]]
    assert Counter(e.actor for e in entries) == {f"worker{w}": 25 for w in range(4)}
    assert head == (100, entries[-1].hash)
    report = verify(database, log)
    assert (report.ok, report.checked) == (True, 100)


APPENDER = """
import sys
from safefeed.audit import AuditLog
from safefeed.clock import SystemClock
from safefeed.store.database import Database

database, log = Database(sys.argv[1]), AuditLog(SystemClock())
for i in range(int(sys.argv[3])):
    with database.write() as conn:
        log.append(conn, actor=sys.argv[2], action="test.append", reason=str(i))
"""


def test_appenders_in_separate_processes_build_one_unbroken_chain(
    database: Database, log: AuditLog
) -> None:
    # Threads share one engine and pool; separate processes share only the store, as
    # two API replicas or a CLI beside the server do.
    src = str(Path(__file__).parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    argv = [sys.executable, "-c", APPENDER, database.url]
    workers = [subprocess.Popen([*argv, f"proc{w}", "60"], env=env) for w in range(3)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0]
    with database.read() as conn:
        entries = log.entries(conn, limit=1000)
    assert [e.seq for e in entries] == list(range(1, 181))
    assert [e.prev_hash for e in entries] == [GENESIS] + [e.hash for e in entries[:-1]]
    assert Counter(e.actor for e in entries) == {f"proc{w}": 60 for w in range(3)}
    assert verify(database, log).ok


def test_an_intact_log_verifies_and_says_so(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    entries = fill(database, log, clock)
    report = verify(database, log)
    assert report == VerifyReport(True, N, N, entries[-1].hash, ())
    assert report.summary() == f"ok: {N} records verified, head at seq {N}"
    assert verify(database, log, anchor=(5, entries[4].hash)).ok
    assert verify(database, log, anchor=(0, GENESIS)).ok


@pytest.mark.parametrize("before", [0, N])
@pytest.mark.parametrize("snapshot", [True, False], ids=["read", "read-committed"])
def test_appends_committed_while_verifying_are_not_tampering(
    database: Database, log: AuditLog, clock: ManualClock, before: int, snapshot: bool
) -> None:
    entries = fill(database, log, clock, n=before)
    statements: list[str] = []

    def append_meanwhile(*args: Any) -> None:
        statements.append(args[2])
        if len(statements) == 1:  # right after verify has read the head row
            with database.write() as other:
                for i in range(3):
                    log.append(other, actor="key:late", action="test.append", reason=str(i))

    # Database.read() is a snapshot on both back ends; a bare connection on PostgreSQL
    # is READ COMMITTED and sees the late appends (SQLite's read transaction never does).
    sees_late_appends = not snapshot and database.dialect == "postgresql"
    with reading(database, snapshot=snapshot) as conn:
        event.listen(conn, "after_cursor_execute", append_meanwhile)
        report = log.verify(conn)
    assert report.ok, report.summary()
    assert (report.head_seq, report.head_hash) == (before, entries[-1].hash if before else GENESIS)
    assert report.checked == before + 3 * sees_late_appends
    assert verify(database, log).checked == before + 3


# ---------------------------------------------------------------- tampering, kind by kind


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        ("UPDATE audit_log SET actor = 'key:mallory' WHERE seq = 4", {}),
        ("UPDATE audit_log SET action = 'policy.noop' WHERE seq = 4", {}),
        ("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 4", {}),
        ("UPDATE audit_log SET ts_us = ts_us + 1 WHERE seq = 4", {}),
        ("UPDATE audit_log SET subject_id = 'c999' WHERE seq = 4", {}),
        ("UPDATE audit_log SET subject_type = NULL, subject_id = NULL WHERE seq = 4", {}),
        ("UPDATE audit_log SET details = :doc WHERE seq = 4", {"doc": {"i": 4, "score": 0.5}}),
        ("UPDATE audit_log SET versions = :doc WHERE seq = 4", {"doc": {"policy": "v1"}}),
        ("UPDATE audit_log SET details = :doc WHERE seq = 4", {"doc": [1, 2]}),
        ("UPDATE audit_log SET prev_hash = :h WHERE seq = 4", {"h": "f" * 64}),
        ("UPDATE audit_log SET hash = :h WHERE seq = 4", {"h": "e" * 64}),
    ],
    ids=[
        "actor",
        "action",
        "reason",
        "ts",
        "subject",
        "no-subject",
        "details",
        "versions",
        "malformed",
        "prev-hash",
        "hash",
    ],
)
def test_an_edited_field_is_named_as_an_edit_of_that_record(
    database: Database,
    log: AuditLog,
    clock: ManualClock,
    statement: str,
    params: dict[str, Any],
) -> None:
    fill(database, log, clock)
    sql(database, statement, **params)
    report = verify(database, log)
    assert not report.ok
    assert found(report) == [("edited", 4)]
    assert report.summary().startswith("seq 4: edited: record 4")


@pytest.mark.parametrize("seq", [1, N])
def test_editing_the_first_or_last_record_is_an_edit(
    database: Database, log: AuditLog, clock: ManualClock, seq: int
) -> None:
    fill(database, log, clock)
    sql(
        database,
        "UPDATE audit_log SET reason = 'x', prev_hash = :h WHERE seq = :s",
        h="a" * 64,
        s=seq,
    )
    assert found(verify(database, log)) == [("edited", seq)]


def test_reading_a_malformed_record_is_a_store_error(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock, n=2)
    sql(database, "UPDATE audit_log SET versions = :doc WHERE seq = 2", doc={"policy": 3})
    with database.read() as conn, pytest.raises(StoreError, match="record 2 is corrupt"):
        log.entries(conn)


def test_export_streams_every_record_across_pages_and_stops_at_a_corrupt_one(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    entries = fill(database, log, clock)
    with database.read() as conn:
        assert list(log.export(conn)) == entries
    sql(database, "UPDATE audit_log SET details = :doc WHERE seq = 5", doc=[1])
    with database.read() as conn:
        exported = log.export(conn)
        assert [next(exported) for _ in range(4)] == entries[:4]
        with pytest.raises(StoreError, match="record 5 is corrupt"):
            next(exported)


def test_a_deleted_middle_record_is_named_by_the_record_after_the_gap(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock)
    sql(database, "DELETE FROM audit_log WHERE seq = 4")
    report = verify(database, log)
    assert found(report) == [("deleted", 5)]
    assert "between seq 3 and 5" in report.problems[0].message


def test_deleted_and_renumbered_records_are_named_by_the_record_after_them(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock)
    sql(database, "DELETE FROM audit_log WHERE seq IN (4, 5)")
    shift(database, above=5, by=-2)
    assert found(verify(database, log)) == [("deleted", 4)]


def test_a_deleted_first_record_is_a_deletion(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock)
    sql(database, "DELETE FROM audit_log WHERE seq = 1")
    report = verify(database, log)
    assert found(report) == [("deleted", 2)]
    assert "first record" in report.problems[0].message


@pytest.mark.parametrize("count", [1, 3, N])
def test_a_deleted_tail_is_truncation(
    database: Database, log: AuditLog, clock: ManualClock, count: int
) -> None:
    fill(database, log, clock)
    sql(database, "DELETE FROM audit_log WHERE seq > :s", s=N - count)
    report = verify(database, log)
    assert found(report) == [("truncated", N - count + 1)]
    assert f"records {N - count + 1}–{N} were deleted" in report.problems[0].message


def test_a_deleted_tail_with_the_head_hash_moved_back_is_still_truncation(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    entries = fill(database, log, clock)
    sql(database, "DELETE FROM audit_log WHERE seq > 6")
    sql(database, "UPDATE audit_head SET hash = :h", h=entries[5].hash)
    assert found(verify(database, log)) == [("truncated", 7)]


def test_a_rewritten_last_record_is_caught_by_the_head(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    entries = fill(database, log, clock)
    sql(database, "DELETE FROM audit_log WHERE seq = :s", s=N)
    with database.write() as conn:
        forge(conn, seq=N, prev_hash=entries[-2].hash)
    assert found(verify(database, log)) == [("truncated", N)]


@pytest.mark.parametrize("after", [0, 3, N - 1])
@pytest.mark.parametrize("move_head", [False, True])
def test_a_forged_record_spliced_in_by_renumbering_is_an_insertion(
    database: Database, log: AuditLog, clock: ManualClock, after: int, move_head: bool
) -> None:
    entries = fill(database, log, clock)
    shift(database, above=after, by=1)
    with database.write() as conn:
        prev = entries[after - 1].hash if after else GENESIS
        forge(conn, seq=after + 1, prev_hash=prev)
    if move_head:
        sql(database, "UPDATE audit_head SET seq = seq + 1")
    report = verify(database, log)
    assert found(report) == [("inserted", after + 1)]
    assert report.problems[0].message.startswith(f"record {after + 1} is not in the chain")


def test_records_appended_behind_the_heads_back_are_insertions(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    entries = fill(database, log, clock)
    with database.write() as conn:
        second = forge(conn, seq=N + 1, prev_hash=entries[-1].hash)
        forge(conn, seq=N + 2, prev_hash=second)
    report = verify(database, log)
    assert found(report) == [("inserted", N + 1)]
    assert f"records {N + 1}–{N + 2} are not in the chain" in report.problems[0].message


@pytest.mark.parametrize(("a", "b"), [(3, 4), (2, 6), (3, 5), (1, 2), (1, N), (N - 1, N)])
def test_two_swapped_records_are_named_as_reordered(
    database: Database, log: AuditLog, clock: ManualClock, a: int, b: int
) -> None:
    fill(database, log, clock)
    swap(database, a, b)
    report = verify(database, log)
    assert found(report) == [("reordered", a), ("reordered", b)]
    assert "out of order" in report.summary()


def test_a_chain_rewritten_with_fresh_hashes_is_caught_only_by_an_anchor(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    entries = fill(database, log, clock)
    anchor = (6, entries[5].hash)
    # Rewrite record 3 and recompute every hash after it, head row included.
    sql(database, "DELETE FROM audit_log WHERE seq >= 3")
    prev = entries[1].hash
    with database.write() as conn:
        for seq in range(3, N + 1):
            prev = forge(conn, seq=seq, prev_hash=prev, reason=f"rewritten {seq}")
    sql(database, "UPDATE audit_head SET hash = :h", h=prev)

    assert verify(database, log).ok  # self-consistent: only outside evidence can tell
    report = verify(database, log, anchor=anchor)
    assert found(report) == [("anchor_mismatch", 6)]
    assert verify(database, log, anchor=(2, entries[1].hash)).ok


def test_an_anchor_past_the_end_of_the_log_is_a_mismatch(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock)
    assert found(verify(database, log, anchor=(N + 5, "a" * 64))) == [("anchor_mismatch", N + 5)]
    assert found(verify(database, log, anchor=(0, "a" * 64))) == [("anchor_mismatch", 0)]
    with pytest.raises(InputError):
        verify(database, log, anchor=(-1, GENESIS))


def test_a_missing_head_row_makes_every_record_unaccounted_for(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock, n=3)
    sql(database, "DELETE FROM audit_head")
    assert found(verify(database, log)) == [("inserted", 1)]


def test_summary_has_one_line_per_problem(
    database: Database, log: AuditLog, clock: ManualClock
) -> None:
    fill(database, log, clock)
    sql(database, "UPDATE audit_log SET actor = 'x' WHERE seq IN (2, 7)")
    sql(database, "DELETE FROM audit_log WHERE seq = 4")
    report = verify(database, log)
    assert found(report) == [("edited", 2), ("deleted", 5), ("edited", 7)]
    lines = report.summary().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("seq 5: deleted: record 5 does not follow record 3")
    assert report.as_dict()["problems"][1] == {
        "seq": 5,
        "kind": "deleted",
        "message": report.problems[1].message,
    }


# ---------------------------------------------------------------- any tampering is caught

texts = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(str.strip)
details = st.dictionaries(
    st.text(max_size=6),
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    max_size=3,
)
records = st.fixed_dictionaries(
    {"actor": texts, "action": st.sampled_from(ACTIONS), "reason": texts, "details": details}
)
EDITS = {
    "actor": "UPDATE audit_log SET actor = actor || '!' WHERE seq = :s",
    "action": "UPDATE audit_log SET action = 'forged.action' WHERE seq = :s",
    "reason": "UPDATE audit_log SET reason = reason || '!' WHERE seq = :s",
    "ts": "UPDATE audit_log SET ts_us = ts_us - 1 WHERE seq = :s",
    "details": "UPDATE audit_log SET details = :doc WHERE seq = :s",
    "subject": "UPDATE audit_log SET subject_type = 'user', subject_id = 'u1' WHERE seq = :s",
    "prev_hash": "UPDATE audit_log SET prev_hash = :h WHERE seq = :s",
    "hash": "UPDATE audit_log SET hash = :h WHERE seq = :s",
}
OPS = ("none", "edit", "delete", "delete_renumber", "truncate", "insert", "swap", "rewrite")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batch=st.lists(records, min_size=2, max_size=7),
    op=st.sampled_from(OPS),
    data=st.data(),
)
def test_every_tampering_is_caught_and_named(
    database: Database, batch: list[dict[str, Any]], op: str, data: st.DataObject
) -> None:
    log = AuditLog(ManualClock(START), chunk_size=2)
    sql(database, "DELETE FROM audit_log")
    sql(database, "DELETE FROM audit_head")
    with database.write() as conn:
        entries = [log.append(conn, **record) for record in batch]
    n = len(entries)
    pick = st.integers(1, n)
    anchor = None
    if op == "none":
        expected: list[tuple[str, int]] = []
    elif op == "edit":
        column, seq = data.draw(st.sampled_from(sorted(EDITS))), data.draw(pick)
        sql(database, EDITS[column], s=seq, h="f" * 64, doc={"forged": True})
        expected = [("edited", seq)]
    elif op == "delete":
        seq = data.draw(pick)
        sql(database, "DELETE FROM audit_log WHERE seq = :s", s=seq)
        expected = [("truncated", n)] if seq == n else [("deleted", seq + 1)]
    elif op == "delete_renumber":
        seq = data.draw(st.integers(1, n - 1))
        sql(database, "DELETE FROM audit_log WHERE seq = :s", s=seq)
        shift(database, above=seq, by=-1)
        expected = [("deleted", seq)]
    elif op == "truncate":
        keep = data.draw(st.integers(0, n - 1))
        sql(database, "DELETE FROM audit_log WHERE seq > :s", s=keep)
        expected = [("truncated", keep + 1)]
    elif op == "insert":
        after = data.draw(st.integers(0, n))
        shift(database, above=after, by=1)
        with database.write() as conn:
            forge(conn, seq=after + 1, prev_hash=entries[after - 1].hash if after else GENESIS)
        expected = [("inserted", after + 1)]
    elif op == "swap":
        a, b = sorted(data.draw(st.lists(pick, min_size=2, max_size=2, unique=True)))
        swap(database, a, b)
        expected = [("reordered", a), ("reordered", b)]
    else:  # rewrite the chain from some record on, head row included
        start = data.draw(pick)
        anchor_seq = data.draw(st.integers(start, n))
        anchor = (anchor_seq, entries[anchor_seq - 1].hash)
        sql(database, "DELETE FROM audit_log WHERE seq >= :s", s=start)
        prev = entries[start - 2].hash if start > 1 else GENESIS
        with database.write() as conn:
            for seq in range(start, n + 1):
                prev = forge(conn, seq=seq, prev_hash=prev, reason=f"rewritten {seq}")
        sql(database, "UPDATE audit_head SET hash = :h", h=prev)
        expected = [("anchor_mismatch", anchor_seq)]

    report = verify(database, log, anchor=anchor)
    assert report.ok == (op == "none")
    assert found(report) == expected
