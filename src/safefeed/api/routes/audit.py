"""The audit log (auditor only): read records and verify the hash chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from safefeed.access.keys import Principal
from safefeed.api.access import requires
from safefeed.api.deps import runtime_of
from safefeed.audit import parse_anchor
from safefeed.exceptions import InputError

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="Audit records in order")
def list_audit(
    request: Request,
    _: Annotated[Principal, Depends(requires("auditor"))],
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: str | None = None,
    actor: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> dict[str, Any]:
    if (subject_type is None) != (subject_id is None):
        raise InputError("give both subject_type and subject_id, or neither")
    subject = (subject_type, subject_id) if subject_type and subject_id else None
    runtime = runtime_of(request)
    with runtime.database.read() as conn:
        entries = runtime.audit.entries(
            conn, after_seq=after_seq, limit=limit, action=action, subject=subject, actor=actor
        )
    return {"records": [e.as_dict() for e in entries]}


@router.get("/verify", summary="Verify the hash chain; names every tampered record")
def verify_audit(
    request: Request,
    _: Annotated[Principal, Depends(requires("auditor"))],
    anchor: Annotated[str | None, Query(description="SEQ:HASH recorded earlier")] = None,
) -> dict[str, Any]:
    parsed = None if anchor is None else parse_anchor(anchor)
    runtime = runtime_of(request)
    with runtime.database.read() as conn:
        report = runtime.audit.verify(conn, anchor=parsed)
    return report.as_dict()
