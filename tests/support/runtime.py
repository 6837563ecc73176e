"""Fixtures that build the real engine over the store under test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safefeed.access.roles import ROLES
from safefeed.api.app import create_app
from safefeed.clock import ManualClock
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.database import Database
from tests.support.policy import NOW


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def runtime(database: Database, clock: ManualClock, tmp_path: Path) -> Iterator[Runtime]:
    """The engine over the (already migrated) store under test, on a manual clock.

    The keyword classifier stands in for the profanity model to keep tests fast;
    the profanity model has tests of its own."""
    settings = Settings(data_dir=tmp_path, database_url=database.url, text_classifier="keyword")
    engine = Runtime(settings, clock=clock)
    yield engine
    engine.close()


@pytest.fixture
def api_keys(runtime: Runtime) -> dict[str, str]:
    """One API key per role, plus ``admin`` holding every role."""
    tokens: dict[str, str] = {}
    with runtime.database.write() as conn:
        for role in ROLES:
            tokens[role] = runtime.keys.issue(
                conn, role, [role], actor="test", reason="fixture"
            ).token
        tokens["admin"] = runtime.keys.issue(
            conn, "admin", list(ROLES), actor="test", reason="fixture"
        ).token
    return tokens


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The real HTTP app, in process."""
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
