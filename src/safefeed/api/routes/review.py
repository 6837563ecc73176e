"""The review queue: list, claim, decide risk cases; queue metrics and membership; and
the items due for review by reach.

A moderator sees the cases of their queues and no more; auditors read all.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from safefeed.access.keys import Principal
from safefeed.api.access import requires
from safefeed.api.deps import runtime_of
from safefeed.feed.state.reach_review import due_for_review
from safefeed.review.decisions import Decision
from safefeed.review.queue import ReviewQueue, Viewer
from safefeed.runtime import Runtime

__all__ = ["review_queue", "router"]

router = APIRouter(prefix="/v1/review", tags=["review"])


def review_queue(runtime: Runtime) -> ReviewQueue:
    """The review queue over this runtime's store and risk configuration."""
    return ReviewQueue(runtime.audit, runtime.clock, runtime.risk.config, runtime.risk.ledger)


def _viewer(principal: Principal) -> Viewer:
    return Viewer(principal.actor, sees_all="auditor" in principal.roles)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MemberBody(_Body):
    reason: str = Field(min_length=1)


@router.get("/cases", summary="Cases in your queues, highest priority first")
def list_cases(
    request: Request,
    principal: Annotated[Principal, Depends(requires("moderator", "auditor"))],
    status: Annotated[str | None, Query(pattern="^(waiting|claimed|decided|closed)$")] = "waiting",
    queue: Annotated[str | None, Query(pattern="^(priority|standard|triage)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    runtime = runtime_of(request)
    with runtime.database.read() as conn:
        return review_queue(runtime).list_cases(
            conn, _viewer(principal), status=status, queue=queue, limit=limit
        )


@router.get("/cases/{case_id}", summary="One case: summary, history, related cases")
def get_case(
    request: Request,
    case_id: str,
    principal: Annotated[Principal, Depends(requires("moderator", "auditor"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.read() as conn:
        return review_queue(runtime).get(conn, case_id, _viewer(principal))


@router.post(
    "/cases/{case_id}/claim",
    summary="Claim a case, or renew your claim (one holder at a time, for a lease)",
)
def claim(
    request: Request,
    case_id: str,
    principal: Annotated[Principal, Depends(requires("moderator"))],
) -> dict[str, Any]:
    """The claim holds until ``claim_expires_at``; claiming the case again renews it.
    Another moderator's claim that lapsed is taken over (``took_over_from``)."""
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        return review_queue(runtime).claim(conn, case_id, principal.actor)


@router.post("/claim-next", summary="Claim the highest-priority waiting case in your queues")
def claim_next(
    request: Request,
    principal: Annotated[Principal, Depends(requires("moderator"))],
) -> dict[str, Any]:
    """A case whose claim lapsed waits again and is offered by the same aged priority."""
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        claimed = review_queue(runtime).claim_next(conn, principal.actor)
    return {"claimed": claimed}


@router.post("/cases/{case_id}/release", summary="Give a claimed case back to its queue")
def release(
    request: Request,
    case_id: str,
    principal: Annotated[Principal, Depends(requires("moderator"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        review_queue(runtime).release(conn, case_id, principal.actor)
    return {"case_id": case_id, "status": "waiting"}


@router.post(
    "/cases/{case_id}/decision",
    summary="Decide a case you hold (a lapsed claim while nobody took it over)",
)
def decide(
    request: Request,
    case_id: str,
    body: Decision,
    principal: Annotated[Principal, Depends(requires("moderator"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        return review_queue(runtime).decide(
            conn, case_id, principal.actor, body, owner=principal.owner
        )


@router.get("/metrics", summary="Oldest waiting case and share inside target, per tier")
def metrics(
    request: Request,
    _: Annotated[Principal, Depends(requires("moderator", "auditor", "policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.read() as conn:
        return review_queue(runtime).metrics(conn)


@router.get("/reach", summary="Items that spread without a moderator's decision, by priority")
def reach(
    request: Request,
    _: Annotated[Principal, Depends(requires("moderator", "auditor", "policy_admin"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Items due for review by reach (`safefeed.feed.state.reach_review`): decide one with
    a policy change whose ``review_status`` is ``moderator_decision``."""
    runtime = runtime_of(request)
    settings = runtime.feed.config.reach_review
    with runtime.database.read() as conn:
        cases = due_for_review(conn, settings, limit=limit)
    return {
        "min_reach": settings.min_reach,
        "hold_min_score": settings.hold_min_score,
        "items": [case.as_dict() for case in cases],
    }


@router.put("/queues/{queue}/members/{member}", summary="Let a moderator work a queue")
def add_member(
    request: Request,
    queue: str,
    member: str,
    body: MemberBody,
    principal: Annotated[Principal, Depends(requires("policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        review_queue(runtime).add_member(conn, queue, member, by=principal.actor)
    return {"queue": queue, "member": member}
