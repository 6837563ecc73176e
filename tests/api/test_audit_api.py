"""The audit routes on the real app: reading records and verifying against an anchor."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.runtime import auth


def test_verify_takes_an_anchor_in_either_case_and_refuses_one_that_is_not_hex(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    headers = auth(api_keys["auditor"])
    report = client.get("/v1/audit/verify", headers=headers).json()
    assert report["ok"]
    anchor = f"{report['head_seq']}:{report['head_hash']}"
    for spelling in (anchor, anchor.upper()):
        answer = client.get("/v1/audit/verify", params={"anchor": spelling}, headers=headers)
        assert (answer.status_code, answer.json()["ok"]) == (200, True), spelling
    forged = f"{report['head_seq']}:{'z' * 64}"
    answer = client.get("/v1/audit/verify", params={"anchor": forged}, headers=headers)
    assert answer.status_code in (400, 422)
    assert "SEQ:HASH" in answer.text
