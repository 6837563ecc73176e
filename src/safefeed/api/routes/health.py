"""Health checks (the only anonymous routes) and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from safefeed.access.keys import Principal
from safefeed.api.access import requires
from safefeed.api.deps import metrics_of, runtime_of

__all__ = ["ANONYMOUS_PATHS", "router"]

router = APIRouter(tags=["health"])

#: The only paths that answer without credentials (plus the OpenAPI documents).
ANONYMOUS_PATHS = frozenset({"/healthz", "/readyz"})


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: store reachable and policy state fresh")
def readyz(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    checks: dict[str, Any] = {"store": runtime.database.ping()}
    if checks["store"]:
        snapshot = runtime.policy_cache.snapshot()
        checks["policy_fresh"] = snapshot.is_fresh(runtime.clock.now())
    else:
        checks["policy_fresh"] = False
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics")
def metrics(
    request: Request,
    _: Annotated[Principal, Depends(requires("viewer", "auditor", "policy_admin"))],
) -> Response:
    runtime, registry = runtime_of(request), metrics_of(request)
    snapshot = runtime.policy_cache.snapshot()
    registry.snapshot_age.set(snapshot.age(runtime.clock.now()).total_seconds())
    registry.policy_revision.set(snapshot.revision)
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
