"""API keys, stored only as SHA-256 hashes. A key is shown once, when it is made.

A key belongs to a person, its ``owner`` (by default the key's own name). One
person may hold several keys (a laptop's, a CI job's); wherever the engine stops
someone approving their own change it compares owners (`same_owner`), not keys.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from safefeed.access.roles import ROLES, Role
from safefeed.audit import AuditLog
from safefeed.clock import Clock, to_us
from safefeed.exceptions import InputError, NotFoundError
from safefeed.store.tables import ApiKey, table_of

__all__ = ["ApiKeyStore", "IssuedKey", "Principal", "hash_key", "same_owner"]

_keys = table_of(ApiKey)
_PREFIX = "sf_"
_VERIFIED_SECONDS = 5.0
_MAX_LABEL = 256  # the columns' length


def hash_key(token: str) -> str:
    """SHA-256 of a key. Keys are 256-bit random, so an unsalted fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_owner(a: str, b: str) -> bool:
    """Whether two owners are one person: compared without regard to case, so a second
    spelling of a name errs toward refusing an approval, never toward allowing one.

    >>> same_owner("Alice", "alice"), same_owner("alice", "alice-ci")
    (True, False)
    """
    return a.casefold() == b.casefold()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    name: str
    #: The person the key belongs to; the audit actor stays the key (`actor`).
    owner: str
    roles: frozenset[Role]

    @property
    def actor(self) -> str:
        """How the caller appears in the audit log."""
        return f"key:{self.name}"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    principal: Principal
    token: str


class ApiKeyStore:
    """Issues, authenticates and revokes API keys."""

    def __init__(self, audit: AuditLog, clock: Clock) -> None:
        self.audit = audit
        self.clock = clock
        # Keys verified recently: key hash -> (principal, monotonic time verified).
        self._verified: dict[str, tuple[Principal, float]] = {}

    def issue(
        self,
        conn: Connection,
        name: str,
        roles: Sequence[str],
        *,
        owner: str | None = None,
        actor: str,
        reason: str,
    ) -> IssuedKey:
        """Make a key for ``owner`` (default: ``name``); the returned token is the only
        time the secret exists in clear."""
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise InputError(f"unknown role(s) {unknown}; known: {', '.join(ROLES)}")
        if not roles:
            raise InputError("a key needs at least one role")
        _check_label("name", name)
        owner = name if owner is None else owner
        _check_label("owner", owner)
        taken = conn.execute(
            select(_keys.c.key_id).where(_keys.c.name == name, _keys.c.revoked_us.is_(None))
        ).first()
        if taken is not None:
            raise InputError(f"an active key named {name!r} exists")
        key_id = secrets.token_hex(6)
        token = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        role_list = sorted(set(roles))
        conn.execute(
            _keys.insert(),
            {
                "key_id": key_id,
                "name": name,
                "owner": owner,
                "key_hash": hash_key(token),
                "roles": role_list,
                "created_by": actor,
                "created_us": to_us(self.clock.now()),
                "revoked_us": None,
            },
        )
        self.audit.append(
            conn,
            actor=actor,
            action="api_key.issued",
            reason=reason,
            details={"key_id": key_id, "name": name, "owner": owner, "roles": role_list},
        )
        return IssuedKey(Principal(key_id, name, owner, frozenset(role_list)), token)  # type: ignore[arg-type]

    @staticmethod
    def authenticate(conn: Connection, token: str) -> Principal | None:
        """The principal a token belongs to, or None if unknown or revoked."""
        if not token.startswith(_PREFIX):
            return None
        row = conn.execute(
            select(_keys.c.key_id, _keys.c.name, _keys.c.owner, _keys.c.roles).where(
                _keys.c.key_hash == hash_key(token), _keys.c.revoked_us.is_(None)
            )
        ).first()
        if row is None:
            return None
        return Principal(row.key_id, row.name, row.owner, frozenset(row.roles))

    def verify(
        self, read: Callable[[], AbstractContextManager[Connection]], token: str
    ) -> Principal | None:
        """`authenticate`, remembering a verified key for `_VERIFIED_SECONDS` so a busy
        route does not read the store per call. A revocation here applies at once;
        one made by another process reaches this one within that bound."""
        digest = hash_key(token)
        found = self._verified.get(digest)
        now = time.monotonic()
        if found is not None and now - found[1] < _VERIFIED_SECONDS:
            return found[0]
        with read() as conn:
            principal = self.authenticate(conn, token)
        if principal is None:
            self._verified.pop(digest, None)
        else:
            if len(self._verified) > 10_000:  # bounded: keys are few, tokens guessed many
                self._verified.clear()
            self._verified[digest] = (principal, now)
        return principal

    def revoke(self, conn: Connection, key_id: str, *, actor: str, reason: str) -> None:
        result = conn.execute(
            update(_keys)
            .where(_keys.c.key_id == key_id, _keys.c.revoked_us.is_(None))
            .values(revoked_us=to_us(self.clock.now()))
        )
        if result.rowcount == 0:
            raise NotFoundError(f"no active key {key_id!r}")
        self._verified.clear()
        self.audit.append(
            conn, actor=actor, action="api_key.revoked", reason=reason, details={"key_id": key_id}
        )

    @staticmethod
    def list(conn: Connection) -> list[dict[str, object]]:
        rows = conn.execute(select(_keys).order_by(_keys.c.created_us))
        return [
            {
                "key_id": r.key_id,
                "name": r.name,
                "owner": r.owner,
                "roles": r.roles,
                "created_by": r.created_by,
                "revoked": r.revoked_us is not None,
            }
            for r in rows
        ]


def _check_label(what: str, value: str) -> None:
    """A key's name or owner is one printable line, as typed: a stray space or a newline
    would make two spellings of one person."""
    if not value.strip():
        raise InputError(f"a key's {what} must not be blank")
    if value != value.strip():
        raise InputError(f"a key's {what} {value!r} starts or ends with a space")
    if not value.isprintable():
        raise InputError(f"a key's {what} {value!r} holds a control or other unprintable character")
    if len(value) > _MAX_LABEL:
        raise InputError(f"a key's {what} is {len(value)} characters long; at most {_MAX_LABEL}")
