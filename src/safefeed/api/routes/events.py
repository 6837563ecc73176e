"""``/v1/events``: push events (service) and read the event log (auditor)."""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from safefeed.access.keys import Principal
from safefeed.api.access import requires
from safefeed.api.deps import metrics_of, runtime_of
from safefeed.api.problems import ProblemError
from safefeed.exceptions import InputError
from safefeed.ingest.pipeline import IngestContext
from safefeed.store.event_log import EventLog
from safefeed.types import SubjectType

__all__ = ["router"]

router = APIRouter(prefix="/v1/events", tags=["events"])

_BATCH_EXAMPLE = [
    {
        "event_id": "e-1",
        "type": "content.published",
        "ts": "2026-05-01T21:14:03Z",
        "content_id": "c1",
        "creator_id": "cr1",
        "format": "video",
        "topics": ["cooking"],
    }
]


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProblemError(
            413, "Payload too large", f"the body exceeds {limit} bytes; split the batch"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProblemError(
                413, "Payload too large", f"the body exceeds {limit} bytes; split the batch"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decoded(body: bytes, encoding: str, limit: int) -> bytes:
    """The body without its ``Content-Encoding`` (gzip or none), still within ``limit``."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise ProblemError(
            415,
            "Unsupported media type",
            f"Content-Encoding {encoding!r} is not supported: send gzip or no encoding",
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        # Bounded, so a small compressed body cannot expand past the limit in memory.
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InputError(f"the body is not valid gzip: {exc}") from None
    if len(data) > limit:
        raise ProblemError(
            413,
            "Payload too large",
            f"the decompressed body exceeds {limit} bytes; split the batch",
        )
    if not inflater.eof:
        raise InputError("the gzip body is truncated")
    return data


@router.post(
    "",
    summary="Ingest a batch of events (JSON array or JSON Lines)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}},
                    "example": _BATCH_EXAMPLE,
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
    responses={
        200: {"description": "every event stored (or already stored)"},
        422: {"description": "some lines rejected; the valid ones are stored"},
        413: {"description": "batch too large; nothing stored"},
        415: {"description": "a Content-Encoding other than gzip; nothing stored"},
    },
)
async def ingest_events(
    request: Request, principal: Annotated[Principal, Depends(requires("service"))]
) -> dict[str, Any]:
    """Validate each event, store the valid ones durably, then acknowledge.

    The response (or the problem document) lists every rejected line with its line
    number and reason; events sent again are counted as duplicates, not errors."""
    runtime = runtime_of(request)
    limit = runtime.settings.max_body_bytes
    body = await _read_body(request, limit)
    body = _decoded(body, request.headers.get("content-encoding", ""), limit)
    context = IngestContext(actor=principal.actor)
    result = await run_in_threadpool(runtime.ingestor.ingest_bytes, body, context)
    metrics_of(request).record_ingest(result)
    if result.rejected:
        raise ProblemError(
            422,
            "Some events were rejected",
            f"{len(result.rejected)} line(s) rejected; {result.accepted} accepted and "
            f"{result.duplicates} duplicate(s) are stored",
            **result.as_dict(),
        )
    return result.as_dict()


def _cursor(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    ts, _, seq = text.partition(":")
    if not (ts.lstrip("-").isdigit() and seq.isdigit()):
        raise InputError("cursor must be the next_cursor of a previous page")
    return int(ts), int(seq)


@router.get("", summary="Read the event log in time order, by subject and time range")
def read_events(
    request: Request,
    _: Annotated[Principal, Depends(requires("auditor"))],
    subject_type: SubjectType | None = None,
    subject_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    type: Annotated[list[str] | None, Query()] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    if (subject_type is None) != (subject_id is None):
        raise InputError("give both subject_type and subject_id, or neither")
    for bound in (since, until):
        if bound is not None and bound.tzinfo is None:
            raise InputError("since and until need a time zone offset")
    subject = (subject_type, subject_id) if subject_type and subject_id else None
    with runtime_of(request).database.read() as conn:
        events = EventLog.read(
            conn,
            subject=subject,
            since=since,
            until=until,
            types=type,
            after=_cursor(cursor),
            limit=limit,
        )
    next_cursor = None
    if len(events) == limit:
        ts_us, seq = events[-1].cursor
        next_cursor = f"{ts_us}:{seq}"
    return {"events": [e.payload for e in events], "next_cursor": next_cursor}
