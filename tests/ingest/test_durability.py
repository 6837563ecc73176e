"""Acknowledged events survive the server being killed mid-batch."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.database import Database
from safefeed.store.event_log import EventLog
from tests.support.events import event

BATCH = 400
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SAFEFEED_DATABASE_URL": database_url,
        "SAFEFEED_DATA_DIR": str(data_dir),
        "SAFEFEED_TEXT_CLASSIFIER": "keyword",
    }
    command = [
        sys.executable, "-m", "uvicorn", "safefeed.api.server:app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    log = data_dir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    # Generous: on a loaded 2-core machine importing the app alone can take tens of seconds.
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
    process.kill()
    process.wait(timeout=10)  # reaped, so no ResourceWarning leaks into a later test
    raise RuntimeError(f"server did not start within {STARTUP_SECONDS} s; see {log}")


@pytest.mark.slow
def test_every_acknowledged_event_is_stored_after_a_kill(
    database: Database, tmp_path: Path
) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path, database_url=database.url))
    with runtime.database.write() as conn:
        token = runtime.keys.issue(
            conn, "svc", ["service"], actor="test", reason="durability"
        ).token
    runtime.close()
    port = free_port()
    server = start_server(database.url, tmp_path, port)
    acknowledged: list[str] = []
    sent_batches: list[list[str]] = []
    stop = threading.Event()

    def pump() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for number in range(10_000):
                if stop.is_set():
                    return
                ids = [f"b{number}-{i}" for i in range(BATCH)]
                body = b"\n".join(
                    orjson.dumps(event("like", event_id=i, user_id=f"u{n}"))
                    for n, i in enumerate(ids)
                )
                sent_batches.append(ids)
                try:
                    response = http.post(
                        "/v1/events", content=body, headers={"Authorization": f"Bearer {token}"}
                    )
                except httpx.TransportError:
                    return  # the server died mid-request: this batch was never acknowledged
                assert response.status_code == 200, response.text
                acknowledged.extend(ids)

    sender = threading.Thread(target=pump)
    sender.start()
    while len(acknowledged) < 10 * BATCH and sender.is_alive():
        time.sleep(0.01)
    time.sleep(0.013)  # land the kill at an arbitrary point of a later batch
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    sender.join(timeout=30)

    with database.read() as conn:
        stored = {e.event_id for e in EventLog.read(conn, limit=10_000_000)}
    assert len(acknowledged) >= 10 * BATCH
    assert set(acknowledged) <= stored
    # A batch is stored whole or not at all: nothing beyond acknowledged batches but
    # at most the one in flight.
    unacknowledged = stored - set(acknowledged)
    in_flight = set(sent_batches[-1]) if sent_batches else set()
    assert unacknowledged in (set(), in_flight)
