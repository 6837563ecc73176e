"""Interventions in the store: applied, renewed, expired and rolled back — all audited.

An automatic intervention is reversible by construction: it has an expiry, it
rolls back on its own when it lapses or when its case's risk subsides, and the
policy state it set is restored only if nobody changed it since (a human's
change is never undone by the funnel). ``limit_adult_minor_contact`` is the one
that changes policy state (the subject becomes ``restricted``: adults-only
audience rules, never pushed); the feed reads that state, the funnel never calls
the feed. Irreversible actions are not created here except by `apply_irreversible`,
which only a moderator's recorded decision calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from safefeed.audit import AuditLog
from safefeed.clock import to_us
from safefeed.exceptions import InputError, NotFoundError
from safefeed.policy.records import MODERATOR_DECISION
from safefeed.policy.store import PolicyStore, StateChange
from safefeed.risk.model import TIER_RANK
from safefeed.store.risk_tables import RiskIntervention
from safefeed.store.tables import table_of
from safefeed.types import SUBJECT_TYPES, PolicyState

__all__ = [
    "AUTO_REVIEW_STATUS",
    "IRREVERSIBLE_ACTIONS",
    "InterventionLedger",
    "InterventionRequest",
]

_rows = table_of(RiskIntervention)
_HOUR_US = 3_600_000_000

#: The review status the funnel stamps on policy state it sets: how rollback knows it.
AUTO_REVIEW_STATUS = "risk_funnel:auto"

#: Kinds that change policy state, and the state they set.
_POLICY_EFFECT: dict[str, PolicyState] = {"limit_adult_minor_contact": "restricted"}

#: Actions that cannot be undone by the funnel: only a moderator's decision applies them.
IRREVERSIBLE_ACTIONS: dict[str, PolicyState] = {
    "suspend_account": "blocked",
    "remove_content": "deleted",
    "end_live_session": "blocked",
}


@dataclass(frozen=True, slots=True)
class InterventionRequest:
    case_id: str
    subject_type: str
    subject_id: str
    kind: str
    tier: str
    ttl_hours: float
    apply: bool


class InterventionLedger:
    """Writes interventions and their policy effects, in the caller's transaction."""

    def __init__(self, policy: PolicyStore, audit: AuditLog, config_version: str) -> None:
        self.policy = policy
        self.audit = audit
        self.config_version = config_version

    def record(
        self,
        conn: Connection,
        requests: Sequence[InterventionRequest],
        *,
        phase: str,
        actor: str,
        now_us: int,
    ) -> list[int]:
        """Record suggested interventions; apply those the phase allows. Returns row ids."""
        ids = []
        for request in requests:
            existing = conn.execute(
                select(_rows.c.id, _rows.c.expires_us).where(
                    _rows.c.subject_type == request.subject_type,
                    _rows.c.subject_id == request.subject_id,
                    _rows.c.kind == request.kind,
                    _rows.c.state == ("active" if request.apply else "shadow"),
                )
            ).first()
            expires = now_us + int(request.ttl_hours * _HOUR_US)
            if existing is not None:
                # Still at risk: the intervention is renewed, not stacked.
                if expires > (existing.expires_us or 0):
                    conn.execute(
                        update(_rows).where(_rows.c.id == existing.id).values(expires_us=expires)
                    )
                ids.append(int(existing.id))
                continue
            previous: str | None = None
            effect = _POLICY_EFFECT.get(request.kind) if request.apply else None
            if effect and request.subject_type in SUBJECT_TYPES:
                current = self.policy.get_state(conn, (request.subject_type, request.subject_id))
                previous = current.state if current else None
                self.policy.set_state(
                    conn,
                    StateChange(
                        subject=(request.subject_type, request.subject_id),
                        state=effect,
                        policy_version=self.config_version,
                        reasons=(f"risk:{request.kind}", request.case_id),
                        review_status=AUTO_REVIEW_STATUS,
                    ),
                    actor=actor,
                    reason=f"risk case {request.case_id}: {request.kind} (expires on its own)",
                )
            else:
                effect = None
            row_id = conn.execute(
                _rows.insert().values(
                    case_id=request.case_id,
                    subject_type=request.subject_type,
                    subject_id=request.subject_id,
                    kind=request.kind,
                    tier=request.tier,
                    state="active" if request.apply else "shadow",
                    irreversible=False,
                    phase=phase,
                    policy_state_set=effect,
                    previous_policy_state=previous,
                    applied_by=actor,
                    approved_by=None,
                    created_us=now_us,
                    expires_us=expires,
                    config_version=self.config_version,
                )
            ).inserted_primary_key
            ids.append(int(row_id[0]) if row_id else 0)
            self.audit.append(
                conn,
                actor=actor,
                action="risk.intervention_applied" if request.apply else "risk.intervention_shadow",
                reason=f"{request.tier} risk case {request.case_id}",
                subject=(request.subject_type, request.subject_id),
                versions={"risk_config": self.config_version},
                details={
                    "kind": request.kind,
                    "ttl_hours": request.ttl_hours,
                    "phase": phase,
                    "policy_state_set": effect,
                    "case_id": request.case_id,
                },
            )
        return ids

    def _end(
        self, conn: Connection, row: Any, state: str, actor: str, reason: str, now_us: int
    ) -> None:
        restored = None
        if row.policy_state_set:
            current = self.policy.get_state(conn, (row.subject_type, row.subject_id))
            ours = (
                current is not None
                and current.state == row.policy_state_set
                and current.review_status == AUTO_REVIEW_STATUS
            )
            if ours and current is not None:
                subject = (row.subject_type, row.subject_id)
                why = f"intervention {row.id} {state}: {reason}"
                before = self.policy.state_before(conn, subject, current.revision)
                if before is not None:
                    # The whole earlier record: its surfaces and reasons, not just its name.
                    restored = before.state
                    self.policy.restore_state(conn, before, actor=actor, reason=why)
                else:
                    restored = row.previous_policy_state or "allowed"
                    self.policy.set_state(
                        conn,
                        StateChange(
                            subject=subject,
                            state=restored,  # type: ignore[arg-type]
                            policy_version=self.config_version,
                            reasons=(f"risk:{row.kind}:ended", row.case_id),
                            review_status=None,
                        ),
                        actor=actor,
                        reason=why,
                    )
        conn.execute(
            update(_rows)
            .where(_rows.c.id == row.id)
            .values(state=state, ended_us=now_us, ended_by=actor, end_reason=reason)
        )
        self.audit.append(
            conn,
            actor=actor,
            action=f"risk.intervention_{state}",
            reason=reason,
            subject=(row.subject_type, row.subject_id),
            versions={"risk_config": self.config_version},
            details={
                "intervention_id": row.id,
                "kind": row.kind,
                "case_id": row.case_id,
                "policy_state_restored": restored,
            },
        )

    def expire(self, conn: Connection, now_us: int, *, actor: str = "risk-funnel") -> int:
        """Roll back every active intervention past its expiry; the number rolled back."""
        rows = conn.execute(
            select(_rows).where(_rows.c.state == "active", _rows.c.expires_us <= now_us)
        ).all()
        for row in rows:
            self._end(conn, row, "expired", actor, "expired: its time to live ran out", now_us)
        return len(rows)

    def subside(self, conn: Connection, case_id: str, tier: str | None, now_us: int) -> int:
        """Roll back a case's active interventions above its new tier (risk subsided)."""
        rank = TIER_RANK[tier or "none"]
        rows = conn.execute(
            select(_rows).where(_rows.c.case_id == case_id, _rows.c.state == "active")
        ).all()
        ended = 0
        for row in rows:
            if not row.irreversible and TIER_RANK[row.tier] > rank:
                self._end(
                    conn,
                    row,
                    "rolled_back",
                    "risk-funnel",
                    f"risk subsided to {tier or 'none'}",
                    now_us,
                )
                ended += 1
        return ended

    @staticmethod
    def _of_case(conn: Connection, case_id: str, intervention_id: int) -> Any:
        """The intervention, only if it belongs to the case being decided: a decision on
        one case must not reach another case's interventions (which may sit in a queue
        the moderator does not work)."""
        row = conn.execute(
            select(_rows).where(_rows.c.id == intervention_id, _rows.c.case_id == case_id)
        ).first()
        if row is None:
            raise NotFoundError(f"case {case_id} has no intervention {intervention_id}")
        return row

    def remove(
        self,
        conn: Connection,
        intervention_id: int,
        *,
        case_id: str,
        actor: str,
        reason: str,
        now_us: int,
    ) -> None:
        """End one of the case's active, reversible interventions on a moderator's word."""
        row = self._of_case(conn, case_id, intervention_id)
        if row.state != "active":
            raise InputError(f"intervention {intervention_id} is {row.state}, not active")
        if row.irreversible:
            raise InputError("an irreversible action cannot be removed by the funnel")
        self._end(conn, row, "removed", actor, reason, now_us)

    def adjust(
        self,
        conn: Connection,
        intervention_id: int,
        ttl_hours: float,
        *,
        case_id: str,
        actor: str,
        now_us: int,
    ) -> None:
        """Give one of the case's active, reversible interventions a new time to live."""
        row = self._of_case(conn, case_id, intervention_id)
        if row.state != "active":
            raise InputError(f"intervention {intervention_id} is {row.state}, not active")
        if row.irreversible:
            # An expiry would let `expire` mark a suspension as lapsed while it still holds.
            raise InputError("an irreversible action has no time to live to adjust")
        expires = now_us + int(ttl_hours * _HOUR_US)
        conn.execute(update(_rows).where(_rows.c.id == row.id).values(expires_us=expires))
        self.audit.append(
            conn,
            actor=actor,
            action="risk.intervention_adjusted",
            reason=f"new ttl {ttl_hours}h",
            subject=(row.subject_type, row.subject_id),
            details={"intervention_id": row.id, "case_id": row.case_id, "ttl_hours": ttl_hours},
        )

    def apply_irreversible(
        self,
        conn: Connection,
        *,
        case_id: str,
        subject_type: str,
        subject_id: str,
        kind: str,
        actor: str,
        reason: str,
        now_us: int,
    ) -> int:
        """An irreversible action, applied only on a moderator's recorded decision."""
        state = IRREVERSIBLE_ACTIONS.get(kind)
        if state is None:
            raise InputError(f"unknown irreversible action {kind!r}")
        if subject_type not in SUBJECT_TYPES:
            raise InputError(f"{kind} needs an account, content or live session subject")
        self.policy.set_state(
            conn,
            StateChange(
                subject=(subject_type, subject_id),
                state=state,
                policy_version=self.config_version,
                reasons=(f"review:{kind}", case_id),
                review_status=MODERATOR_DECISION,
            ),
            actor=actor,
            reason=reason,
        )
        row_id = conn.execute(
            _rows.insert().values(
                case_id=case_id,
                subject_type=subject_type,
                subject_id=subject_id,
                kind=kind,
                tier="high",
                state="active",
                irreversible=True,
                phase="human",
                policy_state_set=state,
                previous_policy_state=None,
                applied_by=actor,
                approved_by=actor,
                created_us=now_us,
                expires_us=None,
                config_version=self.config_version,
            )
        ).inserted_primary_key
        self.audit.append(
            conn,
            actor=actor,
            action="review.irreversible_action",
            reason=reason,
            subject=(subject_type, subject_id),
            details={"kind": kind, "case_id": case_id, "approved_by": actor},
        )
        return int(row_id[0]) if row_id else 0

    @staticmethod
    def of_case(conn: Connection, case_id: str) -> list[dict[str, Any]]:
        rows = conn.execute(select(_rows).where(_rows.c.case_id == case_id).order_by(_rows.c.id))
        return [dict(row._mapping) for row in rows]

    @staticmethod
    def now_us(when: Any) -> int:
        return to_us(when)
