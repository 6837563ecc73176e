"""The HTTP app: FastAPI over one `Runtime`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from safefeed.api.access import Access
from safefeed.api.metrics import ApiMetrics
from safefeed.api.problems import install_problem_handlers
from safefeed.api.routes import audit, events, feed, health, policy, review
from safefeed.events.schema import CONTRACT_VERSION
from safefeed.risk.sweeper import RiskSweeper
from safefeed.runtime import Runtime
from safefeed.version import __version__

__all__ = ["ROUTERS", "api_routes", "create_app", "route_access"]

#: Every router the app serves, in order.
ROUTERS = (health.router, events.router, policy.router, audit.router, feed.router, review.router)


def api_routes() -> list[APIRoute]:
    """Every route of the app (walked from the routers: FastAPI nests included ones)."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def route_access(route: APIRoute) -> Access | None:
    """The `Access` declaration of a route (None for the anonymous health checks)."""
    found = [d.call for d in route.dependant.dependencies if isinstance(d.call, Access)]
    for dependency in route.dependant.dependencies:
        found += [d.call for d in dependency.dependencies if isinstance(d.call, Access)]
    return found[0] if found else None


def create_app(runtime: Runtime) -> FastAPI:
    """Build the app. Every route must declare its roles, or start-up fails.

    On start-up the risk funnel is warm-started from the last 14 days of the
    event log and a `RiskSweeper` rolls lapsed interventions back every 60 s; on
    shutdown the feed's queued served log is written.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.risk.warm_start(runtime.database)
        sweeper = RiskSweeper(runtime.risk, runtime.database)
        app.state.risk_sweeper = sweeper
        sweeper.start()
        try:
            yield
        finally:
            sweeper.stop()
            runtime.feed.close()  # the served log queued behind responses goes to the store

    app = FastAPI(
        lifespan=lifespan,
        title="safefeed",
        version=__version__,
        description=(
            "Safety-first feed and trust & safety engine. Event contract "
            f"v{CONTRACT_VERSION}. Authenticate with 'Authorization: Bearer <API key>'."
        ),
    )
    app.state.runtime = runtime
    app.state.metrics = ApiMetrics()
    install_problem_handlers(app)
    for route in api_routes():
        if route_access(route) is None and route.path not in health.ANONYMOUS_PATHS:
            raise RuntimeError(f"route {route.path} declares no roles")
    for router in ROUTERS:
        app.include_router(router)
    return app
