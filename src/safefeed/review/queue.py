"""The review queue over ``risk_cases``: list, claim, decide, metrics.

Queues: ``priority`` (high tier), ``standard`` (medium), ``triage`` (low tier,
sampled when the team is over capacity). A moderator sees the cases of the
queues they are a member of, and the cases they hold, and no more. Claims lock
the row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serializes writers),
so two moderators never hold one case. A claim holds for a lease
(``claim_lease_minutes``) that claiming the case again renews; once it lapses the
case waits again and the next claim takes it over (`safefeed.review.lease`), so a
case is never stuck with a moderator who left. Every step is audited. A change to a
case's interventions waits for a second moderator's approval: nobody approves
their own change. "Nobody" is a person, not a key: a decision names its actor
(``key:NAME``, the audit actor) and the person behind it (the key's owner), and
whoever made a change cannot approve it with any key of theirs.
Irreversible actions need an explicit confirmation and are refused from the
triage queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select, update

from safefeed.access.keys import same_owner
from safefeed.audit import AuditLog
from safefeed.clock import Clock, to_us
from safefeed.exceptions import InputError, NotFoundError, PermissionDeniedError
from safefeed.review.decisions import Decision
from safefeed.review.lease import held, lapsed, status_at, waiting
from safefeed.review.priority import priority
from safefeed.risk.cases import iso
from safefeed.risk.config import RiskConfig
from safefeed.risk.interventions import (
    IRREVERSIBLE_ACTIONS,
    InterventionLedger,
    InterventionRequest,
)
from safefeed.store.risk_tables import ReviewFeedback, ReviewMember, RiskCase
from safefeed.store.tables import table_of
from safefeed.store.upsert import upsert

__all__ = ["QUEUES", "RESTRICTED_ACTIONS", "ReviewQueue", "Viewer"]

QUEUES: tuple[str, ...] = ("priority", "standard", "triage")
#: Actions a queue does not offer: a triage queue takes no irreversible action.
RESTRICTED_ACTIONS: dict[str, frozenset[str]] = {
    "triage": frozenset({"irreversible"}),
    "standard": frozenset(),
    "priority": frozenset(),
}

_cases = table_of(RiskCase)
_members = table_of(ReviewMember)
_feedback = table_of(ReviewFeedback)
_US_PER_HOUR = 3_600_000_000
_US_PER_MINUTE = 60_000_000


def _at(us: int | None) -> str | None:
    return None if us is None else iso(us / 1e6)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: an actor, and whether they may see every queue (auditors)."""

    actor: str
    sees_all: bool = False


class ReviewQueue:
    """Review operations in the caller's transaction."""

    def __init__(
        self, audit: AuditLog, clock: Clock, config: RiskConfig, ledger: InterventionLedger
    ) -> None:
        self.audit = audit
        self.clock = clock
        self.config = config
        self.ledger = ledger

    # ------------------------------------------------------------ membership

    def add_member(self, conn: Connection, queue: str, actor: str, *, by: str) -> None:
        if queue not in QUEUES:
            raise InputError(f"unknown queue {queue!r}; known: {', '.join(QUEUES)}")
        upsert(
            conn,
            _members,
            [{"queue": queue, "actor": actor, "added_by": by, "added_us": to_us(self.clock.now())}],
            keys=["queue", "actor"],
        )
        self.audit.append(
            conn,
            actor=by,
            action="review.member_added",
            reason=f"{actor} works queue {queue}",
            details={"queue": queue, "member": actor},
        )

    def queues_of(self, conn: Connection, actor: str) -> list[str]:
        rows = conn.execute(select(_members.c.queue).where(_members.c.actor == actor))
        return sorted(r[0] for r in rows)

    # ------------------------------------------------------------ reading

    def _visible(self, conn: Connection, viewer: Viewer) -> Any:
        if viewer.sees_all:
            return True
        queues = self.queues_of(conn, viewer.actor)
        return or_(_cases.c.queue.in_(queues), _cases.c.claimed_by == viewer.actor)

    def _aged(self, row: Any, now_us: int) -> float:
        waited = max(0, now_us - (row.queued_us or now_us)) / _US_PER_HOUR
        review = self.config.review
        return priority(
            row.line,
            waited_hours=waited,
            aging_per_hour=review.aging_per_hour,
            target_hours=review.time_target_hours.get(row.tier),
        )

    def _aged_order(self, now_us: int) -> ColumnElement[float]:
        """`_aged` in SQL, to choose which rows to rank: ordered by base priority alone,
        a long backlog kept a case that waiting had lifted to the top (a low tier past
        its target) out of the rows considered, so it was never offered."""
        review = self.config.review
        queued = func.coalesce(_cases.c.queued_us, now_us)
        waited = (literal(now_us) - queued) / float(_US_PER_HOUR)
        overdue = case(
            *[
                (and_(_cases.c.tier == tier, waited > target), 1.0)
                for tier, target in review.time_target_hours.items()
            ],
            else_=0.0,
        )
        return _cases.c.base_priority + review.aging_per_hour * waited + overdue

    def list_cases(
        self,
        conn: Connection,
        viewer: Viewer,
        *,
        status: str | None = "waiting",
        queue: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Cases the viewer may see, highest aged priority first; a case whose claim
        lapsed is ``waiting``."""
        now_us = to_us(self.clock.now())
        query = select(_cases).where(self._visible(conn, viewer))
        if status == "waiting":
            query = query.where(waiting(now_us))
        elif status == "claimed":
            query = query.where(held(now_us))
        elif status:
            query = query.where(_cases.c.status == status)
        if queue:
            query = query.where(_cases.c.queue == queue)
        rows = conn.execute(query.order_by(self._aged_order(now_us).desc()).limit(2000)).all()
        ranked = sorted(rows, key=lambda r: (-self._aged(r, now_us), r.case_id))[:limit]
        return [self._summary(r, now_us) for r in ranked]

    def get(self, conn: Connection, case_id: str, viewer: Viewer) -> dict[str, Any]:
        row = conn.execute(
            select(_cases).where(_cases.c.case_id == case_id, self._visible(conn, viewer))
        ).first()
        if row is None:
            raise NotFoundError(f"no case {case_id} in your queues")
        now_us = to_us(self.clock.now())
        detail = self._summary(row, now_us)
        history = conn.execute(
            select(
                _cases.c.case_id,
                _cases.c.category,
                _cases.c.peak_tier,
                _cases.c.status,
                _cases.c.claim_expires_us,
                _cases.c.first_surfaced_us,
            )
            .where(
                _cases.c.subject_type == row.subject_type,
                _cases.c.subject_id == row.subject_id,
                _cases.c.case_id != case_id,
                # The subject's other cases in queues the viewer does not work stay unseen.
                self._visible(conn, viewer),
            )
            .order_by(_cases.c.first_surfaced_us)
            .limit(50)
        ).all()
        detail["subject_history"] = [
            {
                "case_id": h.case_id,
                "category": h.category,
                "peak_tier": h.peak_tier,
                "status": status_at(h.status, h.claim_expires_us, now_us),
                "first_surfaced_at": iso(h.first_surfaced_us / 1e6),
            }
            for h in history
        ]
        detail["related_cases"] = self._related(conn, row, viewer)
        detail["interventions"] = self.ledger.of_case(conn, case_id)
        return detail

    def _related(self, conn: Connection, row: Any, viewer: Viewer) -> list[str]:
        """Cases of the subjects this case names as related (sessions, creators)."""
        names = [r.split(":", 1) for r in row.line.get("signals", {}).get("related", [])]
        clauses = [
            and_(_cases.c.subject_type == t, _cases.c.subject_id == i) for t, i in names if i
        ]
        if not clauses:
            return []
        visible = self._visible(conn, viewer)
        rows = conn.execute(select(_cases.c.case_id).where(or_(*clauses), visible).limit(20))
        return sorted(r[0] for r in rows)

    def _summary(self, row: Any, now_us: int) -> dict[str, Any]:
        line = row.line
        waited = max(0, now_us - (row.queued_us or now_us)) / _US_PER_HOUR
        target = self.config.review.time_target_hours.get(row.tier)
        return {
            "case_id": row.case_id,
            "category": row.category,
            "subject_type": row.subject_type,
            "subject_id": row.subject_id,
            "tier": row.tier,
            "peak_tier": row.peak_tier,
            "score": row.score,
            "confidence": [row.lower, row.upper],
            "queue": row.queue,
            "status": status_at(row.status, row.claim_expires_us, now_us),
            "priority": self._aged(row, now_us),
            "waiting_hours": round(waited, 2),
            "time_target_hours": target,
            "rationale": line.get("rationale", []),
            # An aggregated summary for people, not raw model outputs.
            "signal_summary": {
                k: v
                for k, v in line.get("signals", {}).items()
                if k not in ("related", "config_version", "queue")
            },
            "suggested_interventions": line.get("suggested_interventions", []),
            "allowed_actions": sorted(
                {"approve", "reject", "apply", "adjust", "remove", "irreversible"}
                - RESTRICTED_ACTIONS.get(row.queue or "", frozenset())
            ),
            "first_surfaced_at": line.get("first_surfaced_at"),
            # A lapsed claim still names its holder, who may decide it until it is taken over.
            "claimed_by": row.claimed_by,
            "claimed_at": _at(row.claimed_us),
            "claim_expires_at": _at(row.claim_expires_us) if row.status == "claimed" else None,
            "claim_lapsed": lapsed(row.status, row.claim_expires_us, now_us),
            "decided_by": row.decided_by,
            "decision": row.decision,
            # A change waiting for approval shows whose it is, so its author's colleagues
            # (not its author) pick it up.
            "changed_by": row.changed_by,
            "changed_by_owner": row.changed_by_owner,
        }

    # ------------------------------------------------------------ claiming

    def _lock(self, conn: Connection, case_id: str) -> Any:
        """The case row, locked; None when another transaction holds it (PostgreSQL)."""
        exists = conn.execute(select(_cases.c.case_id).where(_cases.c.case_id == case_id)).first()
        if exists is None:
            raise NotFoundError(f"no case {case_id}")
        query = select(_cases).where(_cases.c.case_id == case_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return conn.execute(query).first()

    @property
    def _lease_us(self) -> int:
        """How long a claim holds, in microseconds."""
        return round(self.config.review.claim_lease_minutes * _US_PER_MINUTE)

    def claim(self, conn: Connection, case_id: str, actor: str) -> dict[str, Any]:
        """Claim one case, or renew your claim on it; a lapsed claim of someone else's is
        taken over. Refused while someone else's claim runs, or if the case is not in
        your queues."""
        row = self._lock(conn, case_id)
        if row is None:
            raise PermissionDeniedError(f"case {case_id} is being claimed by someone else")
        if row.queue not in self.queues_of(conn, actor):
            raise PermissionDeniedError(f"case {case_id} is not in your queues")
        now_us = to_us(self.clock.now())
        status = status_at(row.status, row.claim_expires_us, now_us)
        if status == "claimed" and row.claimed_by != actor:
            raise PermissionDeniedError(
                f"case {case_id} is held by {row.claimed_by} until {_at(row.claim_expires_us)}"
            )
        if status not in ("waiting", "claimed"):
            raise PermissionDeniedError(f"case {case_id} is {row.status}, not waiting")
        return self._take(conn, row, actor, now_us)

    def claim_next(self, conn: Connection, actor: str) -> dict[str, Any] | None:
        """Claim the highest-priority waiting case in your queues, a lapsed claim's case
        included (None if none is free)."""
        queues = self.queues_of(conn, actor)
        if not queues:
            return None
        now_us = to_us(self.clock.now())
        rows = conn.execute(
            select(_cases.c.case_id, _cases.c.line, _cases.c.tier, _cases.c.queued_us)
            .where(waiting(now_us), _cases.c.queue.in_(queues))
            .order_by(self._aged_order(now_us).desc())
            .limit(500)
        ).all()
        for candidate in sorted(rows, key=lambda r: (-self._aged(r, now_us), r.case_id)):
            row = self._lock(conn, candidate.case_id)
            if row is not None and status_at(row.status, row.claim_expires_us, now_us) == "waiting":
                return self._take(conn, row, actor, now_us)
        return None

    def _take(self, conn: Connection, row: Any, actor: str, now_us: int) -> dict[str, Any]:
        """Claim ``row`` for ``actor``: a new claim, a renewal of theirs (which keeps when
        they claimed it), or a take-over of someone else's lapsed claim."""
        renewed = row.status == "claimed" and row.claimed_by == actor
        lapsed_holder = row.claimed_by if row.status == "claimed" and not renewed else None
        claimed_us = row.claimed_us if renewed and row.claimed_us is not None else now_us
        expires_us = now_us + self._lease_us
        result = conn.execute(
            update(_cases)
            .where(
                _cases.c.case_id == row.case_id,
                _cases.c.status == row.status,
                _cases.c.claimed_by.is_not_distinct_from(row.claimed_by),
            )
            .values(
                status="claimed",
                claimed_by=actor,
                claimed_us=claimed_us,
                claim_expires_us=expires_us,
            )
        )
        if result.rowcount != 1:
            raise PermissionDeniedError(f"case {row.case_id} was claimed by someone else")
        subject = (row.subject_type, row.subject_id)
        details = {"case_id": row.case_id, "queue": row.queue, "claim_expires_at": _at(expires_us)}
        if renewed:
            action, reason = "review.claim_renewed", "renewed the claim"
            details["previous_expires_at"] = _at(row.claim_expires_us)
            details["lapsed"] = lapsed(row.status, row.claim_expires_us, now_us)
        else:
            action, reason = "review.claimed", "claimed for review"
            if lapsed_holder is not None:
                expired = _at(row.claim_expires_us)
                self.audit.append(
                    conn,
                    actor=actor,
                    action="review.claim_lapsed",
                    reason=f"{lapsed_holder}'s claim lapsed at {expired}; taken over by {actor}",
                    subject=subject,
                    details={
                        "case_id": row.case_id,
                        "queue": row.queue,
                        "claimed_by": lapsed_holder,
                        "claimed_at": _at(row.claimed_us),
                        "expired_at": expired,
                    },
                )
                details["took_over_from"] = lapsed_holder
        self.audit.append(
            conn, actor=actor, action=action, reason=reason, subject=subject, details=details
        )
        return {
            "case_id": row.case_id,
            "claimed_by": actor,
            "claimed_at": _at(claimed_us),
            "claim_expires_at": _at(expires_us),
            "renewed": renewed,
            "took_over_from": lapsed_holder,
        }

    def _not_held(self, case_id: str, row: Any, now_us: int, otherwise: str) -> str:
        """Why someone who does not hold a case may not act on it: who does, if anyone."""
        if row is None or row.status != "claimed" or row.claimed_by is None:
            return otherwise
        until = _at(row.claim_expires_us)
        if lapsed(row.status, row.claim_expires_us, now_us):
            return (
                f"you do not hold case {case_id}: {row.claimed_by}'s claim on it lapsed at"
                f" {until}; claim it to take it over"
            )
        minutes = self.config.review.claim_lease_minutes
        return (
            f"you do not hold case {case_id}: {row.claimed_by} holds it until {until}"
            f" (a claim lapses {minutes:g} minutes after it is made or renewed, and"
            " another moderator may then take it over)"
        )

    def release(self, conn: Connection, case_id: str, actor: str) -> None:
        """Give back a case you hold, your lapsed claim included while nobody took it over."""
        row = self._lock(conn, case_id)
        if row is None or row.claimed_by != actor or row.status != "claimed":
            now_us = to_us(self.clock.now())
            otherwise = f"you do not hold case {case_id}"
            raise PermissionDeniedError(self._not_held(case_id, row, now_us, otherwise))
        conn.execute(
            update(_cases)
            .where(_cases.c.case_id == case_id)
            .values(status="waiting", claimed_by=None, claimed_us=None, claim_expires_us=None)
        )
        self.audit.append(
            conn,
            actor=actor,
            action="review.released",
            reason="released",
            subject=(row.subject_type, row.subject_id),
            details={"case_id": case_id},
        )

    # ------------------------------------------------------------ deciding

    def decide(
        self,
        conn: Connection,
        case_id: str,
        actor: str,
        decision: Decision,
        *,
        owner: str | None = None,
    ) -> dict[str, Any]:
        """Decide a case ``actor`` holds; a lapsed claim is still theirs while nobody took
        it over. ``owner`` is the person acting (an API key's owner; default: the actor
        itself): a change's owner cannot approve it."""
        person = actor if owner is None else owner
        row = self._lock(conn, case_id)
        now_us = to_us(self.clock.now())
        if row is None or row.status != "claimed" or row.claimed_by != actor:
            otherwise = f"claim case {case_id} before deciding it"
            raise PermissionDeniedError(self._not_held(case_id, row, now_us, otherwise))
        restricted = RESTRICTED_ACTIONS.get(row.queue or "", frozenset())
        subject = (row.subject_type, row.subject_id)
        changes = decision.interventions
        if decision.irreversible_action is not None:
            if "irreversible" in restricted:
                raise PermissionDeniedError(f"the {row.queue} queue takes no irreversible action")
            if decision.irreversible_action not in IRREVERSIBLE_ACTIONS:
                raise InputError(f"unknown irreversible action {decision.irreversible_action!r}")
            if not decision.confirm_irreversible or decision.verdict != "approve":
                raise InputError(
                    "an irreversible action needs verdict 'approve' and confirm_irreversible: true"
                )
        if (
            decision.verdict == "approve"
            and not changes
            and row.changed_by_owner is not None
            and same_owner(row.changed_by_owner, person)
        ):
            raise PermissionDeniedError(
                f"nobody approves their own change: {row.changed_by_owner} made it "
                f"(as {row.changed_by}); another moderator must approve it"
            )
        for change in changes:
            if change.action == "apply":
                if not change.kind or change.ttl_hours is None:
                    raise InputError("apply needs a kind and ttl_hours")
                self.ledger.record(
                    conn,
                    [
                        InterventionRequest(
                            case_id,
                            row.subject_type,
                            row.subject_id,
                            change.kind,
                            row.tier,
                            change.ttl_hours,
                            True,
                        )
                    ],
                    phase="human",
                    actor=actor,
                    now_us=now_us,
                )
            elif change.action == "adjust":
                if change.intervention_id is None or change.ttl_hours is None:
                    raise InputError("adjust needs intervention_id and ttl_hours")
                self.ledger.adjust(
                    conn,
                    change.intervention_id,
                    change.ttl_hours,
                    case_id=case_id,
                    actor=actor,
                    now_us=now_us,
                )
            else:
                if change.intervention_id is None:
                    raise InputError("remove needs intervention_id")
                self.ledger.remove(
                    conn,
                    change.intervention_id,
                    case_id=case_id,
                    actor=actor,
                    reason=decision.reason,
                    now_us=now_us,
                )
        if decision.verdict == "reject":
            for item in self.ledger.of_case(conn, case_id):
                if item["state"] == "active" and not item["irreversible"]:
                    self.ledger.remove(
                        conn,
                        item["id"],
                        case_id=case_id,
                        actor=actor,
                        reason=f"routing rejected: {decision.reason}",
                        now_us=now_us,
                    )
        if decision.irreversible_action is not None:
            self.ledger.apply_irreversible(
                conn,
                case_id=case_id,
                subject_type=row.subject_type,
                subject_id=row.subject_id,
                kind=decision.irreversible_action,
                actor=actor,
                reason=decision.reason,
                now_us=now_us,
            )
        for feedback in decision.feedback:
            conn.execute(
                _feedback.insert().values(
                    case_id=case_id,
                    actor=actor,
                    signal=feedback.signal,
                    useful=feedback.useful,
                    note=feedback.note,
                    ts_us=now_us,
                )
            )
        record = decision.model_dump()
        if changes:
            # A change goes back to the queue for someone else's approval.
            values: dict[str, Any] = {
                "status": "waiting",
                "claimed_by": None,
                "claimed_us": None,
                "claim_expires_us": None,
                "changed_by": actor,
                "changed_by_owner": person,
                "decision": record,
            }
            outcome = "changed: awaiting another moderator's approval"
        else:
            values = {
                "status": "decided",
                "claim_expires_us": None,
                "decided_by": actor,
                "decided_us": now_us,
                "decision": record,
            }
            outcome = decision.verdict
        conn.execute(update(_cases).where(_cases.c.case_id == case_id).values(**values))
        self.audit.append(
            conn,
            actor=actor,
            action=f"review.{decision.verdict}",
            reason=decision.reason,
            subject=subject,
            versions={"risk_config": row.config_version},
            details={"case_id": case_id, "owner": person, "decision": record, "outcome": outcome},
        )
        return {"case_id": case_id, "outcome": outcome, "status": values["status"]}

    # ------------------------------------------------------------ metrics

    def metrics(self, conn: Connection) -> dict[str, Any]:
        """Per tier: waiting cases (a lapsed claim's too), oldest waiting, share inside
        the time target (reached by a claim that still holds, or decided)."""
        now_us = to_us(self.clock.now())
        rows = conn.execute(
            select(
                _cases.c.tier,
                _cases.c.status,
                _cases.c.queued_us,
                _cases.c.decided_us,
                _cases.c.claimed_us,
                _cases.c.claim_expires_us,
            ).where(_cases.c.queued_us.is_not(None))
        ).all()
        out: dict[str, Any] = {}
        for tier, target in self.config.review.time_target_hours.items():
            mine = [
                (r, status_at(r.status, r.claim_expires_us, now_us)) for r in rows if r.tier == tier
            ]
            queued = [r.queued_us for r, status in mine if status == "waiting"]
            oldest = max(((now_us - q) / _US_PER_HOUR for q in queued), default=0.0)
            inside = 0
            for r, status in mine:
                end = r.decided_us or (r.claimed_us if status == "claimed" else None) or now_us
                inside += (end - r.queued_us) / _US_PER_HOUR <= target
            out[tier] = {
                "waiting": len(queued),
                "oldest_waiting_hours": round(oldest, 2),
                "time_target_hours": target,
                "share_inside_target": round(inside / len(mine), 3) if mine else None,
            }
        waiting_total = sum(v["waiting"] for v in out.values())
        capacity = self.config.review
        return {
            "tiers": out,
            "capacity_per_hour": capacity.capacity_per_hour,
            "overloaded": waiting_total > capacity.capacity_per_hour * capacity.max_backlog_hours,
            "at": iso(now_us / 1e6),
        }
