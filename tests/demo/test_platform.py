from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from safefeed.demo import DEMO_START, TOPICS, generate_demo_events
from safefeed.demo import platform as demo_platform
from safefeed.events.models import ENGAGEMENT_TYPES, EVENT_ADAPTER
from safefeed.signals.text import KeywordClassifier
from safefeed.types import MINOR_AGE_BANDS, POLICY_STATES

SMALL: dict[str, Any] = {"users": 300, "creators": 20, "items": 600, "days": 3}


@pytest.fixture(scope="module")
def small() -> list[dict[str, Any]]:
    return generate_demo_events(3, **SMALL)


def _ts(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["ts"])


def test_every_default_event_validates() -> None:
    events = generate_demo_events()

    for event in events:
        EVENT_ADAPTER.validate_python(event)
    # The defaults are meant to be a demo of about 50k events, mostly engagement.
    assert 40_000 <= len(events) <= 65_000
    engagement = sum(event["type"] in ENGAGEMENT_TYPES for event in events)
    assert engagement > len(events) / 2


def test_same_seed_same_log_and_other_seed_other_log(small: list[dict[str, Any]]) -> None:
    assert generate_demo_events(3, **SMALL) == small
    assert generate_demo_events(4, **SMALL) != small


def test_sorted_by_time_with_unique_ordered_ids(small: list[dict[str, Any]]) -> None:
    times = [_ts(event) for event in small]
    ids = [event["event_id"] for event in small]

    assert times == sorted(times)
    assert len(set(ids)) == len(ids)
    assert ids == [f"demo-{n:08d}" for n in range(len(small))]
    assert all(event["ts"].endswith("Z") for event in small)
    assert times[0] >= DEMO_START
    assert times[-1] < DEMO_START + timedelta(days=SMALL["days"])


def test_counts_follow_the_configuration(small: list[dict[str, Any]]) -> None:
    counts = Counter(event["type"] for event in small)
    accounts = [event for event in small if event["type"] == "account.created"]

    assert counts["account.created"] == SMALL["users"] + SMALL["creators"]
    assert sum(bool(event.get("is_creator")) for event in accounts) == SMALL["creators"]
    assert counts["content.published"] == SMALL["items"]
    assert counts["live.started"] == counts["live.ended"] == 1
    assert counts["live.viewer_joined"] == counts["live.viewer_left"] > 0
    assert counts["session_end"] > 0
    assert counts["follow"] > SMALL["users"]
    for kind in ("report", "moderation.flag", "enforcement.violation", "content.deleted"):
        assert counts[kind] > 0, kind


def test_every_policy_state_appears(small: list[dict[str, Any]]) -> None:
    changes = [event for event in small if event["type"] == "policy.changed"]
    states = Counter(event["policy_state"] for event in changes)

    assert set(states) == set(POLICY_STATES)
    assert states.most_common(1)[0][0] == "allowed"
    assert any("surfaces" in event for event in changes)
    assert {event["subject_type"] for event in changes} == {"content", "creator"}


def test_age_bands_and_regions_are_mixed(small: list[dict[str, Any]]) -> None:
    accounts = [event for event in small if event["type"] == "account.created"]
    bands = Counter(event["age_band"] for event in accounts)

    assert {"unknown", "13_15", "16_17", "18_24", "25_plus"} <= set(bands)
    assert bands["25_plus"] > bands["unknown"]
    assert len({event["region"] for event in accounts}) >= 5
    assert any("timezone" not in event for event in accounts)


def test_content_is_consistent_with_its_format(small: list[dict[str, Any]]) -> None:
    published = [event for event in small if event["type"] == "content.published"]

    assert {topic for event in published for topic in event["topics"]} <= set(TOPICS)
    for event in published:
        assert ("text" in event) == (event["format"] in ("post", "article"))
        assert ("duration_s" in event) == (event["format"] != "post")
        if event["format"] == "short":
            assert event["duration_s"] <= 60
        if "text" in event:
            assert event["language"] == "en"
        if "expires_at" in event:
            assert event["topics"][0] == "news"
            assert datetime.fromisoformat(event["expires_at"]) > _ts(event)


def test_a_small_share_of_texts_is_rude(small: list[dict[str, Any]]) -> None:
    texts = [
        e["text"] for e in small if e["type"] in ("content.published", "live.chat") and "text" in e
    ]
    rude = sum(score["profanity"] > 0 for score in KeywordClassifier().score(texts))

    assert 0.01 < rude / len(texts) < 0.15


def test_references_only_point_back_in_time(small: list[dict[str, Any]]) -> None:
    users: set[str] = set()
    content: set[str] = set()
    live: set[str] = set()
    for event in small:
        kind = event["type"]
        if kind == "account.created":
            users.add(event["user_id"])
        elif kind == "content.published":
            assert event["creator_id"] in users
            content.add(event["content_id"])
        elif kind == "live.started":
            live.add(event["live_session_id"])
        elif kind in ENGAGEMENT_TYPES:
            assert event["user_id"] in users
            assert event.get("content_id", next(iter(content))) in content
        elif kind in ("follow", "unfollow"):
            assert {event["user_id"], event["creator_id"]} <= users
        elif kind.startswith("live."):
            assert event["live_session_id"] in live
        elif kind in ("policy.changed", "moderation.flag", "enforcement.violation"):
            known = {"content": content, "user": users, "creator": users, "live_session": live}
            assert event["subject_id"] in known[event["subject_type"]], event


def test_sessions_carry_feed_context(small: list[dict[str, Any]]) -> None:
    impressions = [event for event in small if event["type"] == "impression"]

    assert all({"session_id", "request_id", "surface", "position"} <= set(e) for e in impressions)
    assert {event["surface"] for event in impressions} >= {"home", "following", "search"}


def test_one_live_session_escalates_from_an_adult_toward_a_minor(
    small: list[dict[str, Any]],
) -> None:
    invites = [
        event
        for event in small
        if event["type"] == "live.interaction" and event["kind"] == "private_invite"
    ]
    [invite] = invites
    adult = invite["from_user_id"]
    after = [event for event in small if _ts(event) > _ts(invite)]

    assert invite["from_age_band"] in ("18_24", "25_plus")
    assert invite["to_age_band"] in MINOR_AGE_BANDS
    assert any(e["type"] == "moderation.flag" and e["subject_id"] == adult for e in after)
    assert any(e["type"] == "enforcement.violation" and e["subject_id"] == adult for e in after)


def test_start_is_any_aware_instant() -> None:
    berlin = datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Berlin"))

    events = generate_demo_events(1, users=20, creators=2, items=10, days=1, start=berlin)

    assert _ts(events[0]) >= berlin
    assert _ts(events[0]).tzinfo == UTC
    with pytest.raises(ValueError, match="time-zone aware"):
        generate_demo_events(users=5, creators=1, items=5, days=1, start=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"users": -1}, "must be >= 0"),
        ({"days": 0}, "days >= 1"),
        ({"creators": 0, "items": 5}, "at least one creator"),
    ],
)
def test_impossible_sizes_are_refused(sizes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_demo_events(**sizes)


def test_empty_platform_is_empty() -> None:
    assert generate_demo_events(users=0, creators=0, items=0, days=1) == []


def test_public_names() -> None:
    import safefeed.demo

    assert set(safefeed.demo.__all__) == {"DEMO_START", "TOPICS", "generate_demo_events"}
    assert demo_platform.__all__ == safefeed.demo.__all__
