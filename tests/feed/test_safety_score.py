"""The safety score: classifier flags before any decision, through the real HTTP app."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from safefeed.feed.config import default_feed_config
from tests.feed.platform import Platform, ids
from tests.support.runtime import auth


def _flag(content_id: str, score: float, source: str = "classifier") -> dict[str, Any]:
    return {
        "type": "moderation.flag",
        "subject_type": "content",
        "subject_id": content_id,
        "source": source,
        "category": "violent_extremism",
        "severity": "low",
        "score": score,
    }


def _one_viewer_twelve_creators(client: TestClient, api_keys: dict[str, str]) -> Platform:
    """A viewer ``u1`` and items ``c0``..``c11``, one per creator (no per-creator cap bites)."""
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.items(12, creators=12)
    return p


def _served(p: Platform, user: str, **params: Any) -> list[str]:
    return ids(p.feed(user_id=user, page_size=20, **params))


def test_a_flag_at_the_hold_keeps_an_item_out_until_a_moderator_decides(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = _one_viewer_twelve_creators(client, api_keys)
    assert "c0" in _served(p, "u1")
    p.send([_flag("c0", 0.5), _flag("c0", 0.85)])
    assert "c0" not in _served(p, "u1")
    # A later, lower score never lowers the highest one the item carried.
    p.send([_flag("c0", 0.2)])
    assert "c0" not in _served(p, "u1")
    # The engagement baseline acts on policy labels alone, as the incident's feed did.
    assert "c0" in _served(p, "u1", ranker="engagement")
    decision = {**Platform.state("c0", "allowed"), "review_status": "moderator_decision"}
    p.send([decision])
    assert "c0" in _served(p, "u1")


def test_the_penalty_grows_with_the_score_and_reports_do_not_set_it(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = _one_viewer_twelve_creators(client, api_keys)
    p.send([_flag("c1", 0.55), _flag("c2", 0.7), _flag("c3", 0.99, source="viewer_report")])
    page = p.feed(user_id="u1", page_size=20)
    safety = {item["content_id"]: item["components"]["safety"] for item in page["items"]}
    assert {"c0", "c1", "c2", "c3"} <= set(safety)
    # c0 has no flag; a viewer's report flag is no classifier score (reports count
    # through the trust-weighted report estimate instead).
    assert safety["c3"] == safety["c0"]
    assert safety["c0"] > safety["c1"] > safety["c2"]


def test_a_score_takes_its_share_of_the_engagement_value_away(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = _one_viewer_twelve_creators(client, api_keys)
    # An open makes c1 personal (topic and creator affinity): values above the prior.
    p.send([{"type": "open", "user_id": "u1", "content_id": "c1"}])

    def parts() -> dict[str, float]:
        page = p.feed(user_id="u1", page_size=20)
        return next(i["components"] for i in page["items"] if i["content_id"] == "c1")

    before = parts()
    config = default_feed_config()
    settings = config.safety_score
    # Halfway from the floor to the hold: half the engagement value and half the penalty.
    p.send([_flag("c1", (settings.floor + settings.hold) / 2)])
    after = parts()
    for name in ("open", "dwell", "watch_time"):
        assert before[name] > 0
        assert after[name] == pytest.approx(before[name] / 2, abs=1e-6)  # served rounded
    penalty = config.rankers["safety"].weights["safety"] * settings.penalty / 2
    assert after["safety"] == pytest.approx(before["safety"] - penalty, abs=1e-6)
    # Below the floor nothing changes: c2's score is evidence too weak to act on.
    p.send([_flag("c2", settings.floor - 0.01)])
    page = {i["content_id"]: i["components"] for i in p.feed(user_id="u1", page_size=20)["items"]}
    assert page["c2"]["safety"] == page["c0"]["safety"]
    assert page["c2"]["watch_time"] == page["c0"]["watch_time"]


def test_push_and_email_hold_at_their_stricter_ceilings(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.user("fan")  # engagement makes the items trend: push draws from trending
    mild = p.items(20, prefix="m", creators=20, quality=0.9)
    edgy = p.items(20, prefix="e", creators=20, quality=0.95)
    p.send([{"type": "open", "user_id": "fan", "content_id": c} for c in mild + edgy])
    client.put("/v1/feed-users/u1/controls", json={"push_opt_in": True}, headers=auth(p.token))
    assert ids(p.feed("push", user_id="u1", page_size=1))  # push works before the flags
    p.send([_flag(c, 0.55) for c in mild] + [_flag(c, 0.65) for c in edgy])
    # Home holds only at 0.8: both sets are served, penalized.
    home = set(ids(p.feed(user_id="u1", page_size=40)))
    assert home & set(mild)
    assert home & set(edgy)
    # Email holds at 0.6, push at 0.5.
    email = set(ids(p.feed("email", user_id="u1", page_size=20)))
    assert email
    assert email <= set(mild)
    assert ids(p.feed("push", user_id="u1", page_size=3)) == []
