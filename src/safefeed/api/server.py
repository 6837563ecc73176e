"""The uvicorn entry point: an app over a runtime built from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from safefeed.api.app import create_app
from safefeed.runtime import Runtime
from safefeed.settings import Settings

__all__ = ["app_from_env"]


def app_from_env() -> FastAPI:
    """Build the app from ``SAFEFEED_*`` settings (uvicorn calls this as a factory)."""
    runtime = Runtime(Settings.from_env())
    runtime.migrate()
    runtime.feed.start_background()
    return create_app(runtime)
