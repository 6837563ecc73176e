"""The array memo of the gate's item-level verdicts: invalidated by policy changes,
and never the last word (final validation runs the whole gate)."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from safefeed.feed.contracts import FeedRequest
from safefeed.policy.rules import Action
from safefeed.runtime import Runtime
from tests.feed.platform import Platform, ids
from tests.support.runtime import auth


def _action(runtime: Runtime, content_id: str) -> int:
    snapshot = runtime.policy_cache.snapshot()
    row = np.array([runtime.feed.catalog.index_of[content_id]], np.int64)
    known = runtime.feed.verdicts.lookup(row, "home", snapshot, runtime.clock.now())
    return int(known.actions[0])


def test_a_policy_change_after_verdicts_are_cached_applies_to_the_next_request(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.user("u2")
    p.user("u3")
    items = p.items(40)
    victim = ids(p.feed(user_id="u1", page_size=20))[0]
    assert _action(runtime, victim) == Action.ALLOW
    before = runtime.policy_cache.snapshot().revision
    p.send([Platform.state(victim, "blocked")])
    page = p.feed(user_id="u2", page_size=40)
    assert page["items"]
    assert victim not in ids(page)
    assert _action(runtime, victim) == Action.DROP
    assert runtime.policy_cache.changed_since(before) == {("content", victim)}
    # A creator's state reaches every item of theirs, cached or not.
    creator = next(i["creator_id"] for i in page["items"])
    p.send([Platform.state(creator, "blocked", subject_type="creator")])
    page = p.feed(user_id="u3", page_size=40)
    assert page["items"]
    assert all(i["creator_id"] != creator for i in page["items"])
    by_creator = [c for c in items if runtime.feed.catalog.candidate(
        runtime.feed.catalog.index_of[c]).creator_id == creator]  # fmt: skip
    assert by_creator
    assert all(_action(runtime, c) == Action.DROP for c in by_creator)


def test_an_account_banned_as_a_user_leaves_feeds_though_its_items_were_cached(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = Platform(client, api_keys["service"])
    for user in ("u1", "u2"):
        p.user(user)
    items = p.items(40)
    page = p.feed(user_id="u1", page_size=20)
    creator = page["items"][0]["creator_id"]
    catalog = runtime.feed.catalog
    own = [c for c in items if catalog.candidate(catalog.index_of[c]).creator_id == creator]
    assert own
    assert all(_action(runtime, c) == Action.ALLOW for c in own)  # cached as allowed
    before = runtime.policy_cache.snapshot().revision
    # The platform bans the account (subject "user"), not the creator record.
    p.send([Platform.state(creator, "blocked", subject_type="user")])
    page = p.feed(user_id="u2", page_size=40)
    assert page["items"]
    assert all(i["creator_id"] != creator for i in page["items"])
    assert ("creator", creator) in (runtime.policy_cache.changed_since(before) or set())
    assert all(_action(runtime, c) == Action.DROP for c in own)


def test_a_denylisted_item_in_a_stale_array_is_caught_by_final_validation(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.user("u2")
    p.items(40)
    victim = ids(p.feed(user_id="u1", page_size=20))[0]
    response = client.post(
        "/v1/denylist",
        json={"kind": "content", "value": victim, "reason": "incident"},
        headers=auth(api_keys["policy_admin"]),
    )
    assert response.status_code in (200, 201), response.text
    assert _action(runtime, victim) == Action.DROP  # the memo caught up...
    # ...and is then made stale, as a missed invalidation would leave it.
    runtime.feed.verdicts._actions["home"][runtime.feed.catalog.index_of[victim]] = Action.ALLOW
    served = runtime.feed.serve([FeedRequest(user_id="u2", page_size=40)])[0]
    assert served.items
    assert victim not in [i.content_id for i in served.items]
    rejected = [v for v in served.trace["final_validation"] if v["content_id"] == victim]
    assert rejected
    assert not rejected[0]["ok"]
    assert "denylisted" in rejected[0]["reason"]
