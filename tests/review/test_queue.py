"""The review queue over the real store: visibility, claims, decisions, metrics."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from safefeed.clock import ManualClock
from safefeed.exceptions import InputError, PermissionDeniedError
from safefeed.review.decisions import Decision, InterventionChange
from safefeed.review.queue import ReviewQueue, Viewer
from safefeed.runtime import Runtime
from safefeed.store.database import Database
from safefeed.store.risk_tables import RiskCase, RiskIntervention
from safefeed.store.tables import AuditRecord, table_of
from tests.review.helpers import seed_cases, store_queue
from tests.risk.helpers import ingest, small_log
from tests.support.policy import NOW

ALICE, BOB = "key:alice", "key:bob"


def _queue(runtime: Runtime) -> ReviewQueue:
    return ReviewQueue(runtime.audit, runtime.clock, runtime.risk.config, runtime.risk.ledger)


@pytest.fixture
def queue(runtime: Runtime, clock: ManualClock) -> ReviewQueue:
    events, _ = small_log()
    ingest(runtime, clock, events)
    review = _queue(runtime)
    with runtime.database.write() as conn:
        for member in (ALICE, BOB):
            for name in ("priority", "standard"):
                review.add_member(conn, name, member, by="key:admin")
    return review


def _waiting(runtime: Runtime, queue: ReviewQueue, accounts_only: bool = False) -> str:
    with runtime.database.read() as conn:
        listed = queue.list_cases(conn, Viewer(ALICE), limit=500)
    if accounts_only:
        listed = [c for c in listed if c["subject_type"] in ("creator", "user")]
    assert listed, "cases wait in the queue"
    return str(listed[0]["case_id"])


def _actions(runtime: Runtime, *actors: str) -> list[str]:
    with runtime.database.read() as conn:
        rows = conn.execute(
            select(AuditRecord.action)
            .where(AuditRecord.actor.in_(actors))
            .order_by(AuditRecord.seq)
        )
        return [r[0] for r in rows]


def test_moderators_see_only_their_queues(runtime: Runtime, queue: ReviewQueue) -> None:
    with runtime.database.read() as conn:
        mine = queue.list_cases(conn, Viewer(ALICE), limit=500)
        nobody = queue.list_cases(conn, Viewer("key:carol"), limit=500)
        everything = queue.list_cases(conn, Viewer("key:auditor", sees_all=True), limit=500)
    assert mine
    assert nobody == []
    assert {c["queue"] for c in mine} <= {"priority", "standard"}
    assert len(everything) >= len(mine)
    priorities = [c["priority"] for c in mine]
    assert priorities == sorted(priorities, reverse=True)
    case = mine[0]
    assert {"signal_summary", "rationale", "confidence", "allowed_actions"} <= set(case)


def test_one_holder_per_case_and_nobody_approves_their_own_change(
    runtime: Runtime, queue: ReviewQueue
) -> None:
    case_id = _waiting(runtime, queue)
    with runtime.database.write() as conn:
        queue.claim(conn, case_id, ALICE)
    with pytest.raises(PermissionDeniedError), runtime.database.write() as conn:
        queue.claim(conn, case_id, BOB)
    change = Decision(
        verdict="approve",
        reason="add monitoring",
        interventions=[
            InterventionChange(action="apply", kind="increased_monitoring", ttl_hours=6)
        ],
    )
    with runtime.database.write() as conn:
        outcome = queue.decide(conn, case_id, ALICE, change)
    assert outcome["status"] == "waiting"  # back in the queue for a second pair of eyes
    with runtime.database.write() as conn:
        queue.claim(conn, case_id, ALICE)
    approve = Decision(verdict="approve", reason="looks right")
    with pytest.raises(PermissionDeniedError), runtime.database.write() as conn:
        queue.decide(conn, case_id, ALICE, approve)
    with runtime.database.write() as conn:
        queue.release(conn, case_id, ALICE)
        queue.claim(conn, case_id, BOB)
        assert queue.decide(conn, case_id, BOB, approve)["status"] == "decided"
    actions = _actions(runtime, ALICE, BOB)
    assert actions.count("review.claimed") == 3
    assert "review.approve" in actions
    assert "risk.intervention_applied" in actions


def test_a_second_key_of_the_same_person_cannot_approve_their_change(
    runtime: Runtime, queue: ReviewQueue
) -> None:
    """Keys are not people: alice's CI key (its owner spelled "Alice") is still alice."""
    alice_ci = "key:alice-ci"
    with runtime.database.write() as conn:
        queue.add_member(conn, "priority", alice_ci, by="key:admin")
        queue.add_member(conn, "standard", alice_ci, by="key:admin")
    case_id = _waiting(runtime, queue)
    change = Decision(
        verdict="approve",
        reason="add monitoring",
        interventions=[
            InterventionChange(action="apply", kind="increased_monitoring", ttl_hours=6)
        ],
    )
    approve = Decision(verdict="approve", reason="looks right")
    with runtime.database.write() as conn:
        queue.claim(conn, case_id, ALICE)
        queue.decide(conn, case_id, ALICE, change, owner="alice")
        queue.claim(conn, case_id, alice_ci)
    refused = pytest.raises(PermissionDeniedError, match="alice made it \\(as key:alice\\)")
    with refused, runtime.database.write() as conn:
        queue.decide(conn, case_id, alice_ci, approve, owner="Alice")
    with runtime.database.write() as conn:
        queue.release(conn, case_id, alice_ci)
        queue.claim(conn, case_id, BOB)
        assert queue.decide(conn, case_id, BOB, approve, owner="bob")["status"] == "decided"
    with runtime.database.read() as conn:
        case = conn.execute(select(RiskCase).where(RiskCase.case_id == case_id)).one()
        decisions = conn.execute(
            select(AuditRecord.actor, AuditRecord.details)
            .where(AuditRecord.action == "review.approve")
            .order_by(AuditRecord.seq)
        ).all()
    assert (case.changed_by, case.changed_by_owner, case.decided_by) == (ALICE, "alice", BOB)
    # The audit actor stays the key; the details name the person behind it.
    assert [(actor, details["owner"]) for actor, details in decisions] == [
        (ALICE, "alice"),
        (BOB, "bob"),
    ]


def test_without_an_owner_the_actor_is_the_person(runtime: Runtime, queue: ReviewQueue) -> None:
    case_id = _waiting(runtime, queue)
    change = Decision(
        verdict="approve",
        reason="add monitoring",
        interventions=[InterventionChange(action="apply", kind="light_friction", ttl_hours=1)],
    )
    with runtime.database.write() as conn:
        queue.claim(conn, case_id, ALICE)
        queue.decide(conn, case_id, ALICE, change)
        queue.claim(conn, case_id, BOB)
        approve = Decision(verdict="approve", reason="ok")
        assert queue.decide(conn, case_id, BOB, approve)["status"] == "decided"
        case = conn.execute(select(RiskCase).where(RiskCase.case_id == case_id)).one()
    assert (case.changed_by, case.changed_by_owner) == (ALICE, ALICE)


def test_no_irreversible_action_without_a_recorded_human_approval(
    runtime: Runtime, queue: ReviewQueue
) -> None:
    with runtime.database.read() as conn:
        automatic = conn.execute(select(RiskIntervention.irreversible)).all()
    assert automatic
    assert not any(flag for (flag,) in automatic)
    case_id = _waiting(runtime, queue, accounts_only=True)
    with runtime.database.write() as conn:
        queue.claim(conn, case_id, ALICE)
    unconfirmed = Decision(verdict="approve", reason="x", irreversible_action="suspend_account")
    with pytest.raises(InputError), runtime.database.write() as conn:
        queue.decide(conn, case_id, ALICE, unconfirmed)
    confirmed = Decision(
        verdict="approve",
        reason="confirmed pattern, see notes",
        irreversible_action="suspend_account",
        confirm_irreversible=True,
    )
    with runtime.database.write() as conn:
        queue.decide(conn, case_id, ALICE, confirmed)
    with runtime.database.read() as conn:
        rows = conn.execute(
            select(RiskIntervention).where(RiskIntervention.irreversible.is_(True))
        ).all()
    assert [(r.applied_by, r.approved_by, r.expires_us) for r in rows] == [(ALICE, ALICE, None)]
    assert _actions(runtime, ALICE).count("review.irreversible_action") == 1


def test_a_triage_queue_offers_no_irreversible_action(runtime: Runtime, queue: ReviewQueue) -> None:
    with runtime.database.write() as conn:
        queue.add_member(conn, "triage", ALICE, by="key:admin")
    with runtime.database.read() as conn:
        triage = queue.list_cases(conn, Viewer(ALICE), queue="triage")
    assert triage
    assert "irreversible" not in triage[0]["allowed_actions"]
    case_id = triage[0]["case_id"]
    with runtime.database.write() as conn:
        queue.claim(conn, case_id, ALICE)
    decision = Decision(
        verdict="approve",
        reason="x",
        irreversible_action="suspend_account",
        confirm_irreversible=True,
    )
    with pytest.raises(PermissionDeniedError), runtime.database.write() as conn:
        queue.decide(conn, case_id, ALICE, decision)


def test_metrics_report_oldest_waiting_and_share_inside_target(
    runtime: Runtime, queue: ReviewQueue, clock: ManualClock
) -> None:
    clock.advance(seconds=3 * 3600)
    with runtime.database.read() as conn:
        metrics = queue.metrics(conn)
    high = metrics["tiers"]["high"]
    assert set(metrics["tiers"]) == {"low", "medium", "high"}
    assert high["oldest_waiting_hours"] >= 3.0 or high["waiting"] == 0
    assert all(
        v["share_inside_target"] is None or 0.0 <= v["share_inside_target"] <= 1.0
        for v in metrics["tiers"].values()
    )


# ---------------------------------------------------------------- PostgreSQL claims

_cases = table_of(RiskCase)


def test_two_concurrent_claims_never_get_the_same_case_on_postgres(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        ids = seed_cases(database, 40)
        queue, _ = store_queue(database)
        with database.write() as conn:
            for n in range(6):
                queue.add_member(conn, "standard", f"key:m{n}", by="key:admin")
        # Two connections: while one holds a case's row lock, the other cannot take it.
        with database.write() as first:
            queue.claim(first, ids[0], "key:m0")
            with pytest.raises(PermissionDeniedError), database.write() as second:
                queue.claim(second, ids[0], "key:m1")
        claimed: list[str] = []
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work(actor: str) -> None:
            try:
                while True:
                    with database.write() as conn:
                        got = queue.claim_next(conn, actor)
                    if got is None:
                        return
                    with lock:
                        claimed.append(got["case_id"])
            except BaseException as exc:  # reported below: a thread must not die silently
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(f"key:m{n}",)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(claimed) == len(set(claimed)) == len(ids) - 1
        with database.read() as conn:
            holders = conn.execute(select(_cases.c.case_id, _cases.c.claimed_by)).all()
        assert all(holder is not None for _, holder in holders)
    finally:
        database.dispose()


def test_a_case_aged_past_its_target_is_offered_first_however_long_the_backlog(
    database: Database,
) -> None:
    # 600 medium cases just queued, and one low case waiting 200 hours: aging and its
    # missed target lift it above all of them, however many rank above it by base.
    queue, clock = store_queue(database)
    now_us = int(clock.now().timestamp() * 1e6)
    seed_cases(database, 600)
    old = "rc_old"
    with database.write() as conn:
        conn.execute(_cases.update().values(queued_us=now_us))
        conn.execute(
            _cases.insert(),
            {
                "case_id": old,
                "category": "escalation",
                "subject_type": "creator",
                "subject_id": "c_old",
                "tier": "low",
                "peak_tier": "low",
                "score": 0.3,
                "lower": 0.1,
                "upper": 0.5,
                "line": {"tier": "low", "confidence": [0.1, 0.5], "signals": {}},
                "queue": "standard",
                "status": "waiting",
                "base_priority": 1.0,
                "first_surfaced_us": 0,
                "queued_us": now_us - 200 * 3_600_000_000,
                "updated_us": 0,
                "config_version": "test",
            },
        )
        queue.add_member(conn, "standard", ALICE, by="key:admin")
    with database.read() as conn:
        listed = queue.list_cases(conn, Viewer(ALICE), limit=5)
    assert listed[0]["case_id"] == old, [
        (c["case_id"], c["priority"], c["waiting_hours"]) for c in listed
    ]
    with database.write() as conn:
        claimed = queue.claim_next(conn, ALICE)
    assert claimed is not None
    assert claimed["case_id"] == old


# ---------------------------------------------------------------- claim leases

LEASE = timedelta(minutes=30)  # the packaged configuration's claim_lease_minutes


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _leased(database: Database) -> tuple[ReviewQueue, ManualClock, list[str]]:
    """Three standard cases (the last one first in priority) that alice and bob work."""
    queue, clock = store_queue(database)
    ids = seed_cases(database, 3)
    with database.write() as conn:
        for member in (ALICE, BOB):
            queue.add_member(conn, "standard", member, by="key:admin")
    return queue, clock, ids


def _audited(database: Database, actor: str) -> list[tuple[str, dict[str, Any]]]:
    with database.read() as conn:
        rows = conn.execute(
            select(AuditRecord.action, AuditRecord.details)
            .where(AuditRecord.actor == actor)
            .order_by(AuditRecord.seq)
        )
        return [(r.action, r.details) for r in rows]


def test_a_claim_holds_for_its_lease(database: Database) -> None:
    queue, clock, ids = _leased(database)
    with database.write() as conn:
        claimed = queue.claim(conn, ids[-1], ALICE)
    expires = _stamp(NOW + LEASE)
    assert (claimed["claimed_at"], claimed["claim_expires_at"]) == (_stamp(NOW), expires)
    clock.advance(seconds=LEASE.total_seconds() - 1)
    refused = f"case {ids[-1]} is held by {ALICE} until {expires}"
    with pytest.raises(PermissionDeniedError, match=refused), database.write() as conn:
        queue.claim(conn, ids[-1], BOB)
    with database.write() as conn:
        offered = queue.claim_next(conn, BOB)
    assert offered is not None
    assert offered["case_id"] == ids[1]
    with database.read() as conn:
        held = queue.list_cases(conn, Viewer(BOB), status="claimed")
        waiting = queue.list_cases(conn, Viewer(BOB))
        metrics = queue.metrics(conn)
    assert [(c["case_id"], c["claimed_by"], c["claim_expires_at"]) for c in held] == [
        (ids[-1], ALICE, expires),
        (ids[1], BOB, _stamp(clock.now() + LEASE)),
    ]
    assert [c["case_id"] for c in waiting] == [ids[0]]
    assert metrics["tiers"]["medium"]["waiting"] == 1


def test_a_lapsed_claim_waits_again_and_the_next_claim_takes_it_over(
    database: Database,
) -> None:
    queue, clock, ids = _leased(database)
    with database.write() as conn:
        claimed = queue.claim_next(conn, ALICE)
    assert claimed is not None
    assert claimed["case_id"] == ids[-1]
    clock.advance(seconds=LEASE.total_seconds())
    with database.read() as conn:
        waiting = queue.list_cases(conn, Viewer(BOB))
        held = queue.list_cases(conn, Viewer(BOB), status="claimed")
        metrics = queue.metrics(conn)
    # Back in the queue by the same aged priority as before it was claimed.
    assert [c["case_id"] for c in waiting] == [ids[-1], ids[1], ids[0]]
    lapsed = waiting[0]
    assert (lapsed["status"], lapsed["claimed_by"], lapsed["claim_lapsed"]) == (
        "waiting",
        ALICE,
        True,
    )
    assert held == []
    assert metrics["tiers"]["medium"]["waiting"] == 3
    with database.write() as conn:
        taken = queue.claim_next(conn, BOB)
    assert taken == {
        "case_id": ids[-1],
        "claimed_by": BOB,
        "claimed_at": _stamp(clock.now()),
        "claim_expires_at": _stamp(clock.now() + LEASE),
        "renewed": False,
        "took_over_from": ALICE,
    }
    assert _audited(database, BOB) == [
        (
            "review.claim_lapsed",
            {
                "case_id": ids[-1],
                "queue": "standard",
                "claimed_by": ALICE,
                "claimed_at": _stamp(NOW),
                "expired_at": _stamp(NOW + LEASE),
            },
        ),
        (
            "review.claimed",
            {
                "case_id": ids[-1],
                "queue": "standard",
                "claim_expires_at": _stamp(clock.now() + LEASE),
                "took_over_from": ALICE,
            },
        ),
    ]


def test_claiming_a_case_you_hold_renews_its_lease(database: Database) -> None:
    queue, clock, ids = _leased(database)
    with database.write() as conn:
        queue.claim(conn, ids[-1], ALICE)
    clock.advance(seconds=20 * 60)
    with database.write() as conn:
        renewed = queue.claim(conn, ids[-1], ALICE)
    longer = _stamp(NOW + timedelta(minutes=50))
    assert (renewed["claimed_at"], renewed["claim_expires_at"], renewed["renewed"]) == (
        _stamp(NOW),
        longer,
        True,
    )
    clock.advance(seconds=20 * 60)  # past the first lease, inside the renewed one
    with pytest.raises(PermissionDeniedError, match=f"until {longer}"), database.write() as conn:
        queue.claim(conn, ids[-1], BOB)
    with database.write() as conn:
        offered = queue.claim_next(conn, BOB)
    assert offered is not None
    assert offered["case_id"] == ids[1]
    assert _audited(database, ALICE)[-1] == (
        "review.claim_renewed",
        {
            "case_id": ids[-1],
            "queue": "standard",
            "claim_expires_at": longer,
            "previous_expires_at": _stamp(NOW + LEASE),
            "lapsed": False,
        },
    )


def test_after_a_take_over_the_old_holder_may_not_decide_or_release(
    database: Database,
) -> None:
    queue, clock, ids = _leased(database)
    with database.write() as conn:
        queue.claim(conn, ids[-1], ALICE)
    clock.advance(seconds=LEASE.total_seconds() + 60)
    with database.write() as conn:
        assert queue.claim(conn, ids[-1], BOB)["took_over_from"] == ALICE
    reject = Decision(verdict="reject", reason="benign on review")
    taken = f"you do not hold case {ids[-1]}: {BOB} holds it until"
    with pytest.raises(PermissionDeniedError, match=taken), database.write() as conn:
        queue.decide(conn, ids[-1], ALICE, reject)
    with pytest.raises(PermissionDeniedError, match=taken), database.write() as conn:
        queue.release(conn, ids[-1], ALICE)
    with database.write() as conn:
        assert queue.decide(conn, ids[-1], BOB, reject)["status"] == "decided"
    assert [action for action, _ in _audited(database, ALICE)] == ["review.claimed"]


def test_a_lapsed_claim_nobody_took_over_is_still_its_holders(database: Database) -> None:
    queue, clock, ids = _leased(database)
    with database.write() as conn:
        queue.claim(conn, ids[-1], ALICE)
        queue.claim(conn, ids[1], ALICE)
    clock.advance(seconds=2 * LEASE.total_seconds())
    with database.read() as conn:
        waiting = queue.list_cases(conn, Viewer(BOB))
    assert [c["case_id"] for c in waiting] == ids[::-1]
    reject = Decision(verdict="reject", reason="benign on review")
    with database.write() as conn:
        assert queue.decide(conn, ids[-1], ALICE, reject)["status"] == "decided"
        renewed = queue.claim(conn, ids[1], ALICE)
    assert (renewed["renewed"], renewed["took_over_from"]) == (True, None)
    assert renewed["claim_expires_at"] == _stamp(clock.now() + LEASE)
    assert _audited(database, ALICE)[-1][1]["lapsed"] is True
    with database.read() as conn:
        waiting = queue.list_cases(conn, Viewer(BOB))
        decided = queue.get(conn, ids[-1], Viewer(BOB))
    assert [c["case_id"] for c in waiting] == [ids[0]]
    assert (decided["status"], decided["claim_expires_at"], decided["claim_lapsed"]) == (
        "decided",
        None,
        False,
    )
