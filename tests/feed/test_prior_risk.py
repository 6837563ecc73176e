"""The early-report hold, through the real HTTP app on both back ends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.feed.platform import Platform, ids


def test_two_trusted_reports_hold_a_fresh_item_from_the_feed(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = Platform(client, api_keys["service"])
    for user in ("viewer", "r1", "r2", "r3"):
        p.user(user)
    items = p.items(10, creators=10)
    assert "c0" in ids(p.feed(user_id="viewer", page_size=10))
    # One report is noise; the hold waits for a second trusted reporter.
    p.send([{"type": "report", "user_id": "r1", "content_id": "c0", "reason": "spam"}])
    assert "c0" in ids(p.feed(user_id="r3", page_size=10))
    p.send([{"type": "report", "user_id": "r2", "content_id": "c0", "reason": "spam"}])
    page = ids(p.feed(user_id="r3", page_size=10))
    assert "c0" not in page
    assert len(page) >= 5  # the rest of the feed is untouched
    assert set(page) <= set(items)
