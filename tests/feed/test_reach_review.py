"""Review by reach: items that spread before anyone decided go to moderators, and a
flagged one is held from feeds until they do — through the real store and HTTP app."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from safefeed.feed.config import ReachReviewSettings, default_feed_config
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.serving import ReachTally
from safefeed.feed.state.reach_review import OUT_OF_FEEDS, due_for_review
from safefeed.runtime import Runtime
from tests.feed.platform import Platform, ids
from tests.support.runtime import auth


def _flag(content_id: str, score: float) -> dict[str, Any]:
    return {
        "type": "moderation.flag",
        "subject_type": "content",
        "subject_id": content_id,
        "source": "classifier",
        "category": "violent_extremism",
        "severity": "low",
        "score": score,
    }


def _decided(content_id: str, state: str = "allowed") -> dict[str, Any]:
    return {**Platform.state(content_id, state), "review_status": "moderator_decision"}


def _viewers(p: Platform, n: int, prefix: str = "v") -> list[str]:
    users = [f"{prefix}{k}" for k in range(n)]
    for user in users:
        p.user(user)
    return users


def _seen_by(users: list[str], content_id: str) -> list[dict[str, Any]]:
    return [{"type": "impression", "user_id": u, "content_id": content_id} for u in users]


def _one_viewer_twelve_items(client: TestClient, api_keys: dict[str, str]) -> Platform:
    """A viewer ``u1`` and items ``c0``..``c11``, one per creator."""
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.items(12, creators=12)
    return p


def _past_the_threshold(
    client: TestClient, api_keys: dict[str, str], settings: ReachReviewSettings
) -> list[str]:
    """Viewers 15 more than the threshold, items ``c0``..``c11``, ``c1`` flagged."""
    p = Platform(client, api_keys["service"])
    users = _viewers(p, int(settings.min_reach) + 15, prefix="u")
    p.items(12, creators=12)
    p.send([_flag("c1", 0.4)])
    return users


def _due(runtime: Runtime, settings: ReachReviewSettings) -> list[str]:
    with runtime.database.read() as conn:
        return [case.content_id for case in due_for_review(conn, settings)]


def test_items_that_spread_undecided_are_due_likeliest_harm_first(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = Platform(client, api_keys["service"])
    viewers = _viewers(p, 8)
    p.items(6, creators=6)
    p.send(
        _seen_by(viewers, "c0")
        + _seen_by(viewers, "c1")
        + _seen_by(viewers[:3], "c2")  # not far enough yet
        + _seen_by(viewers, "c3")
        + _seen_by(viewers, "c4")
        + _seen_by(viewers, "c5")
        + [_flag("c1", 0.4), Platform.state("c3", "not_recommendable"), _decided("c4")]
        + [{"type": "report", "user_id": viewers[0], "content_id": "c5", "reason": "spam"}]
    )
    settings = ReachReviewSettings(min_reach=5.0)
    # c3 is out of every feed already, a moderator decided c4; c2 has not spread.
    # The reported item and the flagged one go before reach alone.
    assert _due(runtime, settings) == ["c5", "c1", "c0"]
    with runtime.database.read() as conn:
        cases = {c.content_id: c for c in due_for_review(conn, settings)}
        assert due_for_review(conn, settings, limit=2) == [cases["c5"], cases["c1"]]
    assert cases["c0"].reach == 8.0
    assert cases["c1"].safety_score == 0.4
    assert cases["c5"].reports == 1.0
    assert cases["c0"].priority < cases["c1"].priority
    # The priority the store orders by: reach x (base + safety score + capped report rate).
    for case in cases.values():
        rate = case.reports / max(case.reach, 1.0)
        held_against = settings.base_evidence + case.safety_score
        held_against += min(1.0, settings.report_weight * rate)
        assert case.priority == pytest.approx(case.reach * held_against, rel=1e-12)

    # A decision takes an item off the list, whatever it decided.
    p.send([_decided("c1"), _decided("c5", "limited_distribution")])
    assert _due(runtime, settings) == ["c0"]
    # A higher threshold: nothing has spread that far.
    assert _due(runtime, ReachReviewSettings(min_reach=9.0)) == []


def test_a_flagged_item_is_held_from_feeds_once_it_spreads_until_a_moderator_decides(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    settings = default_feed_config().reach_review
    p = _one_viewer_twelve_items(client, api_keys)
    p.send([_flag("c1", 0.4), _flag("c2", 0.4)])  # under the safety score's own hold
    assert {"c1", "c2"} <= set(ids(p.feed(user_id="u1", page_size=20)))

    viewers = _viewers(p, int(settings.min_reach))
    p.send(_seen_by(viewers, "c0") + _seen_by(viewers, "c1"))
    page = ids(p.feed(user_id="u1", page_size=20))
    # c1 spread on a flag nobody has decided: held. c0 spread as far without one, and
    # c2 is flagged but has not spread: both served.
    assert "c1" not in page
    assert {"c0", "c2"} <= set(page)
    assert _due(runtime, settings)[:1] == ["c1"]
    # The engagement baseline has no review by reach.
    assert "c1" in ids(p.feed(user_id="u1", page_size=20, ranker="engagement"))

    p.send([_decided("c1")])
    assert "c1" in ids(p.feed(user_id="u1", page_size=20))
    assert "c1" not in _due(runtime, settings)


def test_one_batch_of_pages_cannot_carry_a_flagged_item_past_the_threshold(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    settings = default_feed_config().reach_review
    users = _past_the_threshold(client, api_keys, settings)

    def pages(ranker: str) -> list[list[str]]:
        responses = runtime.feed.serve(
            [FeedRequest(user_id=u, surface="home", page_size=20, ranker=ranker) for u in users],
            record=False,
        )
        return [[item.content_id for item in r.items] for r in responses]

    safety, baseline = pages("safety"), pages("engagement")
    assert sum("c1" in page for page in baseline) == len(users)
    # Every page has c0; c1 stops once the batch's pages have shown it min_reach times.
    assert sum("c0" in page for page in safety) == len(users)
    assert sum("c1" in page for page in safety) == int(settings.min_reach)


def test_a_batch_split_into_calls_that_share_a_tally_is_held_as_one(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    settings = default_feed_config().reach_review
    users = _past_the_threshold(client, api_keys, settings)

    def pages(tally: ReachTally | None, chunk: int = 7) -> list[list[str]]:
        served = []
        for start in range(0, len(users), chunk):
            requests = [FeedRequest(user_id=u, surface="home", page_size=20) for u in users]
            responses = runtime.feed.serve(
                requests[start : start + chunk], record=False, tally=tally
            )
            served += [[item.content_id for item in r.items] for r in responses]
        return served

    shared = pages(ReachTally())
    assert shared == pages(ReachTally(), chunk=len(users))  # the pages of one call
    assert sum("c1" in page for page in shared) == int(settings.min_reach)
    # Without a shared tally each call may show the item up to the threshold again.
    assert sum("c1" in page for page in pages(None)) > int(settings.min_reach)


def test_a_decision_through_the_policy_api_releases_the_hold(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    settings = default_feed_config().reach_review
    p = _one_viewer_twelve_items(client, api_keys)
    viewers = _viewers(p, int(settings.min_reach))
    p.send([_flag("c1", 0.4), *_seen_by(viewers, "c1")])
    assert "c1" not in ids(p.feed(user_id="u1", page_size=20))

    due = client.get("/v1/review/reach", headers=auth(api_keys["moderator"]))
    assert due.status_code == 200
    body = due.json()
    assert body["min_reach"] == settings.min_reach
    assert [item["content_id"] for item in body["items"]][:1] == ["c1"]
    assert body["items"][0]["safety_score"] == 0.4
    bad = client.get("/v1/review/reach?limit=0", headers=auth(api_keys["moderator"]))
    assert bad.status_code == 422

    decision = {
        "policy_state": "allowed",
        "policy_version": "test",
        "reason": "reviewed: news footage, not extremist",
        "review_status": "moderator_decision",
    }
    put = client.put("/v1/policy/content/c1", json=decision, headers=auth(api_keys["moderator"]))
    assert put.status_code == 200, put.text
    assert "c1" in ids(p.feed(user_id="u1", page_size=20))
    due = client.get("/v1/review/reach", headers=auth(api_keys["moderator"])).json()
    assert "c1" not in [item["content_id"] for item in due["items"]]


def test_items_out_of_feeds_by_their_policy_state_are_never_due() -> None:
    assert {"not_recommendable", "search_only", "blocked", "deleted"} == OUT_OF_FEEDS
