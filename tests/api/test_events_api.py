from __future__ import annotations

import gzip

import orjson
import pytest
from fastapi.testclient import TestClient

from safefeed.runtime import Runtime
from safefeed.store.event_log import EventLog
from tests.support.events import event
from tests.support.runtime import auth

JSONL = {"Content-Type": "application/x-ndjson"}


def post(client: TestClient, token: str, body: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/events", content=body, headers={**auth(token), **headers})


def stored_ids(runtime: Runtime) -> set[str]:
    with runtime.database.read() as conn:
        return {e.event_id for e in EventLog.read(conn, limit=100_000)}


def test_a_valid_array_is_acknowledged_after_it_is_stored(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    body = orjson.dumps([event("like", event_id="a"), event("open", event_id="b")])
    response = post(client, api_keys["service"], body)
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert stored_ids(runtime) == {"a", "b"}


def test_json_lines_with_duplicates(client: TestClient, api_keys: dict[str, str]) -> None:
    body = b"\n".join(orjson.dumps(event("like", event_id=i)) for i in ["a", "b", "a"])
    first = post(client, api_keys["service"], body, **JSONL)
    again = post(client, api_keys["service"], body, **JSONL)
    assert first.json() == {"accepted": 2, "duplicates": 1, "rejected": []}
    assert again.json() == {"accepted": 0, "duplicates": 3, "rejected": []}


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (event("like", type="teleport"), "unknown event type 'teleport'"),
        (event("account.created", age_band="twelve"), "age_band"),
        ({k: v for k, v in event("like").items() if k != "user_id"}, "user_id: Field required"),
        (event("like", ts="2026-05-01 10:00"), "ts: "),
        (event("like", ts="2026-05-01T10:00:00"), "RFC 3339"),
        (event("completion", ratio=2), "ratio"),
        # Valid RFC 3339 whose UTC instant falls outside years 1-9999: stored, it broke reads.
        (event("like", ts="0001-01-01T00:00:00+14:00"), "outside the years 1 to 9999"),
        (event("like", ts="9999-12-31T23:59:59-14:00"), "outside the years 1 to 9999"),
        # PostgreSQL text cannot hold NUL: stored, it failed the whole batch with a 500.
        (event("like", user_id="u\x001"), "user_id: contains a NUL character"),
        (event("live.chat", hashtags=["ok", "b\x00d"]), "hashtags: contains a NUL character"),
    ],
)
def test_bad_lines_get_a_problem_naming_the_line_and_valid_lines_are_kept(
    client: TestClient,
    api_keys: dict[str, str],
    runtime: Runtime,
    bad: dict[str, object],
    fragment: str,
) -> None:
    body = b"\n".join(
        [
            orjson.dumps(event("like", event_id="ok-1")),
            orjson.dumps({**bad, "event_id": "bad"}),
            orjson.dumps(event("like", event_id="ok-2")),
        ]
    )
    response = post(client, api_keys["service"], body, **JSONL)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["accepted"] == 2
    assert [r["line"] for r in problem["rejected"]] == [2]
    assert fragment in problem["rejected"][0]["error"]
    assert "2 accepted" in problem["detail"]
    assert stored_ids(runtime) == {"ok-1", "ok-2"}


@pytest.mark.parametrize("body", [b"[1, 2", b"", b"[}", b"   "])
def test_unparseable_bodies_are_400(
    client: TestClient, api_keys: dict[str, str], body: bytes
) -> None:
    response = post(client, api_keys["service"], body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_a_malformed_json_line_is_rejected_alone(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    body = b"{oops\n" + orjson.dumps(event("like", event_id="fine"))
    response = post(client, api_keys["service"], body, **JSONL)
    assert response.status_code == 422
    assert response.json()["accepted"] == 1
    rejected = response.json()["rejected"]
    assert rejected[0]["line"] == 1
    assert "malformed JSON" in rejected[0]["error"]


def test_oversized_batches_are_refused_whole(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    limit = runtime.settings.max_batch_events
    body = b"\n".join(orjson.dumps(event("like", event_id=str(i))) for i in range(limit + 1))
    response = post(client, api_keys["service"], body, **JSONL)
    assert response.status_code == 413
    assert f"exceeds the limit of {limit}" in response.json()["detail"]
    assert stored_ids(runtime) == set()


def test_oversized_bodies_are_refused_before_reading(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    body = b" " * (runtime.settings.max_body_bytes + 1)
    response = post(client, api_keys["service"], body)
    assert response.status_code == 413


def test_event_log_read_by_subject_and_time(client: TestClient, api_keys: dict[str, str]) -> None:
    events = [
        event("like", event_id="1", ts="2026-05-01T10:00:00Z"),
        event("like", event_id="2", ts="2026-05-01T09:00:00Z", user_id="u2"),
        event("open", event_id="3", ts="2026-05-01T11:00:00Z"),
    ]
    post(client, api_keys["service"], orjson.dumps(events))
    headers = auth(api_keys["auditor"])
    by_user = client.get(
        "/v1/events", params={"subject_type": "user", "subject_id": "u1"}, headers=headers
    )
    assert [e["event_id"] for e in by_user.json()["events"]] == ["1", "3"]
    window = client.get(
        "/v1/events",
        params={"since": "2026-05-01T09:30:00Z", "until": "2026-05-01T10:30:00Z"},
        headers=headers,
    )
    assert [e["event_id"] for e in window.json()["events"]] == ["1"]
    paged = client.get("/v1/events", params={"limit": 2}, headers=headers).json()
    rest = client.get(
        "/v1/events", params={"limit": 2, "cursor": paged["next_cursor"]}, headers=headers
    ).json()
    assert [e["event_id"] for e in paged["events"] + rest["events"]] == ["2", "1", "3"]
    bad = client.get("/v1/events", params={"cursor": "nonsense"}, headers=headers)
    assert bad.status_code == 400
    naive = client.get("/v1/events", params={"since": "2026-05-01T09:30:00"}, headers=headers)
    assert naive.status_code == 400


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/events" in spec["paths"]


def test_a_nul_character_in_an_extra_field_is_kept_like_any_extra_field(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    body = orjson.dumps([event("like", event_id="x", note="a\x00b")])
    response = post(client, api_keys["service"], body)
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    with runtime.database.read() as conn:
        assert EventLog.read(conn)[0].payload["note"] == "a\x00b"


@pytest.mark.parametrize("as_array", [True, False], ids=["array", "json-lines"])
def test_a_utf8_byte_order_mark_is_skipped(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, as_array: bool
) -> None:
    events = [event("like", event_id="a"), event("open", event_id="b")]
    body = orjson.dumps(events) if as_array else b"\r\n".join(orjson.dumps(e) for e in events)
    response = post(client, api_keys["service"], b"\xef\xbb\xbf" + body)
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert stored_ids(runtime) == {"a", "b"}


def test_a_gzip_body_is_decompressed(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    body = gzip.compress(orjson.dumps([event("like", event_id="a"), event("open", event_id="b")]))
    response = post(client, api_keys["service"], body, **{"Content-Encoding": "gzip"})
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert stored_ids(runtime) == {"a", "b"}


@pytest.mark.parametrize(
    ("body", "encoding", "status"),
    [
        # mtime=0: the header's time is in the test id, which every xdist worker must
        # collect alike (a second boundary between them failed the whole run).
        (gzip.compress(b"[]", mtime=0)[:-4], "gzip", 400),  # truncated
        (b"not gzip at all", "gzip", 400),
        (b"[]", "br", 415),
    ],
)
def test_a_bad_or_unknown_encoding_is_refused_whole(
    client: TestClient,
    api_keys: dict[str, str],
    runtime: Runtime,
    body: bytes,
    encoding: str,
    status: int,
) -> None:
    response = post(client, api_keys["service"], body, **{"Content-Encoding": encoding})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert stored_ids(runtime) == set()


def test_a_gzip_body_is_bounded_after_decompression(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    expanded = b" " * (runtime.settings.max_body_bytes + 1) + orjson.dumps([event("like")])
    response = post(
        client, api_keys["service"], gzip.compress(expanded), **{"Content-Encoding": "gzip"}
    )
    assert response.status_code == 413
    assert "decompressed" in response.json()["detail"]
    assert stored_ids(runtime) == set()
