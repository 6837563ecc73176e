"""A store that goes away mid-stream: the API says so (503, a problem document, when to
retry), acknowledges nothing it did not store, and takes the retry once the store is
back — against a real PostgreSQL server stopped as a crash would stop it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from safefeed.access.roles import ROLES
from safefeed.api.app import create_app
from safefeed.clock import ManualClock
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.event_log import EventLog
from tests.support.events import event
from tests.support.policy import NOW
from tests.support.postgres import ThrowawayCluster
from tests.support.runtime import auth


@pytest.fixture
def cluster() -> Iterator[ThrowawayCluster]:
    # A cluster of its own: the shared one must not go down under other tests. Durable:
    # the shared one skips fsync and commits asynchronously, which a crash would expose.
    own = ThrowawayCluster(durable=True)
    own.start()
    yield own
    own.stop()


def _batch(prefix: str, n: int) -> bytes:
    lines = [
        event("account.created", event_id=f"{prefix}{k}", user_id=f"{prefix}-u{k}")
        for k in range(n)
    ]
    return b"\n".join(orjson.dumps(line) for line in lines)


def test_a_store_outage_answers_503_and_loses_nothing_acknowledged(
    cluster: ThrowawayCluster, tmp_path: Path
) -> None:
    url = cluster.url(cluster.create_database("outage"))
    settings = Settings(data_dir=tmp_path, database_url=url, text_classifier="keyword")
    runtime = Runtime(settings, clock=ManualClock(NOW))
    runtime.migrate()
    with runtime.database.write() as conn:
        token = runtime.keys.issue(conn, "svc", list(ROLES), actor="test", reason="test").token
    headers = {**auth(token), "Content-Type": "application/x-ndjson"}
    try:
        with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
            first = client.post("/v1/events", content=_batch("a", 20), headers=headers)
            assert first.status_code == 200, first.text
            cluster.halt()
            down = client.post("/v1/events", content=_batch("b", 20), headers=headers)
            assert down.status_code == 503, down.text
            assert down.headers["content-type"] == "application/problem+json"
            assert int(down.headers["Retry-After"]) > 0
            assert down.json()["title"] == "Store unavailable"
            assert client.get("/readyz").status_code == 503
            cluster.resume()
            # The sender retries what was not acknowledged; the first try after the
            # outage may meet a connection the pool has not yet found dead.
            for _ in range(3):
                retry = client.post("/v1/events", content=_batch("b", 20), headers=headers)
                if retry.status_code != 503:
                    break
            assert retry.status_code == 200, retry.text
            assert retry.json()["accepted"] == 20
            again = client.post("/v1/events", content=_batch("a", 20), headers=headers)
            assert again.json()["accepted"] == 0  # already stored before the outage
            assert client.get("/readyz").status_code == 200
        with runtime.database.read() as conn:
            assert EventLog.count(conn) == 40
    finally:
        runtime.close()
