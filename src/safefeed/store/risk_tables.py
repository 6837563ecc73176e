"""Tables of the risk funnel and the review queue.

``risk_cases`` holds each case's latest state (the review queue reads it);
``risk_interventions`` every intervention suggested or applied, with its expiry
and how it ended; ``review_members`` which moderators work which queue;
``review_feedback`` the per-signal usefulness feedback of decisions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safefeed.store.tables import Base, BigId

__all__ = ["ReviewFeedback", "ReviewMember", "RiskCase", "RiskIntervention"]


class RiskCase(Base):
    __tablename__ = "risk_cases"
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(256))
    tier: Mapped[str] = mapped_column(String(16))
    peak_tier: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    lower: Mapped[float] = mapped_column(Float)
    upper: Mapped[float] = mapped_column(Float)
    line: Mapped[dict[str, Any]] = mapped_column(JSON)
    queue: Mapped[str | None] = mapped_column(String(32))
    #: ``waiting`` (in a queue), ``claimed``, ``decided``, ``closed`` (risk subsided), ``none``.
    status: Mapped[str] = mapped_column(String(16))
    base_priority: Mapped[float] = mapped_column(Float)
    first_surfaced_us: Mapped[int] = mapped_column(BigInteger)
    queued_us: Mapped[int | None] = mapped_column(BigInteger)
    updated_us: Mapped[int] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(256))
    claimed_us: Mapped[int | None] = mapped_column(BigInteger)
    #: When the claim lapses unless renewed; from then on the case waits again.
    claim_expires_us: Mapped[int | None] = mapped_column(BigInteger)
    decided_by: Mapped[str | None] = mapped_column(String(256))
    decided_us: Mapped[int | None] = mapped_column(BigInteger)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Who last changed the case's routing or interventions (the actor, as audited) and
    #: the person behind them (a key's owner): nobody approves their own change, with
    #: whichever of their keys.
    changed_by: Mapped[str | None] = mapped_column(String(256))
    changed_by_owner: Mapped[str | None] = mapped_column(String(256))
    config_version: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index(None, "status", "queue"),
        Index(None, "subject_type", "subject_id"),
    )


class RiskIntervention(Base):
    __tablename__ = "risk_interventions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16))
    #: ``active``, ``shadow`` (computed, not applied), ``rolled_back``, ``expired``, ``removed``.
    state: Mapped[str] = mapped_column(String(16), index=True)
    irreversible: Mapped[bool] = mapped_column(Boolean, default=False)
    phase: Mapped[str] = mapped_column(String(16))
    policy_state_set: Mapped[str | None] = mapped_column(String(32))
    previous_policy_state: Mapped[str | None] = mapped_column(String(32))
    applied_by: Mapped[str] = mapped_column(String(256))
    approved_by: Mapped[str | None] = mapped_column(String(256))
    created_us: Mapped[int] = mapped_column(BigInteger)
    expires_us: Mapped[int | None] = mapped_column(BigInteger, index=True)
    ended_us: Mapped[int | None] = mapped_column(BigInteger)
    ended_by: Mapped[str | None] = mapped_column(String(256))
    end_reason: Mapped[str | None] = mapped_column(Text)
    config_version: Mapped[str] = mapped_column(String(64))


class ReviewMember(Base):
    __tablename__ = "review_members"
    queue: Mapped[str] = mapped_column(String(32), primary_key=True)
    actor: Mapped[str] = mapped_column(String(256), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(256))
    added_us: Mapped[int] = mapped_column(BigInteger)


class ReviewFeedback(Base):
    __tablename__ = "review_feedback"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(256))
    signal: Mapped[str] = mapped_column(String(64))
    useful: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    ts_us: Mapped[int] = mapped_column(BigInteger)
