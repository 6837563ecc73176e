"""The review queue through the real HTTP app: membership, listing, claims, decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import update

from safefeed.clock import ManualClock
from safefeed.runtime import Runtime
from safefeed.store.risk_tables import RiskCase
from safefeed.store.tables import table_of
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
    clock.advance(seconds=600)
    again = client.post(f"/v1/review/cases/{case_id}/claim", headers=moderator)
    assert again.status_code == 200  # the holder renews the claim's lease
    assert again.json()["renewed"] is True
    assert again.json()["claim_expires_at"] > claimed.json()["claim_expires_at"]
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


# ---------------------------------------------------------------- a shift on hand-written events

_SHIFT_START = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)


def _shift_events() -> list[dict[str, Any]]:
    """Adults in a teen-heavy live stream sending DM requests and private invites: their
    accounts surface as medium (standard queue) and low (triage) age-exposure cases."""
    events: list[dict[str, Any]] = []

    def add(minutes: int, event_type: str, **fields: Any) -> None:
        at = _SHIFT_START + timedelta(minutes=minutes)
        events.append(
            {
                "event_id": f"shift-{len(events):05d}",
                "type": event_type,
                "ts": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                **fields,
            }
        )

    add(0, "account.created", user_id="cr_ana", age_band="25_plus", region="DE", is_creator=True)
    for n in range(12):
        add(1, "account.created", user_id=f"teen{n}", age_band="13_15", region="DE")
        add(1, "account.created", user_id=f"adult{n}", age_band="25_plus", region="DE")
    for live, start, contacts in (("live_1", 10, 60), ("live_2", 200, 400)):
        add(start, "live.started", live_session_id=live, creator_id="cr_ana", category="chat")
        for n in range(12):
            add(
                start + 1,
                "live.viewer_joined",
                live_session_id=live,
                user_id=f"teen{n}",
                age_band="13_15",
            )
        for k in range(contacts):
            adult = f"adult{k % 12}"
            if k < 12:
                add(
                    start + 2,
                    "live.viewer_joined",
                    live_session_id=live,
                    user_id=adult,
                    age_band="25_plus",
                )
            add(
                start + 2 + k // 8,
                "live.interaction",
                live_session_id=live,
                from_user_id=adult,
                to_user_id=f"teen{(k * 7) % 12}",
                from_age_band="25_plus",
                to_age_band="13_15",
                kind=("dm_request", "private_invite", "gift")[k % 3],
            )
    return events


def _shift(
    client: TestClient, runtime: Runtime, api_keys: dict[str, str], clock: ManualClock
) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """Ingest the shift's events; alice and bob work the standard queue, carol triage.
    Returns each moderator's headers and the waiting case ids per queue."""
    clock.set(_SHIFT_START + timedelta(hours=5))
    body = b"\n".join(orjson.dumps(e) for e in _shift_events())
    assert client.post("/v1/events", content=body, headers=auth(api_keys["service"])).is_success
    headers = {}
    with runtime.database.write() as conn:
        for name in ("alice", "bob", "carol"):
            issued = runtime.keys.issue(conn, name, ["moderator"], actor="test", reason="shift")
            headers[name] = auth(issued.token)
    for queue, member in (("standard", "alice"), ("standard", "bob"), ("triage", "carol")):
        response = client.put(
            f"/v1/review/queues/{queue}/members/key:{member}",
            json={"reason": "on shift"},
            headers=auth(api_keys["policy_admin"]),
        )
        assert response.status_code == 200, response.text
    listed = client.get(
        "/v1/review/cases", params={"limit": 500}, headers=auth(api_keys["auditor"])
    )
    waiting: dict[str, list[str]] = {}
    for case in listed.json():
        waiting.setdefault(case["queue"], []).append(case["case_id"])
    assert len(waiting.get("standard", [])) >= 2, waiting
    assert waiting.get("triage"), waiting
    return headers, waiting


def _interventions(client: TestClient, case_id: str, auditor: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/review/cases/{case_id}", headers=auth(auditor))
    return list(response.json()["interventions"])


def _claim_and_decide(
    client: TestClient, case_id: str, headers: dict[str, str], decision: dict[str, Any]
) -> Any:
    """Claim the case (which must succeed), then post the decision; the decision's response."""
    claimed = client.post(f"/v1/review/cases/{case_id}/claim", headers=headers)
    assert claimed.status_code == 200, claimed.text
    return client.post(f"/v1/review/cases/{case_id}/decision", json=decision, headers=headers)


def _change(action: str, reason: str, **fields: Any) -> dict[str, Any]:
    return {"verdict": "approve", "reason": reason, "interventions": [{"action": action, **fields}]}


def test_a_decision_reaches_only_its_own_cases_interventions(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    moderators, waiting = _shift(client, runtime, api_keys, clock)
    standard, triage = waiting["standard"][0], waiting["triage"][0]
    changed = _claim_and_decide(
        client,
        standard,
        moderators["alice"],
        _change("apply", "friction", kind="light_friction", ttl_hours=6),
    )
    assert changed.json()["status"] == "waiting"
    (applied,) = [
        i for i in _interventions(client, standard, api_keys["auditor"]) if i["state"] == "active"
    ]
    # Carol works triage only: her decision on a triage case must not end a standard one's.
    removed = _claim_and_decide(
        client,
        triage,
        moderators["carol"],
        _change("remove", "tidy", intervention_id=applied["id"]),
    )
    assert removed.status_code == 404, removed.text
    assert removed.headers["content-type"] == "application/problem+json"
    assert f"case {triage} has no intervention {applied['id']}" in removed.json()["detail"]
    other = waiting["standard"][1]
    longer = _change("adjust", "longer", intervention_id=applied["id"], ttl_hours=1)
    adjusted = _claim_and_decide(client, other, moderators["bob"], longer)
    assert adjusted.status_code == 404, adjusted.text
    (after,) = [
        i for i in _interventions(client, standard, api_keys["auditor"]) if i["id"] == applied["id"]
    ]
    assert (after["state"], after["expires_us"]) == ("active", applied["expires_us"])
    # Neither refused decision left its case decided or changed.
    for case_id, holder in ((triage, "key:carol"), (other, "key:bob")):
        case = client.get(f"/v1/review/cases/{case_id}", headers=auth(api_keys["auditor"])).json()
        assert (case["status"], case["claimed_by"], case["decision"]) == ("claimed", holder, None)


def test_an_irreversible_action_has_no_time_to_live_to_adjust(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    moderators, waiting = _shift(client, runtime, api_keys, clock)
    case_id = waiting["standard"][0]
    monitor = _change("apply", "confirmed pattern", kind="increased_monitoring", ttl_hours=2)
    suspend = {**monitor, "irreversible_action": "suspend_account", "confirm_irreversible": True}
    suspended = _claim_and_decide(client, case_id, moderators["bob"], suspend)
    assert suspended.json()["status"] == "waiting", suspended.text
    (action,) = [
        i for i in _interventions(client, case_id, api_keys["auditor"]) if i["irreversible"]
    ]
    shorter = _change("adjust", "a short suspension", intervention_id=action["id"], ttl_hours=0.5)
    adjusted = _claim_and_decide(client, case_id, moderators["alice"], shorter)
    assert adjusted.status_code == 400, adjusted.text
    assert "irreversible" in adjusted.json()["detail"]
    clock.advance(seconds=3600)
    with runtime.database.write() as conn:
        runtime.risk.ledger.expire(conn, int(clock.now().timestamp() * 1_000_000))
    (after,) = [
        i for i in _interventions(client, case_id, api_keys["auditor"]) if i["irreversible"]
    ]
    assert (after["state"], after["expires_us"]) == ("active", None)


def test_a_change_applies_only_known_reversible_kinds_and_bounded_feedback(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    moderators, waiting = _shift(client, runtime, api_keys, clock)
    case_id = waiting["standard"][0]
    before = _interventions(client, case_id, api_keys["auditor"])
    # An irreversible action's name as a reversible kind would skip confirm_irreversible.
    disguised = _change("apply", "quietly", kind="suspend_account", ttl_hours=1)
    refused = _claim_and_decide(client, case_id, moderators["alice"], disguised)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "interventions.0.kind" in refused.json()["detail"]
    note = {"signal": "contacts", "useful": "useful", "note": "ü" * 2000}
    flood = {"verdict": "reject", "reason": "benign", "feedback": [note] * 51}
    path = f"/v1/review/cases/{case_id}/decision"
    too_much = client.post(path, json=flood, headers=moderators["alice"])
    assert too_much.status_code == 422, too_much.text
    assert "feedback" in too_much.json()["detail"]
    assert _interventions(client, case_id, api_keys["auditor"]) == before
    case = client.get(f"/v1/review/cases/{case_id}", headers=moderators["alice"]).json()
    assert (case["status"], case["decision"]) == ("claimed", None)
    unicode = {**flood, "reason": "ok — ✓ 安全", "feedback": [note] * 50}
    decided = client.post(path, json=unicode, headers=moderators["alice"])
    assert decided.json()["status"] == "decided", decided.text


def test_a_cases_history_shows_only_the_viewers_queues(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    moderators, waiting = _shift(client, runtime, api_keys, clock)
    auditor = auth(api_keys["auditor"])
    cases = [client.get(f"/v1/review/cases/{c}", headers=auditor).json() for c in waiting["triage"]]
    shared = next(c for c in cases if c["subject_history"])
    other = shared["subject_history"][0]["case_id"]
    # The subject's other case escalates into the standard queue, which carol does not work.
    with runtime.database.write() as conn:
        conn.execute(
            update(table_of(RiskCase)).where(RiskCase.case_id == other).values(queue="standard")
        )
    seen = client.get(f"/v1/review/cases/{shared['case_id']}", headers=moderators["carol"])
    assert seen.status_code == 200, seen.text
    assert seen.json()["subject_history"] == []
    assert other not in seen.json()["related_cases"]
    everything = client.get(f"/v1/review/cases/{shared['case_id']}", headers=auditor).json()
    assert [h["case_id"] for h in everything["subject_history"]] == [other]


def test_a_claim_lapses_over_http_and_another_moderator_takes_it_over(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    moderators, waiting = _shift(client, runtime, api_keys, clock)
    alice, bob = moderators["alice"], moderators["bob"]
    case_id = waiting["standard"][0]
    path = f"/v1/review/cases/{case_id}"
    claimed = client.post(f"{path}/claim", headers=alice)
    assert claimed.status_code == 200, claimed.text
    lease = timedelta(minutes=runtime.risk.config.review.claim_lease_minutes)
    expires = (clock.now() + lease).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert claimed.json()["claim_expires_at"] == expires
    refused = client.post(f"{path}/claim", headers=bob)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == f"case {case_id} is held by key:alice until {expires}"
    clock.advance(seconds=lease.total_seconds())
    listed = client.get("/v1/review/cases", params={"limit": 500}, headers=bob).json()
    (lapsed,) = [c for c in listed if c["case_id"] == case_id]
    assert (lapsed["status"], lapsed["claimed_by"], lapsed["claim_lapsed"]) == (
        "waiting",
        "key:alice",
        True,
    )
    taken = client.post(f"{path}/claim", headers=bob)
    assert taken.status_code == 200, taken.text
    assert taken.json()["took_over_from"] == "key:alice"
    decision = {"verdict": "reject", "reason": "benign on review"}
    late = client.post(f"{path}/decision", json=decision, headers=alice)
    assert late.status_code == 403, late.text
    assert late.json()["detail"].startswith(f"you do not hold case {case_id}: key:bob holds it")
    decided = client.post(f"{path}/decision", json=decision, headers=bob)
    assert decided.json()["status"] == "decided", decided.text
    audit = client.get(
        "/v1/audit", params={"action": "review.claim_lapsed"}, headers=auth(api_keys["auditor"])
    ).json()
    assert [(r["actor"], r["details"]["claimed_by"]) for r in audit["records"]] == [
        ("key:bob", "key:alice")
    ]


def test_nobody_approves_their_own_change_with_another_of_their_keys(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    moderators, waiting = _shift(client, runtime, api_keys, clock)
    with runtime.database.write() as conn:
        # Alice's first key is named "alice" and owns itself; her second names her.
        second = runtime.keys.issue(
            conn, "alice-ci", ["moderator"], owner="alice", actor="test", reason="CI"
        )
    response = client.put(
        "/v1/review/queues/standard/members/key:alice-ci",
        json={"reason": "alice's CI"},
        headers=auth(api_keys["policy_admin"]),
    )
    assert response.status_code == 200, response.text
    case_id = waiting["standard"][0]
    change = _change("apply", "friction", kind="light_friction", ttl_hours=6)
    changed = _claim_and_decide(client, case_id, moderators["alice"], change)
    assert changed.json()["status"] == "waiting", changed.text
    shown = client.get(f"/v1/review/cases/{case_id}", headers=moderators["bob"]).json()
    assert (shown["changed_by"], shown["changed_by_owner"]) == ("key:alice", "alice")
    approve = {"verdict": "approve", "reason": "looks right"}
    refused = _claim_and_decide(client, case_id, auth(second.token), approve)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == (
        "nobody approves their own change: alice made it (as key:alice); "
        "another moderator must approve it"
    )
    released = client.post(f"/v1/review/cases/{case_id}/release", headers=auth(second.token))
    assert released.status_code == 200, released.text
    approved = _claim_and_decide(client, case_id, moderators["bob"], approve)
    assert approved.json()["status"] == "decided", approved.text
    audit = client.get(
        "/v1/audit", params={"action": "review.approve"}, headers=auth(api_keys["auditor"])
    )
    records = [(r["actor"], r["details"]["owner"]) for r in audit.json()["records"]]
    assert sorted(records) == [("key:alice", "alice"), ("key:bob", "bob")]
