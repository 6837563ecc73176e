"""The audit routes on the real app: reading records and verifying against an anchor."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from safefeed.audit.chain import canonical_json
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


def test_export_streams_the_canonical_lines_the_docs_verify_with_the_head_as_anchor(
    client: TestClient,
    api_keys: dict[str, str],
    runtime,  # type: ignore[no-untyped-def]
) -> None:
    headers = auth(api_keys["auditor"])
    added = client.post(
        "/v1/denylist",
        json={"kind": "content", "value": "export-check", "reason": "a record to export"},
        headers=auth(api_keys["policy_admin"]),
    )
    assert added.status_code == 201, added.text
    answer = client.get("/v1/audit/export", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    lines = answer.content.splitlines()
    with runtime.database.read() as conn:
        expected = [canonical_json(e.as_dict()) for e in runtime.audit.export(conn)]
    assert len(expected) >= 2
    assert lines == expected
    last = json.loads(lines[-1])
    assert answer.headers["X-Audit-Head"] == f"{last['seq']}:{last['hash']}"
    report = client.get(
        "/v1/audit/verify", params={"anchor": answer.headers["X-Audit-Head"]}, headers=headers
    ).json()
    assert report["ok"]
