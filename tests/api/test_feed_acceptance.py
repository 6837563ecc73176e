"""The feed's acceptance tests, each through the real HTTP app on both back ends."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi.testclient import TestClient

from safefeed.clock import ManualClock
from safefeed.runtime import Runtime
from tests.feed.platform import Platform, ids
from tests.support.policy import NOW
from tests.support.runtime import auth


def platform(client: TestClient, api_keys: dict[str, str]) -> Platform:
    return Platform(client, api_keys["service"])


def test_blocked_content_is_never_recommended(client: TestClient, api_keys: dict[str, str]) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(40)
    blocked = p.items(10, prefix="b", state="blocked", quality=0.95)
    page = p.feed(user_id="u1", page_size=20)
    served = set(ids(page))
    cursor = page["next_cursor"]
    while cursor:
        page = p.feed(user_id="u1", page_size=20, cursor=cursor)
        served |= set(ids(page))
        cursor = page["next_cursor"]
    assert served, "the feed served nothing"
    assert not served & set(blocked)


def test_muted_creator_is_excluded(client: TestClient, api_keys: dict[str, str]) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(40, creators=5)
    assert "ccr0" in {i["creator_id"] for i in p.feed(user_id="u1")["items"]}
    response = client.post(
        "/v1/feed-users/u1/mutes", json={"creator_id": "ccr0"}, headers=auth(api_keys["service"])
    )
    assert response.status_code == 200
    p.send([{"type": "mute_creator", "user_id": "u1", "creator_id": "ccr1"}])
    for surface in ("home", "following", "email"):
        creators = {i["creator_id"] for i in p.feed(surface, user_id="u1")["items"]}
        assert not creators & {"ccr0", "ccr1"}, surface


def test_seen_items_are_not_repeated(client: TestClient, api_keys: dict[str, str]) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(60)
    first = ids(p.feed(user_id="u1", page_size=10))
    p.send([{"type": "impression", "user_id": "u1", "content_id": c} for c in first])
    again = ids(p.feed(user_id="u1", page_size=10))  # a new session: no cursor
    assert again
    assert not set(first) & set(again)


def test_creator_and_topic_caps(client: TestClient, api_keys: dict[str, str]) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(60, creators=4, topics=("cooking", "pets"))
    p.items(40, prefix="d", creators=20, topics=("music",))
    page = p.feed(user_id="u1", page_size=20)
    creators = Counter(i["creator_id"] for i in page["items"])
    topics = Counter(c[0] for c in ids(page))
    assert page["items"]
    assert max(creators.values()) <= 2
    # per_topic is 6 on home: "c" items carry cooking or pets, "d" items music.
    served_topics = Counter(
        client.get(
            f"/v1/feed-requests/{page['request_id']}/trace", headers=auth(api_keys["auditor"])
        ).json()["trace"]["items"][i]["content_id"][0]
        for i in range(len(page["items"]))
    )
    assert served_topics == topics
    assert topics["d"] <= 6


def test_limited_distribution_is_excluded_from_push(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    limited = p.items(30, prefix="l", state="limited_distribution", quality=0.95)
    allowed = p.items(30, quality=0.9)
    p.user("fan")  # engagement makes both sets trend: push draws from trending
    p.send([{"type": "open", "user_id": "fan", "content_id": c} for c in limited + allowed])
    service = auth(api_keys["service"])
    assert p.feed("push", user_id="u1")["items"] == []  # not opted in
    client.put("/v1/feed-users/u1/controls", json={"push_opt_in": True}, headers=service)
    page = p.feed("push", user_id="u1", page_size=3)
    assert ids(page)
    assert set(ids(page)) <= set(allowed)
    home = set(ids(p.feed(user_id="u1", page_size=50)))
    assert len(home & set(limited)) <= 2  # the home cap on limited distribution


def test_expired_news_is_excluded(
    client: TestClient, api_keys: dict[str, str], clock: ManualClock
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    expiring = (NOW + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    news = p.items(20, prefix="n", topics=("news",), expires_at=expiring, quality=0.95)
    p.items(20, quality=0.6)
    assert set(ids(p.feed(user_id="u1", page_size=40))) & set(news)
    clock.advance(3600)
    later = set(ids(p.feed(user_id="u1", page_size=40)))
    assert later
    assert not later & set(news)


def test_non_personalized_mode_skips_the_profile(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    items = p.items(50)
    p.send([{"type": "like", "user_id": "u1", "content_id": c} for c in items[:10]])
    p.send([{"type": "follow", "user_id": "u1", "creator_id": "ccr3"}])
    auditor = auth(api_keys["auditor"])
    personal = p.feed(user_id="u1")
    trace = client.get(f"/v1/feed-requests/{personal['request_id']}/trace", headers=auditor)
    assert trace.json()["trace"]["profile_used"] is True
    plain = p.feed(user_id="u1", non_personalized="true")
    assert plain["mode"] == "non_personalized"
    body = client.get(f"/v1/feed-requests/{plain['request_id']}/trace", headers=auditor).json()
    assert body["trace"]["profile_used"] is False
    assert body["trace"]["profile"] == {
        "topics": 0,
        "creators": 0,
        "follows": 0,
        "session_topics": 0,
    }
    skipped = body["trace"]["sources_skipped"]
    assert {"following", "affinity_topic", "affinity_creator"} <= set(skipped)
    assert {i["source"] for i in plain["items"]} <= {
        "trending",
        "exploration",
        "editorial",
        "fallback",
    }
    # The stored setting works the same way as the query flag.
    client.put(
        "/v1/feed-users/u1/controls",
        json={"non_personalized": True},
        headers=auth(api_keys["service"]),
    )
    assert p.feed(user_id="u1")["mode"] == "non_personalized"


def test_exploration_respects_its_quality_floor(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    low = p.items(40, prefix="lo", quality=0.4)
    high = p.items(40, prefix="hi", quality=0.9)
    served = []
    page = p.feed(user_id="u1", page_size=50, non_personalized="true")
    served += page["items"]
    explored = [i["content_id"] for i in served if "exploration" in i["sources"]]
    assert explored
    assert set(explored) <= set(high)
    assert not {i["content_id"] for i in served if i["source"] == "exploration"} & set(low)


def test_continuation_token_prevents_duplicates_and_rejects_tampering(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(80, creators=40)
    first = p.feed(user_id="u1", page_size=10)
    second = p.feed(user_id="u1", page_size=10, cursor=first["next_cursor"])
    third = p.feed(user_id="u1", page_size=10, cursor=second["next_cursor"])
    pages = [ids(first), ids(second), ids(third)]
    assert all(pages)
    flat = [c for page in pages for c in page]
    assert len(flat) == len(set(flat))
    assert [first["page"], second["page"], third["page"]] == [0, 1, 2]
    token = first["next_cursor"]
    body, mac = token.split(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    service = auth(api_keys["service"])
    for bad in (tampered, token + "x", "garbage"):
        response = client.get(
            "/v1/feed/home", params={"user_id": "u1", "cursor": bad}, headers=service
        )
        assert response.status_code == 400, bad
    other_user = client.get(
        "/v1/feed/home", params={"user_id": "u2", "cursor": token}, headers=service
    )
    assert other_user.status_code == 400


def test_events_between_pages_change_the_next_page(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(80, creators=40)
    first = p.feed(user_id="u1", page_size=10)
    reported = first["items"][0]
    p.send([{"type": "mute_creator", "user_id": "u1", "creator_id": reported["creator_id"]}])
    second = p.feed(user_id="u1", page_size=10, cursor=first["next_cursor"])
    assert reported["creator_id"] not in {i["creator_id"] for i in second["items"]}


def test_a_kill_switch_takes_effect_on_the_next_request(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    items = p.items(40)
    p.user("fan")
    p.send([{"type": "open", "user_id": "fan", "content_id": c} for c in items])
    first = p.feed(user_id="u1", page_size=20)
    victim = ids(first)[0]
    admin = auth(api_keys["policy_admin"])
    response = client.put(
        f"/v1/kill-switches/item/{victim}", json={"reason": "incident"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert victim not in ids(p.feed(user_id="u1", page_size=40))
    assert any(i["source"] == "trending" for i in p.feed(user_id="u1", page_size=40)["items"])
    switched = client.put("/v1/kill-switches/trending/*", json={"reason": "x"}, headers=admin)
    assert switched.status_code == 200, switched.text
    page = p.feed(user_id="u1", page_size=40)
    assert page["items"]
    assert all("trending" not in i["sources"] for i in page["items"])


def test_a_denylisted_item_is_never_served_even_from_a_stale_index(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(40)
    victim = ids(p.feed(user_id="u1", page_size=20))[0]
    admin = auth(api_keys["policy_admin"])
    response = client.post(
        "/v1/denylist",
        json={"kind": "content", "value": victim, "reason": "incident"},
        headers=admin,
    )
    assert response.status_code in (200, 201), response.text
    catalog = runtime.feed.catalog
    row = catalog.index_of[victim]
    # The in-memory catalog, the ANN index and the derived lists still hold the item:
    assert catalog.view.col("live")[row]
    assert row in catalog.indexes[0].search(catalog.view.col("embedding")[row], 5).tolist()
    for _ in range(3):
        assert victim not in ids(p.feed(user_id="u1", page_size=40))


def test_a_stale_policy_snapshot_yields_only_fallback_content(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    p = platform(client, api_keys)
    p.user("u1")
    p.items(40)
    assert p.feed(user_id="u1")["mode"] == "personalized"
    vetted = runtime.feed._vetted
    assert vetted is not None
    # The policy store becomes unreadable: the snapshot ages past its bound.
    with runtime.database.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE policy_revision")
    clock.advance(120)
    page = p.feed(user_id="u1", page_size=20)
    assert page["mode"] == "fallback"
    assert page["items"]
    catalog = runtime.feed.catalog
    for item in page["items"]:
        assert item["source"] == "fallback"
        assert catalog.index_of[item["content_id"]] in vetted.rows
    assert p.feed("push", user_id="u1")["items"] == []


def test_an_item_on_several_liked_topics_is_served_once_per_page(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    # A platform's items often carry several topics (or one twice); a source that
    # walks the user's topics then proposes the same item once per topic.
    p = platform(client, api_keys)
    p.user("u1")
    items = [f"m{i}" for i in range(6)]
    p.send(
        {
            "type": "content.published",
            "content_id": content_id,
            "creator_id": f"mcr{i}",
            "format": "post",
            "topics": [f"a{i}", f"b{i}", f"a{i}"],
            "quality_score": 0.8,
        }
        for i, content_id in enumerate(items)
    )
    p.send(p.state(content_id, "allowed") for content_id in items)
    p.send({"type": "like", "user_id": "u1", "content_id": c} for c in items)
    for surface in ("home", "related", "email"):
        served = ids(p.feed(surface, user_id="u1", page_size=20, item_id="m0"))
        assert served, surface
        assert len(served) == len(set(served)), (surface, Counter(served).most_common(3))


def _keep_out_topics(
    client: TestClient, api_keys: dict[str, str], *, denied: str, switched: str, excluded: str
) -> None:
    """Denylist one topic, kill-switch another (both for everyone) and have u2
    exclude a third."""
    admin = auth(api_keys["policy_admin"])
    response = client.post(
        "/v1/denylist", json={"kind": "topic", "value": denied, "reason": "x"}, headers=admin
    )
    assert response.status_code == 201, response.text
    response = client.put(
        f"/v1/kill-switches/topic/{switched}", json={"reason": "x"}, headers=admin
    )
    assert response.status_code == 200, response.text
    response = client.put(
        "/v1/feed-users/u2/controls",
        json={"exclude_topics": [excluded]},
        headers=auth(api_keys["service"]),
    )
    assert response.status_code == 200, response.text


def _publish_allowed(p: Platform, topics: dict[str, list[str]], creator: str | None = None) -> None:
    """Publish one allowed item per id, with the topics given, by ``creator`` (else
    each by its own)."""
    p.send(
        {
            "type": "content.published",
            "content_id": content_id,
            "creator_id": creator or f"cr-{content_id}",
            "format": "post",
            "topics": item_topics,
            "quality_score": 0.8,
        }
        for content_id, item_topics in topics.items()
    )
    p.send(p.state(content_id, "allowed") for content_id in topics)


def test_every_topic_of_an_item_counts_for_denylists_kill_switches_and_controls(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    # The catalog ranks by an item's first few topics; the safety checks and the
    # user's exclusions must see all of them, however many the platform sends.
    p = platform(client, api_keys)
    p.user("u1")
    p.user("u2")
    filler = ["cooking", "pets", "music", "travel", "science", "art"]
    late = {"denied": "gambling", "switched": "diet", "excluded": "horror"}
    items: dict[str, list[str]] = {kind: [] for kind in late}
    topics: dict[str, list[str]] = {}
    for i in range(90):
        kind = list(late)[i % 3]
        items[kind].append(f"{kind}{i}")
        topics[f"{kind}{i}"] = [filler[(i + k) % 6] for k in range(5)] + [late[kind]]
    # The anchor of the related pages, on none of the late topics.
    topics["plain"] = filler[:4]
    _publish_allowed(p, topics)
    every = {c for group in items.values() for c in group}
    assert set(ids(p.feed(user_id="u1", page_size=50))) & every
    _keep_out_topics(client, api_keys, denied="gambling", switched="diet", excluded="horror")
    for user, banned in (("u1", "denied"), ("u1", "switched"), ("u2", "excluded")):
        for surface in ("home", "following", "related", "email"):
            served = set(ids(p.feed(surface, user_id=user, page_size=20, item_id="plain")))
            assert not served & set(items[banned]), (user, banned, surface)
    assert set(ids(p.feed(user_id="u2", page_size=50))) & set(items["denied"]) == set()
    assert set(ids(p.feed(user_id="u1", page_size=50))) & set(items["excluded"])


def test_a_related_page_is_not_built_around_an_item_the_gate_keeps_out(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    # "More like this" of a blocked item would spread it through its neighbours.
    p = platform(client, api_keys)
    p.user("u1")
    p.items(40, topics=("cooking",))
    near = p.items(40, prefix="h", topics=("stunts",))
    blocked = p.items(1, prefix="x", topics=("stunts",), state="blocked")[0]
    deleted = p.items(1, prefix="y", topics=("stunts",))[0]
    p.send([{"type": "content.deleted", "content_id": deleted}])
    denied = p.items(1, prefix="z", topics=("stunts",))[0]
    admin = auth(api_keys["policy_admin"])
    response = client.post(
        "/v1/denylist", json={"kind": "content", "value": denied, "reason": "x"}, headers=admin
    )
    assert response.status_code == 201, response.text

    def similar(anchor: str) -> set[str]:
        page = p.feed("related", user_id="u1", page_size=20, item_id=anchor)
        return {i["content_id"] for i in page["items"] if "similar" in i["sources"]}

    assert similar(near[0]) & set(near)
    for anchor in (blocked, deleted, denied):
        assert similar(anchor) == set(), anchor


def test_topic_rules_and_exclusions_match_a_topic_however_it_is_spelled(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    # A platform's topics come in its own case and spacing ("Gambling ", "GAMBLING");
    # a denylist entry, a kill switch or a user's exclusion names the topic once.
    p = platform(client, api_keys)
    p.user("u1")
    p.user("u2")
    spellings = {
        "denied": ["Gambling", "gambling ", "GAMBLING", "ｇａｍｂｌｉｎｇ"],
        "switched": ["Diet tips", "diet  tips", " DIET TIPS"],
        "excluded": ["Horror", "horror", "HORROR "],
    }
    items = {kind: [f"{kind}{i}" for i in range(24)] for kind in spellings}
    _publish_allowed(
        p,
        {
            content_id: [spellings[kind][i % len(spellings[kind])]]
            for kind, group in items.items()
            for i, content_id in enumerate(group)
        },
    )
    every = {c for group in items.values() for c in group}
    assert set(ids(p.feed(user_id="u1", page_size=50))) & every
    _keep_out_topics(client, api_keys, denied="gambling", switched="Diet Tips", excluded="horror")
    for user, banned in (("u1", "denied"), ("u1", "switched"), ("u2", "excluded")):
        for surface in ("home", "email"):
            served = set(ids(p.feed(surface, user_id=user, page_size=20)))
            assert not served & set(items[banned]), (user, banned, surface, served)
    assert set(ids(p.feed(user_id="u1", page_size=50))) & set(items["excluded"])


def test_push_quiet_hours_follow_the_region_when_the_account_has_no_time_zone(
    client: TestClient, api_keys: dict[str, str], clock: ManualClock
) -> None:
    # The contract: local time is the account's time zone, else its region's
    # principal zone. 14:00 UTC is 23:00 in Tokyo, inside the 22-7 quiet hours.
    p = platform(client, api_keys)
    p.user("tokyo", region="JP")
    p.user("berlin_in_jp", region="JP", timezone="Europe/Berlin")
    p.user("nowhere")
    items = p.items(30, quality=0.9)
    p.user("fan")
    p.send([{"type": "open", "user_id": "fan", "content_id": c} for c in items])
    service = auth(api_keys["service"])
    for user in ("tokyo", "berlin_in_jp", "nowhere"):
        opted = client.put(
            f"/v1/feed-users/{user}/controls", json={"push_opt_in": True}, headers=service
        )
        assert opted.status_code == 200, opted.text
    clock.set(clock.now().replace(hour=14, minute=0))
    tokyo = p.feed("push", user_id="tokyo")
    assert tokyo["items"] == []
    assert tokyo["explanation"] == "quiet hours for this user"
    assert ids(p.feed("push", user_id="berlin_in_jp"))
    assert ids(p.feed("push", user_id="nowhere"))


def test_a_user_without_a_profile_is_not_told_their_profile_was_used(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    p = platform(client, api_keys)
    p.user("new")
    items = p.items(30)
    for user in ("new", "no-account"):
        page = p.feed(user_id=user)
        assert ids(page)
        assert "profile" not in page["explanation"].replace("no profile", ""), page["explanation"]
    p.send([{"type": "like", "user_id": "new", "content_id": items[0]}])
    assert p.feed(user_id="new")["explanation"] == "profile and session used"


def test_ids_with_a_slash_can_be_switched_off_restricted_and_controlled(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    # Platforms' ids are their own strings ("team/creator", URLs): every route that
    # names one in its path must reach it, escaped or not.
    p = platform(client, api_keys)
    p.user("web/u1")
    p.send(
        {
            "type": "content.published",
            "content_id": f"https://zeta.example/v/{i}",
            "creator_id": f"team/{i % 3}",
            "format": "video",
            "topics": ["music"],
            "quality_score": 0.8,
        }
        for i in range(30)
    )
    p.send(p.state(f"https://zeta.example/v/{i}", "allowed") for i in range(30))
    creators = {i["creator_id"] for i in p.feed(user_id="web/u1", page_size=20)["items"]}
    assert creators == {"team/0", "team/1", "team/2"}
    admin = auth(api_keys["policy_admin"])
    switched = client.put("/v1/kill-switches/creator/team%2F0", json={"reason": "x"}, headers=admin)
    assert switched.status_code == 200, switched.text
    assert switched.json()["target"] == "team/0"
    blocked = "https://zeta.example/v/1"
    state = client.put(
        "/v1/policy/content/https://zeta.example/v/1",
        json={"policy_state": "blocked", "policy_version": "t", "reason": "x"},
        headers=admin,
    )
    assert state.status_code == 200, state.text
    history = client.get("/v1/policy/content/https://zeta.example/v/1/history", headers=admin)
    assert history.status_code == 200, history.text
    assert history.json()["subject_id"] == blocked
    controls = client.put(
        "/v1/feed-users/web%2Fu1/controls",
        json={"exclude_topics": ["music"]},
        headers=auth(api_keys["service"]),
    )
    assert controls.status_code == 200, controls.text
    assert ids(p.feed(user_id="web/u1", page_size=20)) == []
    client.put("/v1/feed-users/web/u1/controls", json={}, headers=auth(api_keys["service"]))
    page = p.feed(user_id="web/u1", page_size=20)
    assert ids(page)
    assert blocked not in ids(page)
    assert {i["creator_id"] for i in page["items"]} == {"team/1", "team/2"}


def test_a_creator_restricted_by_age_or_region_reaches_adults_in_the_items_region_only(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    # The state means the same on a creator as on an item: the audience rule already
    # read the creator's; the region rule must too.
    p = platform(client, api_keys)
    for user, band, region in (
        ("us", "25_plus", "US"),
        ("de", "25_plus", "DE"),
        ("kid", "13_15", "DE"),
    ):
        p.user(user, band, region=region)
    p.items(40, prefix="o")
    german = p.items(20, prefix="g", creators=1, region="DE", quality=0.9)
    anywhere = p.items(20, prefix="n", creators=1, quality=0.9)
    assert {"gcr0", "ncr0"} == {"gcr0", "ncr0"} & {
        i["creator_id"] for i in p.feed(user_id="us", page_size=50)["items"]
    }
    p.send(
        [p.state(creator, "age_or_region_restricted", "creator") for creator in ("gcr0", "ncr0")]
    )
    restricted = set(german) | set(anywhere)
    for surface in ("home", "following", "related", "email"):
        assert not set(ids(p.feed(surface, user_id="us", page_size=20, item_id="o0"))) & restricted
        assert not set(ids(p.feed(surface, user_id="kid", page_size=20, item_id="o0"))) & restricted
        assert not set(ids(p.feed(surface, user_id="de", page_size=20, item_id="o0"))) & set(
            anywhere
        )
    assert set(ids(p.feed(user_id="de", page_size=50))) & set(german)


def test_a_creator_is_not_recommended_their_own_items(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    # Creators are accounts too (is_creator): their own uploads are no recommendation.
    p = platform(client, api_keys)
    p.user("alice", is_creator=True)
    p.user("bob")
    p.items(30, prefix="o", quality=0.7)
    own = [f"a{i}" for i in range(20)]
    _publish_allowed(p, {c: ["cooking"] for c in own}, creator="alice")
    p.send([{"type": "follow", "user_id": "alice", "creator_id": "alice"}])
    assert set(ids(p.feed(user_id="bob", page_size=50))) & set(own)
    for surface in ("home", "following", "related", "email"):
        served = set(ids(p.feed(surface, user_id="alice", page_size=20, item_id=own[0])))
        assert not served & set(own), surface
    assert ids(p.feed(user_id="alice", page_size=20))
