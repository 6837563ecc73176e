"""The review queue through the real HTTP app: membership, listing, claims, decisions."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient

from safefeed.clock import ManualClock
from safefeed.runtime import Runtime
from tests.risk.helpers import small_log
from tests.support.runtime import auth


def _feed_events(client: TestClient, token: str, clock: ManualClock) -> None:
    from datetime import datetime

    events, _ = small_log()
    for start in range(0, len(events), 5000):
        part = events[start : start + 5000]
        clock.set(datetime.fromisoformat(part[-1]["ts"].replace("Z", "+00:00")))
        body = b"\n".join(orjson.dumps(e) for e in part)
        response = client.post("/v1/events", content=body, headers=auth(token))
        assert response.status_code == 200, response.text


def test_a_moderator_works_the_queue_over_http(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    _feed_events(client, api_keys["service"], clock)
    moderator = auth(api_keys["moderator"])
    # Not a member of any queue yet: sees nothing.
    assert client.get("/v1/review/cases", headers=moderator).json() == []
    for queue in ("priority", "standard"):
        response = client.put(
            f"/v1/review/queues/{queue}/members/key:moderator",
            json={"reason": "on shift"},
            headers=auth(api_keys["policy_admin"]),
        )
        assert response.status_code == 200
    listed = client.get("/v1/review/cases", headers=moderator).json()
    assert listed
    assert {c["queue"] for c in listed} <= {"priority", "standard"}
    case_id = listed[0]["case_id"]
    detail = client.get(f"/v1/review/cases/{case_id}", headers=moderator).json()
    assert {"subject_history", "related_cases", "interventions", "signal_summary"} <= set(detail)

    claimed = client.post(f"/v1/review/cases/{case_id}/claim", headers=moderator)
    assert claimed.status_code == 200
    again = client.post(f"/v1/review/cases/{case_id}/claim", headers=moderator)
    assert again.status_code == 403
    decision = {
        "verdict": "reject",
        "reason": "benign context on review",
        "feedback": [{"signal": "velocity_ratio", "useful": "not_useful"}],
    }
    decided = client.post(f"/v1/review/cases/{case_id}/decision", json=decision, headers=moderator)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "decided"
    bad = client.post(
        f"/v1/review/cases/{case_id}/decision", json={"verdict": "maybe"}, headers=moderator
    )
    assert bad.status_code in (400, 422)
    metrics = client.get("/v1/review/metrics", headers=moderator).json()
    assert set(metrics["tiers"]) == {"low", "medium", "high"}
    audit = client.get(
        "/v1/audit", params={"action": "review.reject"}, headers=auth(api_keys["auditor"])
    )
    assert audit.status_code == 200
    assert client.get("/v1/review/cases", headers=auth(api_keys["viewer"])).status_code == 403
