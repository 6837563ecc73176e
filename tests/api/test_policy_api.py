from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

from safefeed.clock import ManualClock
from safefeed.policy import default_policy_config
from tests.support.events import event
from tests.support.runtime import auth


def publish(client: TestClient, token: str, *events: dict[str, object]) -> None:
    response = client.post("/v1/events", content=orjson.dumps(list(events)), headers=auth(token))
    assert response.status_code == 200, response.text


def check(
    client: TestClient, token: str, surface: str = "home", **extra: object
) -> dict[str, object]:
    body = {
        "content_ids": ["c1"],
        "surface": surface,
        "age_band": "25_plus",
        "region": "US",
        **extra,
    }
    response = client.post("/v1/policy/check", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()["decisions"][0]  # type: ignore[no-any-return]


def allow(client: TestClient, token: str) -> None:
    publish(
        client,
        token,
        event("content.published", event_id="pub"),
        event("policy.changed", event_id="pol", policy_state="allowed"),
    )


def test_kill_switch_takes_effect_on_the_next_request_and_is_reversible(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    allow(client, admin)
    assert check(client, admin)["action"] == "allow"
    on = client.put("/v1/kill-switches/creator/cr1", json={"reason": "raid"}, headers=auth(admin))
    assert on.status_code == 200
    assert on.json()["actor"] == "key:admin"
    decision = check(client, admin)
    assert decision["action"] == "drop"
    assert "kill switch creator:cr1 is on" in decision["reasons"]
    off = client.delete(
        "/v1/kill-switches/creator/cr1", params={"reason": "over"}, headers=auth(admin)
    )
    assert off.status_code == 200
    assert check(client, admin)["action"] == "allow"
    missing = client.delete(
        "/v1/kill-switches/creator/cr1", params={"reason": "again"}, headers=auth(admin)
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("label", "target"), [("spam", "Spam"), ("Spam", " SPAM "), ("spam", "ｓｐａｍ")]
)
def test_a_category_kill_switch_matches_the_label_however_it_is_spelled(
    client: TestClient, api_keys: dict[str, str], label: str, target: str
) -> None:
    # Labels come from the platform's classifiers and moderators in their own spelling;
    # an incident responder types the category once.
    admin = api_keys["admin"]
    publish(
        client,
        admin,
        event("content.published", event_id="pub"),
        event("policy.changed", event_id="pol", policy_state="allowed", reasons=[label]),
    )
    assert check(client, admin)["action"] == "allow"
    on = client.put(
        f"/v1/kill-switches/category/{target}", json={"reason": "wave"}, headers=auth(admin)
    )
    assert on.status_code == 200, on.text
    assert check(client, admin)["action"] == "drop"
    off = client.delete(
        "/v1/kill-switches/category/spam", params={"reason": "over"}, headers=auth(admin)
    )
    assert off.status_code == 200, off.text
    assert check(client, admin)["action"] == "allow"


def test_kill_switch_with_ttl_lapses_on_its_own(
    client: TestClient, api_keys: dict[str, str], clock: ManualClock
) -> None:
    admin = api_keys["admin"]
    allow(client, admin)
    client.put(
        "/v1/kill-switches/item/c1",
        json={"reason": "spike", "ttl_seconds": 60},
        headers=auth(admin),
    )
    assert check(client, admin)["action"] == "drop"
    clock.advance(61)
    assert check(client, admin)["action"] == "allow"


def test_denylist_via_api(client: TestClient, api_keys: dict[str, str]) -> None:
    admin = api_keys["admin"]
    allow(client, admin)
    added = client.post(
        "/v1/denylist",
        json={"kind": "topic", "value": "x", "reason": "campaign"},
        headers=auth(admin),
    )
    assert added.status_code == 201
    assert check(client, admin, surface="search")["action"] == "drop"
    listed = client.get("/v1/denylist", headers=auth(api_keys["moderator"])).json()["entries"]
    assert [(e["kind"], e["value"]) for e in listed] == [("topic", "x")]
    client.delete("/v1/denylist/topic/x", params={"reason": "lifted"}, headers=auth(admin))
    assert check(client, admin, surface="search")["action"] == "allow"


def test_policy_state_put_get_history(client: TestClient, api_keys: dict[str, str]) -> None:
    moderator, auditor = api_keys["moderator"], api_keys["auditor"]
    body = {
        "policy_state": "limited_distribution",
        "policy_version": "p9",
        "reason": "borderline",
        "surfaces": {"search": False},
    }
    put = client.put("/v1/policy/content/c1", json=body, headers=auth(moderator))
    assert put.status_code == 200
    got = client.get("/v1/policy/content/c1", headers=auth(api_keys["viewer"])).json()
    assert (got["policy_state"], got["surfaces"]) == ("limited_distribution", {"search": False})
    history = client.get("/v1/policy/content/c1/history", headers=auth(auditor)).json()["history"]
    assert history[0]["actor"] == "key:moderator"
    assert history[0]["reason"] == "borderline"
    unknown = client.get("/v1/policy/content/nope", headers=auth(auditor))
    assert unknown.status_code == 404
    assert "unknown" in unknown.json()["detail"]
    bad = client.put(
        "/v1/policy/content/c1", json={**body, "policy_state": "meh"}, headers=auth(moderator)
    )
    assert bad.status_code == 422
    assert "policy_state" in bad.json()["detail"]
    no_reason = client.put(
        "/v1/policy/content/c1",
        json={k: v for k, v in body.items() if k != "reason"},
        headers=auth(moderator),
    )
    assert no_reason.status_code == 422


def test_gate_check_reports_every_rule_and_unknown_items_fail_closed(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    admin = api_keys["admin"]
    response = client.post(
        "/v1/policy/check", json={"content_ids": ["ghost"], "surface": "push"}, headers=auth(admin)
    )
    decision = response.json()["decisions"][0]
    assert decision["action"] == "drop"
    statuses = {r["rule"]: r["status"] for r in decision["rules"]}
    assert statuses["content_state"] == "missing_data"
    assert statuses["creator_state"] == "missing_data"


def test_policy_config_via_api(client: TestClient, api_keys: dict[str, str]) -> None:
    admin = api_keys["admin"]
    document = default_policy_config().document()
    current = client.get("/v1/policy-config", headers=auth(api_keys["viewer"])).json()
    assert current["active"] == document
    document["version"] = "v2"
    document["freshness_seconds"] = 10
    put = client.put(
        "/v1/policy-config", json={"document": document, "reason": "tighter"}, headers=auth(admin)
    )
    assert put.status_code == 200
    document["version"] = "v3"
    document["surfaces"]["email"]["unknown_state"] = "allow"
    refused = client.put(
        "/v1/policy-config", json={"document": document, "reason": "x"}, headers=auth(admin)
    )
    assert refused.status_code == 400
    assert "unknown policy state must be dropped on email" in refused.json()["detail"]


def test_metrics_are_exposed(client: TestClient, api_keys: dict[str, str]) -> None:
    publish(client, api_keys["service"], event("like", event_id="m1"))
    text = client.get("/metrics", headers=auth(api_keys["viewer"])).text
    assert 'safefeed_events_total{outcome="accepted"} 1.0' in text
    assert "safefeed_policy_snapshot_age_seconds" in text
