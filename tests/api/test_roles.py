"""The role matrix: every route x every role, plus anonymous calls."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from safefeed.access.roles import ROLES
from safefeed.api.app import api_routes, route_access
from safefeed.api.routes.health import ANONYMOUS_PATHS
from tests.support.runtime import auth

# A plausible value for every path parameter the app uses.
PATH_VALUES = {
    "subject_type": "content",
    "subject_id": "c1",
    "kind": "content",
    "value": "c1",
    "scope": "item",
    "target": "c1",
    "case_id": "rc_0",
    "queue": "triage",
    "member": "someone",
    "surface": "home",
    "user_id": "u1",
    "request_id": "r1",
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


def protected_routes(client: TestClient) -> list[tuple[str, str, frozenset[str]]]:
    found = []
    for route in api_routes():
        if route.path in ANONYMOUS_PATHS:
            continue
        access = route_access(route)
        assert access is not None, route.path
        for method in sorted(route.methods):
            found.append((method, route.path_format, access.roles))
    return found


def test_every_route_declares_roles_and_the_matrix_covers_them(client: TestClient) -> None:
    routes = protected_routes(client)
    assert len(routes) >= 14
    paths = {path for _, path, _ in routes}
    assert {"/v1/events", "/v1/audit", "/v1/audit/verify", "/v1/audit/export", "/metrics"} <= paths
    served = set(client.get("/openapi.json").json()["paths"])
    assert served == paths | ANONYMOUS_PATHS  # the walk sees every route the app serves


def test_role_matrix(client: TestClient, api_keys: dict[str, str]) -> None:
    for method, path, allowed in protected_routes(client):
        url = concrete(path)
        anonymous = client.request(method, url)
        assert anonymous.status_code == 401, (method, path)
        bogus = client.request(method, url, headers=auth("sf_nope_nope"))
        assert bogus.status_code == 401, (method, path)
        for role in ROLES:
            response = client.request(method, url, headers=auth(api_keys[role]))
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role)
                assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/v1/audit", "auditor"),
        ("/v1/audit/verify", "auditor"),
        ("/v1/audit/export", "auditor"),
        ("/v1/events", "auditor"),
    ],
)
def test_audit_log_and_event_reads_are_auditor_only(
    client: TestClient, api_keys: dict[str, str], path: str, role: str
) -> None:
    for other in ROLES:
        status = client.get(path, headers=auth(api_keys[other])).status_code
        assert (status == 200) == (other == role), (path, other, status)


def test_health_checks_answer_anonymously(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": True, "policy_fresh": True}


def test_revoked_keys_stop_working(client: TestClient, api_keys: dict[str, str], runtime) -> None:  # type: ignore[no-untyped-def]
    token = api_keys["viewer"]
    assert client.get("/v1/kill-switches", headers=auth(token)).status_code == 200
    with runtime.database.write() as conn:
        key_id = next(k["key_id"] for k in runtime.keys.list(conn) if k["name"] == "viewer")
        runtime.keys.revoke(conn, key_id, actor="test", reason="left the team")
    assert client.get("/v1/kill-switches", headers=auth(token)).status_code == 401
