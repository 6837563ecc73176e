"""Authentication and role checks for routes.

Every route but the health checks depends on exactly one `Access` object naming
the roles it accepts; `create_app` refuses to start otherwise, and the role-matrix
test enumerates routes through the same objects.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from safefeed.access.keys import ApiKeyStore, Principal
from safefeed.access.roles import ROLES, Role

__all__ = ["Access", "requires"]


class Access:
    """A FastAPI dependency: authenticate the caller, then require one of ``roles``."""

    def __init__(self, roles: tuple[Role, ...]) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ValueError(f"bad role declaration {roles!r}")
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Principal:
        # Async: run on the event loop, without a thread-pool hand-off per call. The
        # store is read only when the key is not in `verify`'s short-lived memo.
        token = _token(request)
        if token is None:
            raise HTTPException(
                401,
                "authentication required: send 'Authorization: Bearer <API key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        runtime = request.app.state.runtime
        keys: ApiKeyStore = runtime.keys
        principal = keys.verify(runtime.database.read, token)
        if principal is None:
            raise HTTPException(
                401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
            )
        if not principal.roles & self.roles:
            needed = ", ".join(sorted(self.roles))
            raise HTTPException(403, f"this action needs one of the roles: {needed}")
        return principal


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key else None


def requires(*roles: Role) -> Access:
    """Declare the roles a route accepts."""
    return Access(roles)
