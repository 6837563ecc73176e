"""The live path: the funnel as an ingest consumer over the real store (both back ends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from safefeed.audit import AuditLog
from safefeed.clock import ManualClock, to_us
from safefeed.ingest import IngestContext
from safefeed.policy.store import PolicyStore
from safefeed.risk.config import load_risk_config
from safefeed.risk.consumer import FUNNEL_ACTOR, RiskConsumer
from safefeed.risk.interventions import AUTO_REVIEW_STATUS
from safefeed.risk.signals import CONSUMED_TYPES
from safefeed.runtime import Runtime
from safefeed.store.database import Database
from safefeed.store.risk_tables import RiskCase, RiskIntervention
from safefeed.store.tables import AuditRecord, PolicyHistory
from tests.review.helpers import seed_cases
from tests.risk.helpers import ingest, small_log, with_phase
from tests.support.policy import NOW


def _seeker() -> str:
    _, truth = small_log()
    return next(s["subject_id"] for s in truth["subjects"] if s["scenario"].startswith("adult"))


def test_shadow_mode_computes_and_logs_everything_and_applies_nothing(
    runtime: Runtime, clock: ManualClock
) -> None:
    events, _ = small_log()
    ingest(runtime, clock, events)
    with runtime.database.read() as conn:
        cases = conn.execute(select(RiskCase.peak_tier, RiskCase.status)).all()
        states = {r.state for r in conn.execute(select(RiskIntervention.state))}
        by_funnel = conn.execute(
            select(PolicyHistory.id).where(PolicyHistory.actor == FUNNEL_ACTOR)
        ).all()
        audited = {r[0] for r in conn.execute(select(AuditRecord.action).distinct())}
    assert {"medium", "high"} & {tier for tier, _ in cases}
    assert states == {"shadow"}  # suggested and logged, never applied
    assert by_funnel == []  # no policy state was changed
    assert {"risk.case_opened", "risk.intervention_shadow"} <= audited
    assert runtime.risk.latencies_ms


def test_every_automatic_intervention_expires_and_rolls_back(
    runtime: Runtime, clock: ManualClock
) -> None:
    with_phase(runtime, "expanded")
    events, _ = small_log()
    ingest(runtime, clock, events)
    seeker = _seeker()
    with runtime.database.read() as conn:
        applied = conn.execute(
            select(RiskIntervention).where(RiskIntervention.applied_by == FUNNEL_ACTOR)
        ).all()
        state = runtime.policy.get_state(conn, ("user", seeker))
    assert applied
    assert all(row.expires_us is not None for row in applied)
    assert not any(row.irreversible for row in applied)
    assert any(row.kind == "limit_adult_minor_contact" for row in applied)
    # The seeker's contact limit shows in policy state, which is what the feed reads.
    assert state is not None
    assert state.review_status in (AUTO_REVIEW_STATUS, None)

    clock.advance(seconds=timedelta(days=15).total_seconds())
    with runtime.database.write() as conn:
        runtime.risk.sweep(conn)
    with runtime.database.read() as conn:
        rows = conn.execute(
            select(RiskIntervention).where(RiskIntervention.applied_by == FUNNEL_ACTOR)
        ).all()
        still_set = [
            r
            for r in rows
            if (s := runtime.policy.get_state(conn, (r.subject_type, r.subject_id))) is not None
            and s.review_status == AUTO_REVIEW_STATUS
        ]
        ended = {
            r[0]
            for r in conn.execute(
                select(AuditRecord.action).where(AuditRecord.actor == FUNNEL_ACTOR).distinct()
            )
        }
    active = [r for r in rows if r.state == "active"]
    assert active == []
    assert all(r.state in ("expired", "rolled_back", "shadow") for r in rows)
    assert all(r.ended_us is not None for r in rows if r.state != "shadow")
    assert still_set == []  # every policy state it set was restored
    assert "risk.intervention_applied" in ended
    assert {"risk.intervention_expired", "risk.intervention_rolled_back"} & ended


def test_limited_phase_applies_only_low_tier_interventions(
    runtime: Runtime, clock: ManualClock
) -> None:
    with_phase(runtime, "limited")
    events, _ = small_log()
    ingest(runtime, clock, events)
    with runtime.database.read() as conn:
        rows = conn.execute(select(RiskIntervention.tier, RiskIntervention.state)).all()
    assert {tier for tier, state in rows if state == "active"} <= {"low"}
    assert any(state == "shadow" and tier in ("medium", "high") for tier, state in rows)


def test_rollback_restores_the_whole_earlier_policy_record(
    runtime: Runtime, clock: ManualClock
) -> None:
    from safefeed.policy.store import StateChange
    from safefeed.risk.interventions import InterventionRequest

    subject = ("user", "u-limited")
    with runtime.database.write() as conn:
        runtime.policy.set_state(
            conn,
            StateChange(
                subject=subject,
                state="limited_distribution",
                policy_version="p7",
                reasons=("borderline",),
                surfaces={"home": False, "search": "limited"},
                review_status="reviewed",
            ),
            actor="moderator-1",
            reason="borderline account",
        )
        runtime.risk.ledger.record(
            conn,
            [
                InterventionRequest(
                    "rc_x", *subject, "limit_adult_minor_contact", "medium", 1.0, True
                )
            ],
            phase="expanded",
            actor=FUNNEL_ACTOR,
            now_us=0,
        )
        assert runtime.policy.get_state(conn, subject).state == "restricted"  # type: ignore[union-attr]
        assert runtime.risk.ledger.expire(conn, 2 * 3600 * 1_000_000) == 1
        restored = runtime.policy.get_state(conn, subject)
    assert restored is not None
    assert restored.state == "limited_distribution"
    assert dict(restored.surfaces) == {"home": False, "search": "limited"}
    assert restored.reasons == ("borderline",)
    assert restored.review_status == "reviewed"


def test_warm_start_rebuilds_the_funnel_the_live_path_built(
    runtime: Runtime, clock: ManualClock
) -> None:
    from safefeed.risk.consumer import RiskConsumer

    events, _ = small_log()
    ingest(runtime, clock, events)
    fresh = RiskConsumer(runtime.policy, runtime.audit, runtime.clock, runtime.risk.config)
    replayed = fresh.warm_start(runtime.database, days=400.0)
    assert replayed == sum(1 for e in events if e["type"] in CONSUMED_TYPES)
    # The same observations, abstentions and case changes as the live path saw.
    assert fresh.funnel.counts == runtime.risk.funnel.counts
    assert fresh.funnel.counts["case_opened"] > 0
    assert set(fresh.funnel.context.creators_) == set(runtime.risk.funnel.context.creators_)

    capped = RiskConsumer(runtime.policy, runtime.audit, runtime.clock, runtime.risk.config)
    assert capped.warm_start(runtime.database, days=400.0, max_events=1000) == 1000


def test_the_sweeper_rolls_back_lapsed_interventions_with_no_new_events(
    runtime: Runtime, clock: ManualClock
) -> None:
    import threading

    from safefeed.risk.interventions import InterventionRequest
    from safefeed.risk.sweeper import RiskSweeper

    subject = ("user", "u-quiet")
    with runtime.database.write() as conn:
        runtime.risk.ledger.record(
            conn,
            [
                InterventionRequest(
                    "rc_q", *subject, "limit_adult_minor_contact", "medium", 1.0, True
                )
            ],
            phase="expanded",
            actor=FUNNEL_ACTOR,
            now_us=int(clock.now().timestamp() * 1_000_000),
        )
    clock.advance(seconds=2 * 3600.0)
    sweeper = RiskSweeper(runtime.risk, runtime.database, interval_s=0.01)
    sweeper.start()
    done = threading.Event()
    while not done.wait(0.01):
        with runtime.database.read() as conn:
            rows = conn.execute(
                select(RiskIntervention.state).where(RiskIntervention.subject_id == "u-quiet")
            ).all()
        if rows and rows[0].state == "expired":
            done.set()
    sweeper.stop()
    assert sweeper.sweeps >= 1
    with runtime.database.read() as conn:
        state = runtime.policy.get_state(conn, subject)
    assert state is not None
    assert state.review_status != AUTO_REVIEW_STATUS


def test_a_lapsed_claim_counts_toward_the_backlog_that_samples_low_tiers(
    database: Database,
) -> None:
    clock = ManualClock(NOW)
    audit = AuditLog(clock)
    config = load_risk_config()
    review = config.review.model_copy(update={"capacity_per_hour": 1.0, "max_backlog_hours": 1.0})
    small_team = config.model_copy(update={"review": review})
    consumer = RiskConsumer(PolicyStore(database, audit, clock), audit, clock, small_team)
    lease = timedelta(minutes=review.claim_lease_minutes)
    held = {"claimed_by": "m", "claimed_us": to_us(NOW), "claim_expires_us": to_us(NOW + lease)}
    seed_cases(database, 2, status="claimed", **held)
    with database.write() as conn:
        consumer.consume(conn, [], IngestContext(actor="test"))
    assert consumer.funnel.overloaded is False
    clock.advance(seconds=lease.total_seconds())
    with database.write() as conn:
        consumer.consume(conn, [], IngestContext(actor="test"))
    assert consumer.funnel.overloaded is True
