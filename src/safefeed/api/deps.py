"""Small helpers routes share."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from safefeed.api.metrics import ApiMetrics
from safefeed.runtime import Runtime

__all__ = ["metrics_of", "runtime_of"]


def runtime_of(request: Request) -> Runtime:
    """The engine behind this app instance."""
    return cast(Runtime, request.app.state.runtime)


def metrics_of(request: Request) -> ApiMetrics:
    """This app instance's Prometheus metrics."""
    return cast(ApiMetrics, request.app.state.metrics)
