"""SQLAlchemy table definitions: the one schema shared by SQLite and PostgreSQL.

Times are stored as integer microseconds since the epoch (``*_us``): portable,
sortable and cheap to index on both back ends. Free-form documents are JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Account",
    "ApiKey",
    "AuditHead",
    "AuditRecord",
    "Base",
    "Content",
    "DenylistEntry",
    "EventRow",
    "EventSubject",
    "FollowEdge",
    "KillSwitch",
    "PolicyConfigVersion",
    "PolicyHistory",
    "PolicyRevision",
    "PolicyStateRow",
    "TextSignal",
    "metadata",
    "table_of",
]

# Autoincrementing 64-bit keys: SQLite only autoincrements a column typed INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, typed as a `Table` for Core statements."""
    return cast(Table, model.__table__)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


# ---------------------------------------------------------------- event log


class EventRow(Base):
    """One accepted event, stored as received (extra fields included)."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(256), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    ts_us: Mapped[int] = mapped_column(BigInteger, index=True)
    received_us: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)


class EventSubject(Base):
    """Index of the log by subject: one row per (subject, event)."""

    __tablename__ = "event_subjects"
    # Clustered on the key in SQLite: no second B-tree to maintain on every insert.
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012
    subject_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    ts_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # By event_id rather than seq: rows are then known before the insert, so a batch
    # goes in with one executemany and no RETURNING round trip per row.
    event_id: Mapped[str] = mapped_column(String(256), primary_key=True)


# ---------------------------------------------------------------- catalog


class Account(Base):
    __tablename__ = "accounts"
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(32))
    is_creator: Mapped[bool] = mapped_column(Boolean, default=False)
    created_us: Mapped[int] = mapped_column(BigInteger)


class Content(Base):
    __tablename__ = "content"
    content_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(256), index=True)
    format: Mapped[str] = mapped_column(String(16))
    topics: Mapped[list[Any]] = mapped_column(JSON)
    hashtags: Mapped[list[Any]] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(2))
    duration_s: Mapped[float | None] = mapped_column(Float)
    quality_score: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    embedding: Mapped[list[Any] | None] = mapped_column(JSON)
    #: Who made ``embedding``: None for the platform (the event's own), else the
    #: engine's model (its version, e.g. the sentence model's for ``text_embeddings``).
    embedding_model: Mapped[str | None] = mapped_column(String(128))
    expires_us: Mapped[int | None] = mapped_column(BigInteger)
    published_us: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class FollowEdge(Base):
    __tablename__ = "follows"
    user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    created_us: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------- policy store


class PolicyRevision(Base):
    """A single row holding the global policy revision: bumped by every policy write,
    so every process can tell cheaply whether its in-memory snapshot is current."""

    __tablename__ = "policy_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class PolicyStateRow(Base):
    __tablename__ = "policy_states"
    subject_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    surfaces: Mapped[dict[str, Any]] = mapped_column(JSON)
    review_status: Mapped[str | None] = mapped_column(String(64))
    updated_us: Mapped[int] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)


class PolicyHistory(Base):
    __tablename__ = "policy_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(256))
    state: Mapped[str] = mapped_column(String(32))
    previous_state: Mapped[str | None] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    surfaces: Mapped[dict[str, Any]] = mapped_column(JSON)
    review_status: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(256))
    ts_us: Mapped[int] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index(None, "subject_type", "subject_id", "id"),)


class DenylistEntry(Base):
    __tablename__ = "denylist"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(256), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    updated_us: Mapped[int] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)


class KillSwitch(Base):
    __tablename__ = "kill_switches"
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    target: Mapped[str] = mapped_column(String(256), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    updated_us: Mapped[int] = mapped_column(BigInteger)
    expires_us: Mapped[int | None] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)


class PolicyConfigVersion(Base):
    """A version of the policy configuration (gate rules per surface, thresholds)."""

    __tablename__ = "policy_configs"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    created_us: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, index=True)


# ---------------------------------------------------------------- audit log


class AuditRecord(Base):
    """One audit record; ``hash`` chains it to the record before (see safefeed.audit)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    ts_us: Mapped[int] = mapped_column(BigInteger, index=True)
    actor: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index(None, "subject_type", "subject_id"),)


class AuditHead(Base):
    """The newest record's sequence number and hash: detects a truncated tail."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


# ---------------------------------------------------------------- signals


class TextSignal(Base):
    """A text classifier's score for one piece of content text or live chat line."""

    __tablename__ = "text_signals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(256))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str] = mapped_column(String(128))
    config_version: Mapped[str] = mapped_column(String(64))
    ts_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index(None, "subject_type", "subject_id", "ts_us"),)


# ---------------------------------------------------------------- access


class ApiKey(Base):
    """An API key, stored only as its SHA-256 hash."""

    __tablename__ = "api_keys"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    #: The person the key belongs to: one person's keys count as one in approvals.
    owner: Mapped[str] = mapped_column(String(256))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[list[Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(256))
    created_us: Mapped[int] = mapped_column(BigInteger)
    revoked_us: Mapped[int | None] = mapped_column(BigInteger)
