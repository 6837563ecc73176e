"""Policy state, denylist, kill switches, policy configuration and the gate check."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from safefeed.access.keys import Principal
from safefeed.api.access import requires
from safefeed.api.deps import metrics_of, runtime_of
from safefeed.catalog.candidates import load_candidates
from safefeed.exceptions import NotFoundError
from safefeed.policy.gate import Candidate, RequestContext, evaluate
from safefeed.policy.records import DenylistKind, KillSwitchScope
from safefeed.policy.store import MAX_KILL_SWITCH_TTL, StateChange
from safefeed.types import AgeBand, PolicyState, Recommendability, SubjectType, Surface

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["policy"])

_READERS = ("viewer", "moderator", "policy_admin", "auditor")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class StateBody(_Body):
    policy_state: PolicyState
    policy_version: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, description="why: recorded in the audit log")
    reasons: list[str] = Field(default_factory=list, description="policy reasons (labels)")
    surfaces: dict[Surface, Recommendability] = Field(default_factory=dict)
    review_status: str | None = None


class DenyBody(_Body):
    kind: DenylistKind
    value: str = Field(min_length=1, max_length=256)
    reason: str = Field(min_length=1)


class KillSwitchBody(_Body):
    reason: str = Field(min_length=1)
    ttl_seconds: float | None = Field(
        default=None,
        gt=0,
        le=MAX_KILL_SWITCH_TTL.total_seconds(),
        description="lapses on its own after this many seconds",
    )


class ConfigBody(_Body):
    document: dict[str, Any]
    reason: str = Field(min_length=1)


class CheckBody(_Body):
    content_ids: list[str] = Field(min_length=1, max_length=1000)
    surface: Surface
    age_band: AgeBand = "unknown"
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    blocked_creators: list[str] = Field(default_factory=list)
    muted_creators: list[str] = Field(default_factory=list)


Reason = Annotated[str, Query(min_length=1, description="why: recorded in the audit log")]


# ---------------------------------------------------------------- policy state

# Subject ids, denylist values and kill-switch targets are the platform's own strings,
# which may hold a "/" (a URL, "team/creator"): they take the rest of the path (":path";
# the history route is declared first so that ".../history" still reaches it).


@router.get(
    "/policy/{subject_type}/{subject_id:path}/history", summary="Policy history of a subject"
)
def policy_history(
    request: Request,
    subject_type: SubjectType,
    subject_id: str,
    _: Annotated[Principal, Depends(requires("auditor", "policy_admin"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    with runtime_of(request).database.read() as conn:
        history = runtime_of(request).policy.history(conn, (subject_type, subject_id), limit)
    return {"subject_type": subject_type, "subject_id": subject_id, "history": history}


@router.get("/policy/{subject_type}/{subject_id:path}", summary="Policy state of a subject")
def get_policy_state(
    request: Request,
    subject_type: SubjectType,
    subject_id: str,
    _: Annotated[Principal, Depends(requires(*_READERS))],
) -> dict[str, Any]:
    with runtime_of(request).database.read() as conn:
        record = runtime_of(request).policy.get_state(conn, (subject_type, subject_id))
    if record is None:
        raise NotFoundError(
            f"no policy state for {subject_type} {subject_id}: it counts as unknown "
            "(limited on pull surfaces, never on push or email)"
        )
    return record.as_dict()


@router.put("/policy/{subject_type}/{subject_id:path}", summary="Set the policy state of a subject")
def set_policy_state(
    request: Request,
    subject_type: SubjectType,
    subject_id: str,
    body: StateBody,
    principal: Annotated[Principal, Depends(requires("moderator", "policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    change = StateChange(
        subject=(subject_type, subject_id),
        state=body.policy_state,
        policy_version=body.policy_version,
        reasons=tuple(body.reasons),
        surfaces=dict(body.surfaces),
        review_status=body.review_status,
    )
    with runtime.database.write() as conn:
        record = runtime.policy.set_state(conn, change, actor=principal.actor, reason=body.reason)
    runtime.policy_cache.invalidate()
    return record.as_dict()


# ---------------------------------------------------------------- gate


@router.post("/policy/check", summary="Run the eligibility gate (with every rule's outcome)")
def check_eligibility(
    request: Request,
    body: CheckBody,
    _: Annotated[Principal, Depends(requires("auditor", "policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    snapshot = runtime.policy_cache.snapshot()
    with runtime.database.read() as conn:
        known = load_candidates(conn, body.content_ids)
    # An id the catalog does not know is still checked: it has no creator, so it fails closed.
    candidates = [
        known.get(i) or Candidate(content_id=i, creator_id=None) for i in body.content_ids
    ]
    context = RequestContext(
        surface=body.surface,
        now=runtime.clock.now(),
        age_band=body.age_band,
        region=body.region,
        blocked_creators=frozenset(body.blocked_creators),
        muted_creators=frozenset(body.muted_creators),
    )
    decisions = evaluate(candidates, context, snapshot)
    metrics_of(request).record_gate(body.surface, decisions)
    return {
        "surface": body.surface,
        "policy_revision": snapshot.revision,
        "config_version": snapshot.config.version,
        "snapshot_fresh": snapshot.is_fresh(context.now),
        "decisions": [d.as_dict() for d in decisions],
    }


# ---------------------------------------------------------------- denylist


@router.get("/denylist", summary="The denylist / tombstone set")
def list_denylist(
    request: Request,
    _: Annotated[Principal, Depends(requires("moderator", "policy_admin", "auditor"))],
    include_removed: bool = False,
) -> dict[str, Any]:
    with runtime_of(request).database.read() as conn:
        entries = runtime_of(request).policy.denylist(conn, include_inactive=include_removed)
    return {"entries": [e.as_dict() for e in entries]}


@router.post("/denylist", status_code=201, summary="Add to the denylist")
def add_denylist(
    request: Request,
    body: DenyBody,
    principal: Annotated[Principal, Depends(requires("policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        entry = runtime.policy.set_denylisted(
            conn, body.kind, body.value, active=True, actor=principal.actor, reason=body.reason
        )
    runtime.policy_cache.invalidate()
    return entry.as_dict()


@router.delete("/denylist/{kind}/{value:path}", summary="Lift a denylist entry")
def remove_denylist(
    request: Request,
    kind: DenylistKind,
    value: str,
    reason: Reason,
    principal: Annotated[Principal, Depends(requires("policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        entry = runtime.policy.set_denylisted(
            conn, kind, value, active=False, actor=principal.actor, reason=reason
        )
    runtime.policy_cache.invalidate()
    return entry.as_dict()


# ---------------------------------------------------------------- kill switches


@router.get("/kill-switches", summary="Kill switches in force")
def list_kill_switches(
    request: Request,
    _: Annotated[Principal, Depends(requires(*_READERS))],
    include_cleared: bool = False,
) -> dict[str, Any]:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.database.read() as conn:
        switches = runtime.policy.kill_switches(conn, include_inactive=include_cleared)
    return {"kill_switches": [{**s.as_dict(), "in_force": s.in_force(now)} for s in switches]}


@router.put("/kill-switches/{scope}/{target:path}", summary="Turn a kill switch on")
def set_kill_switch(
    request: Request,
    scope: KillSwitchScope,
    target: str,
    body: KillSwitchBody,
    principal: Annotated[Principal, Depends(requires("policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    ttl = None if body.ttl_seconds is None else timedelta(seconds=body.ttl_seconds)
    with runtime.database.write() as conn:
        switch = runtime.policy.set_kill_switch(
            conn, scope, target, active=True, actor=principal.actor, reason=body.reason, ttl=ttl
        )
    runtime.policy_cache.invalidate()
    return switch.as_dict()


@router.delete("/kill-switches/{scope}/{target:path}", summary="Turn a kill switch off")
def clear_kill_switch(
    request: Request,
    scope: KillSwitchScope,
    target: str,
    reason: Reason,
    principal: Annotated[Principal, Depends(requires("policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        switch = runtime.policy.set_kill_switch(
            conn, scope, target, active=False, actor=principal.actor, reason=reason
        )
    runtime.policy_cache.invalidate()
    return switch.as_dict()


# ---------------------------------------------------------------- configuration


@router.get("/policy-config", summary="The policy configuration in force, and its versions")
def get_policy_config(
    request: Request, _: Annotated[Principal, Depends(requires(*_READERS))]
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.read() as conn:
        config = runtime.policy.active_config(conn)
        versions = runtime.policy.config_versions(conn)
    return {"active": config.document(), "versions": versions}


@router.put("/policy-config", summary="Activate a new policy configuration version")
def put_policy_config(
    request: Request,
    body: ConfigBody,
    principal: Annotated[Principal, Depends(requires("policy_admin"))],
) -> dict[str, Any]:
    runtime = runtime_of(request)
    with runtime.database.write() as conn:
        config = runtime.policy.activate_config(
            conn, body.document, actor=principal.actor, reason=body.reason
        )
    runtime.policy_cache.invalidate()
    return {"active": config.document()}
