"""The policy store: durable policy state, denylist, kill switches and policy
configuration versions. Every write bumps the global policy revision (so every
process's `PolicyCache` sees it on its next request) and is audited in the same
transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Select, select, update

from safefeed.audit import AuditLog
from safefeed.clock import Clock, from_us, to_us
from safefeed.exceptions import InputError, NotFoundError
from safefeed.policy.config import PolicyConfig, default_policy_config, parse_policy_config
from safefeed.policy.records import (
    DENYLIST_KINDS,
    GLOBAL_SCOPES,
    KILL_SWITCH_SCOPES,
    DenylistRecord,
    KillSwitchRecord,
    PolicyRecord,
    topic_key,
)
from safefeed.policy.snapshot import PolicyDelta
from safefeed.store.database import Database
from safefeed.store.tables import (
    DenylistEntry,
    KillSwitch,
    PolicyConfigVersion,
    PolicyHistory,
    PolicyRevision,
    PolicyStateRow,
    table_of,
)
from safefeed.store.upsert import upsert
from safefeed.types import (
    POLICY_STATES,
    SUBJECT_TYPES,
    SURFACES,
    PolicyState,
    Recommendability,
    SubjectKey,
    Surface,
)
from safefeed.version import __version__

__all__ = ["MAX_KILL_SWITCH_TTL", "REVISION_QUERY", "PolicyStore", "StateChange"]

#: A lapsing switch is an incident measure; longer-lived ones are set without a TTL.
MAX_KILL_SWITCH_TTL = timedelta(days=365)

_states = table_of(PolicyStateRow)
_history = table_of(PolicyHistory)
_denylist = table_of(DenylistEntry)
_switches = table_of(KillSwitch)
_configs = table_of(PolicyConfigVersion)
_revision = table_of(PolicyRevision)
#: The store's policy revision (one row; none before the first change).
REVISION_QUERY: Select[int] = select(_revision.c.revision).where(_revision.c.id == 1)


@dataclass(frozen=True, slots=True)
class StateChange:
    """A request to put one subject into a policy state."""

    subject: SubjectKey
    state: PolicyState
    policy_version: str
    reasons: tuple[str, ...] = ()
    surfaces: Mapping[Surface, Recommendability] = field(default_factory=dict)
    review_status: str | None = None
    event_id: str | None = None
    at: datetime | None = None

    def validate(self) -> None:
        if self.subject[0] not in SUBJECT_TYPES:
            raise InputError(f"unknown subject type {self.subject[0]!r}")
        if not self.subject[1]:
            raise InputError("subject id must not be empty")
        if self.state not in POLICY_STATES:
            raise InputError(
                f"unknown policy state {self.state!r}; known: {', '.join(POLICY_STATES)}"
            )
        for surface, value in self.surfaces.items():
            if surface not in SURFACES:
                raise InputError(f"unknown surface {surface!r}")
            if value not in (True, False, "limited"):
                raise InputError(
                    f"surface {surface}: recommendability must be true, false or 'limited'"
                )


def _require_who_and_why(actor: str, reason: str) -> None:
    if not actor.strip():
        raise InputError("an actor is required for every policy change")
    if not reason.strip():
        raise InputError("a reason is required for every policy change")


class PolicyStore:
    """Reads and writes policy state; the `PolicySource` behind every `PolicyCache`."""

    def __init__(self, database: Database, audit: AuditLog, clock: Clock) -> None:
        self.database = database
        self.audit = audit
        self.clock = clock

    # ------------------------------------------------------------ revision

    def current_revision(self) -> int:
        with self.database.read() as conn:
            return self._revision(conn)

    @staticmethod
    def _revision(conn: Connection) -> int:
        value = conn.execute(REVISION_QUERY).scalar()
        return int(value or 0)

    def _bump(self, conn: Connection) -> int:
        revision = self._revision(conn) + 1
        upsert(conn, _revision, [{"id": 1, "revision": revision}], keys=["id"])
        return revision

    def changes_since(self, revision: int) -> PolicyDelta:
        """Every state, denylist and kill-switch row written after ``revision``."""
        with self.database.read() as conn:
            delta = PolicyDelta(revision=self._revision(conn), config=self.active_config(conn))
            rows = conn.execute(select(_states).where(_states.c.revision > revision))
            delta.states = [_state_record(r._mapping) for r in rows]
            rows = conn.execute(select(_denylist).where(_denylist.c.revision > revision))
            delta.denylist = [_denylist_record(r._mapping) for r in rows]
            rows = conn.execute(select(_switches).where(_switches.c.revision > revision))
            delta.kill_switches = [_switch_record(r._mapping) for r in rows]
        return delta

    def _versions(self, conn: Connection, **extra: str) -> dict[str, str]:
        return {"policy_config": self.active_config(conn).version, "safefeed": __version__, **extra}

    # ------------------------------------------------------------ policy state

    def set_states(
        self, conn: Connection, changes: Sequence[StateChange], *, actor: str, reason: str
    ) -> list[PolicyRecord]:
        """Apply state changes in one revision, with history and audit records."""
        _require_who_and_why(actor, reason)
        if not changes:
            return []
        for change in changes:
            change.validate()
        revision = self._bump(conn)
        now = self.clock.now()
        previous = self._current_states(conn, [c.subject for c in changes])
        versions = self._versions(conn)
        state_rows, history_rows, records = [], [], []
        audit_records: list[dict[str, Any]] = []
        for change in changes:
            at_us = to_us(change.at or now)
            row = {
                "subject_type": change.subject[0],
                "subject_id": change.subject[1],
                "state": change.state,
                "policy_version": change.policy_version,
                "reasons": list(change.reasons),
                "surfaces": dict(change.surfaces),
                "review_status": change.review_status,
                "updated_us": at_us,
                "revision": revision,
            }
            state_rows.append(row)
            before = previous.get(change.subject)
            history_rows.append(
                {
                    **{k: v for k, v in row.items() if k != "updated_us"},
                    "previous_state": before,
                    "actor": actor,
                    "reason": reason,
                    "event_id": change.event_id,
                    "ts_us": at_us,
                }
            )
            records.append(_state_record(row))
            audit_records.append(
                {
                    "actor": actor,
                    "action": "policy.state_changed",
                    "reason": reason,
                    "subject": change.subject,
                    "versions": {**versions, "policy_version": change.policy_version},
                    "details": {
                        "from": before,
                        "to": change.state,
                        "reasons": list(change.reasons),
                        "surfaces": dict(change.surfaces),
                        "review_status": change.review_status,
                        "event_id": change.event_id,
                    },
                }
            )
        # Later changes to the same subject in one batch win, as in the event order.
        dedup = {(r["subject_type"], r["subject_id"]): r for r in state_rows}
        upsert(conn, _states, list(dedup.values()), keys=["subject_type", "subject_id"])
        conn.execute(_history.insert(), history_rows)
        self.audit.append_many(conn, audit_records)
        return records

    def set_state(
        self, conn: Connection, change: StateChange, *, actor: str, reason: str
    ) -> PolicyRecord:
        """Put one subject into a policy state."""
        return self.set_states(conn, [change], actor=actor, reason=reason)[0]

    @staticmethod
    def _current_states(conn: Connection, subjects: Sequence[SubjectKey]) -> dict[SubjectKey, str]:
        found: dict[SubjectKey, str] = {}
        by_type: dict[str, set[str]] = {}
        for subject_type, subject_id in subjects:
            by_type.setdefault(subject_type, set()).add(subject_id)
        for subject_type, ids in by_type.items():
            id_list = sorted(ids)
            for start in range(0, len(id_list), 500):
                rows = conn.execute(
                    select(_states.c.subject_id, _states.c.state).where(
                        _states.c.subject_type == subject_type,
                        _states.c.subject_id.in_(id_list[start : start + 500]),
                    )
                )
                for subject_id, state in rows:
                    found[(subject_type, subject_id)] = state
        return found

    def get_state(self, conn: Connection, subject: SubjectKey) -> PolicyRecord | None:
        row = conn.execute(
            select(_states).where(
                _states.c.subject_type == subject[0], _states.c.subject_id == subject[1]
            )
        ).first()
        return None if row is None else _state_record(row._mapping)

    @staticmethod
    def state_before(conn: Connection, subject: SubjectKey, revision: int) -> PolicyRecord | None:
        """The subject's whole record as it stood before ``revision`` (None: it had none)."""
        row = conn.execute(
            select(_history)
            .where(
                _history.c.subject_type == subject[0],
                _history.c.subject_id == subject[1],
                _history.c.revision < revision,
            )
            .order_by(_history.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return _state_record({**row._mapping, "updated_us": row.ts_us})

    def restore_state(
        self,
        conn: Connection,
        record: PolicyRecord,
        *,
        policy_version: str | None = None,
        actor: str,
        reason: str,
    ) -> PolicyRecord:
        """Put a subject back into an earlier record: state, surfaces, reasons, review.

        A rollback that restored only the state name would drop the record's
        surface limits and widen distribution; this restores all of it.
        """
        return self.set_state(
            conn,
            StateChange(
                subject=record.subject,
                state=record.state,
                policy_version=policy_version or record.policy_version,
                reasons=record.reasons,
                surfaces=cast("Mapping[Surface, Recommendability]", record.surfaces),
                review_status=record.review_status,
            ),
            actor=actor,
            reason=reason,
        )

    def history(
        self, conn: Connection, subject: SubjectKey, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The subject's policy changes, oldest first."""
        rows = conn.execute(
            select(_history)
            .where(_history.c.subject_type == subject[0], _history.c.subject_id == subject[1])
            .order_by(_history.c.id)
            .limit(limit)
        )
        return [
            {
                "policy_state": r.state,
                "previous_state": r.previous_state,
                "policy_version": r.policy_version,
                "reasons": r.reasons,
                "surfaces": r.surfaces,
                "review_status": r.review_status,
                "actor": r.actor,
                "reason": r.reason,
                "event_id": r.event_id,
                "at": from_us(r.ts_us).isoformat(),
                "revision": r.revision,
            }
            for r in rows
        ]

    # ------------------------------------------------------------ denylist

    def set_denylisted(
        self, conn: Connection, kind: str, value: str, *, active: bool, actor: str, reason: str
    ) -> DenylistRecord:
        """Add (``active=True``) or lift an entry of the denylist / tombstone set."""
        _require_who_and_why(actor, reason)
        if kind not in DENYLIST_KINDS:
            raise InputError(f"unknown denylist kind {kind!r}; known: {', '.join(DENYLIST_KINDS)}")
        if not value:
            raise InputError("a denylist value must not be empty")
        if kind == "campaign":
            value = value.lstrip("#").lower()
        elif kind == "topic":
            value = topic_key(value)
        existing = conn.execute(
            select(_denylist.c.active).where(_denylist.c.kind == kind, _denylist.c.value == value)
        ).scalar()
        if not active and not existing:
            raise NotFoundError(f"{kind} {value!r} is not on the denylist")
        revision = self._bump(conn)
        now_us = to_us(self.clock.now())
        row = {
            "kind": kind,
            "value": value,
            "active": active,
            "actor": actor,
            "reason": reason,
            "updated_us": now_us,
            "revision": revision,
        }
        upsert(conn, _denylist, [row], keys=["kind", "value"])
        self.audit.append(
            conn,
            actor=actor,
            action="denylist.added" if active else "denylist.removed",
            reason=reason,
            subject=None,
            versions=self._versions(conn),
            details={"kind": kind, "value": value},
        )
        return _denylist_record(row)

    def denylist(self, conn: Connection, *, include_inactive: bool = False) -> list[DenylistRecord]:
        query = select(_denylist).order_by(_denylist.c.kind, _denylist.c.value)
        if not include_inactive:
            query = query.where(_denylist.c.active.is_(True))
        return [_denylist_record(r._mapping) for r in conn.execute(query)]

    # ------------------------------------------------------------ kill switches

    def set_kill_switch(
        self,
        conn: Connection,
        scope: str,
        target: str,
        *,
        active: bool,
        actor: str,
        reason: str,
        ttl: timedelta | None = None,
    ) -> KillSwitchRecord:
        """Turn a kill switch on (optionally for ``ttl`` only) or off."""
        _require_who_and_why(actor, reason)
        if scope not in KILL_SWITCH_SCOPES:
            raise InputError(
                f"unknown kill-switch scope {scope!r}; known: {', '.join(KILL_SWITCH_SCOPES)}"
            )
        if scope in GLOBAL_SCOPES:
            target = "*"
        elif not target or target == "*":
            raise InputError(f"kill switch scope {scope!r} needs a target")
        elif scope in ("topic", "category"):
            target = topic_key(target)
        if ttl is not None and not timedelta(0) < ttl <= MAX_KILL_SWITCH_TTL:
            raise InputError(
                f"a kill switch TTL must be positive and at most {MAX_KILL_SWITCH_TTL.days} days"
            )
        existing = conn.execute(
            select(_switches.c.active).where(
                _switches.c.scope == scope, _switches.c.target == target
            )
        ).scalar()
        if not active and not existing:
            raise NotFoundError(f"kill switch {scope}:{target} is not on")
        revision = self._bump(conn)
        now = self.clock.now()
        row: dict[str, Any] = {
            "scope": scope,
            "target": target,
            "active": active,
            "actor": actor,
            "reason": reason,
            "updated_us": to_us(now),
            "expires_us": to_us(now + ttl) if (active and ttl) else None,
            "revision": revision,
        }
        upsert(conn, _switches, [row], keys=["scope", "target"])
        self.audit.append(
            conn,
            actor=actor,
            action="kill_switch.set" if active else "kill_switch.cleared",
            reason=reason,
            subject=None,
            versions=self._versions(conn),
            details={"scope": scope, "target": target, "expires_at": _iso(row["expires_us"])},
        )
        return _switch_record(row)

    def kill_switches(
        self, conn: Connection, *, include_inactive: bool = False
    ) -> list[KillSwitchRecord]:
        query = select(_switches).order_by(_switches.c.scope, _switches.c.target)
        if not include_inactive:
            query = query.where(_switches.c.active.is_(True))
        return [_switch_record(r._mapping) for r in conn.execute(query)]

    # ------------------------------------------------------------ configuration

    def active_config(self, conn: Connection) -> PolicyConfig:
        """The policy configuration in force (the shipped default until one is set)."""
        document = conn.execute(
            select(_configs.c.document).where(_configs.c.active.is_(True))
        ).scalar()
        return default_policy_config() if document is None else parse_policy_config(document)

    def activate_config(
        self, conn: Connection, document: Mapping[str, Any], *, actor: str, reason: str
    ) -> PolicyConfig:
        """Validate and store a new configuration version and make it the active one."""
        _require_who_and_why(actor, reason)
        config = parse_policy_config(document)
        taken = conn.execute(
            select(_configs.c.version).where(_configs.c.version == config.version)
        ).scalar()
        if taken is not None or config.version == default_policy_config().version:
            raise InputError(
                f"policy configuration version {config.version!r} exists; pick a new one"
            )
        previous = self.active_config(conn)
        conn.execute(update(_configs).where(_configs.c.active.is_(True)).values(active=False))
        conn.execute(
            _configs.insert(),
            {
                "version": config.version,
                "document": config.document(),
                "actor": actor,
                "reason": reason,
                "created_us": to_us(self.clock.now()),
                "active": True,
            },
        )
        self._bump(conn)
        self.audit.append(
            conn,
            actor=actor,
            action="policy_config.activated",
            reason=reason,
            subject=None,
            versions={"policy_config": config.version, "previous_policy_config": previous.version},
            details={"changes": _diff(previous.document(), config.document())},
        )
        return config

    def config_versions(self, conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(select(_configs).order_by(_configs.c.created_us))
        return [
            {
                "version": r.version,
                "active": r.active,
                "actor": r.actor,
                "reason": r.reason,
                "created_at": from_us(r.created_us).isoformat(),
            }
            for r in rows
        ]


def _diff(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flattened ``path -> [before, after]`` of what differs between two documents."""
    changes: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        path = f"{prefix}{key}"
        old, new = before.get(key), after.get(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changes.update(_diff(old, new, path + "."))
        elif old != new:
            changes[path] = [old, new]
    return changes


def _iso(us: int | None) -> str | None:
    return None if us is None else from_us(us).isoformat()


def _state_record(row: Mapping[Any, Any]) -> PolicyRecord:
    return PolicyRecord(
        subject=(row["subject_type"], row["subject_id"]),
        state=row["state"],
        policy_version=row["policy_version"],
        reasons=tuple(row["reasons"] or ()),
        surfaces=dict(row["surfaces"] or {}),
        review_status=row["review_status"],
        updated_at=from_us(row["updated_us"]),
        revision=row["revision"],
    )


def _denylist_record(row: Mapping[Any, Any]) -> DenylistRecord:
    return DenylistRecord(
        kind=row["kind"],
        value=row["value"],
        actor=row["actor"],
        reason=row["reason"],
        updated_at=from_us(row["updated_us"]),
        active=bool(row["active"]),
    )


def _switch_record(row: Mapping[Any, Any]) -> KillSwitchRecord:
    expires = row["expires_us"]
    return KillSwitchRecord(
        scope=row["scope"],
        target=row["target"],
        actor=row["actor"],
        reason=row["reason"],
        updated_at=from_us(row["updated_us"]),
        active=bool(row["active"]),
        expires_at=None if expires is None else from_us(expires),
    )
