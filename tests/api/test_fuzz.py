"""Schemathesis fuzzes every operation of the published OpenAPI: no input, however
malformed, may produce a 5xx or a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from safefeed.access.roles import ROLES
from safefeed.api.app import create_app
from safefeed.clock import ManualClock
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.database import sqlite_url
from tests.support.policy import NOW


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    settings_ = Settings(
        data_dir=directory,
        database_url=sqlite_url(directory / "fuzz.db"),
        text_classifier="keyword",
        max_batch_events=100,
        max_body_bytes=256 * 1024,
    )
    runtime = Runtime(settings_, clock=ManualClock(NOW))
    runtime.migrate()
    with runtime.database.write() as conn:
        token = runtime.keys.issue(conn, "fuzz", list(ROLES), actor="test", reason="fuzz").token
    yield create_app(runtime), token
    runtime.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: tuple[FastAPI, str]) -> schemathesis.BaseSchema:
    app, _ = fuzzed_app
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_input_causes_a_server_error(
    api_schema: schemathesis.BaseSchema, fuzzed_app: tuple[FastAPI, str]
) -> None:
    _, token = fuzzed_app
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (case.method, case.path, response.text)
            if response.status_code >= 400:
                # schemathesis gives header values as lists
                assert response.headers["content-type"] == ["application/problem+json"]
                assert response.json()["detail"]

        call()
