"""The audit log (auditor only): read records, export them and verify the hash chain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

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


@router.get(
    "/export",
    summary="Every record as canonical JSON Lines, for verification outside safefeed",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export_audit(
    request: Request, _: Annotated[Principal, Depends(requires("auditor"))]
) -> StreamingResponse:
    """The lines of `safefeed audit export` (docs/audit.md verifies them with the standard
    library alone), streamed from one read transaction. ``X-Audit-Head`` is that
    transaction's head, ``SEQ:HASH``: the last line's record, an anchor to keep."""
    runtime = runtime_of(request)
    # Opened here, not in the generator, so the head in the headers and the lines come
    # from one consistent snapshot; the generator closes it when the stream ends or
    # the client goes away.
    stack = ExitStack()
    try:
        conn = stack.enter_context(runtime.database.read())
        seq, head = runtime.audit.head(conn)
    except BaseException:
        stack.close()
        raise

    def lines() -> Iterator[bytes]:
        with stack:
            for entry in runtime.audit.export(conn):
                yield entry.export_line()

    return StreamingResponse(
        lines(), media_type="application/x-ndjson", headers={"X-Audit-Head": f"{seq}:{head}"}
    )
