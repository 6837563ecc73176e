"""Property: whatever the catalog and the policy state, no response ever contains an
item that is ineligible for its surface and user (checked independently, from the
store's catalog through the gate, with the policy state as it is after serving)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safefeed.catalog.candidates import load_candidates
from safefeed.clock import ManualClock
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.state.controls import UserControls, set_controls
from safefeed.ingest.pipeline import IngestContext
from safefeed.policy.gate import RequestContext, evaluate
from safefeed.policy.rules import Action
from safefeed.policy.store import StateChange
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.database import Database
from safefeed.types import AGE_BANDS, POLICY_STATES
from tests.support.policy import NOW

_examples = count()
TOPICS = ("news", "pets", "music", "cooking")
SWITCHES = ("trending", "exploration", "personalized_ranking")


@pytest.fixture
def feed_runtime(sqlite_database: Database, tmp_path: Path) -> Iterator[Runtime]:
    settings_ = Settings(
        data_dir=tmp_path, database_url=sqlite_database.url, text_classifier="keyword"
    )
    runtime = Runtime(settings_, clock=ManualClock(NOW))
    yield runtime
    runtime.close()


def _iso(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


item = st.fixed_dictionaries(
    {
        # Mostly allowed, so that pages have items; every other state (and unknown) too.
        "state": st.sampled_from(("allowed",) * 8 + (*POLICY_STATES, None)),
        "creator": st.integers(0, 5),
        "topic": st.sampled_from(TOPICS),
        "quality": st.floats(0.2, 1),
        "expires": st.sampled_from((None, -1.0, 0.5, 48.0)),
        "region": st.sampled_from((None, "US", "DE")),
        "opens": st.integers(0, 4),
        "reports": st.integers(0, 2),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    items=st.lists(item, min_size=1, max_size=30),
    creator_states=st.dictionaries(st.integers(0, 5), st.sampled_from(POLICY_STATES), max_size=3),
    denied_items=st.sets(st.integers(0, 29), max_size=4),
    denied_topic=st.sampled_from((None, *TOPICS)),
    switches=st.sets(st.sampled_from(SWITCHES)),
    switched_creator=st.sampled_from((None, 0, 1)),
    surface=st.sampled_from(("home", "following", "related", "push", "email")),
    age_band=st.sampled_from(AGE_BANDS),
    region=st.sampled_from((None, "US", "DE")),
    muted=st.sets(st.integers(0, 5), max_size=2),
    follows=st.sets(st.integers(0, 5), max_size=3),
)
def test_no_response_contains_an_ineligible_item(
    feed_runtime: Runtime,
    items: list[dict[str, Any]],
    creator_states: dict[int, str],
    denied_items: set[int],
    denied_topic: str | None,
    switches: set[str],
    switched_creator: int | None,
    surface: str,
    age_band: str,
    region: str | None,
    muted: set[int],
    follows: set[int],
) -> None:
    runtime = feed_runtime
    x = next(_examples)
    user = f"u{x}"
    content = [f"x{x}c{i}" for i in range(len(items))]
    creator = [f"x{x}cr{i}" for i in range(6)]
    events: list[dict[str, Any]] = [
        {"type": "account.created", "user_id": user, "age_band": age_band, "ts": _iso(-100)}
    ]
    if region:
        events[0]["region"] = region
    events += [
        {"type": "account.created", "user_id": f"{user}f", "age_band": "25_plus", "ts": _iso(-100)}
    ]
    for i, spec in enumerate(items):
        published: dict[str, Any] = {
            "type": "content.published",
            "content_id": content[i],
            "creator_id": creator[spec["creator"]],
            "format": "video",
            "topics": [spec["topic"]],
            "quality_score": spec["quality"],
            "ts": _iso(-3),
        }
        if spec["expires"] is not None:
            published["expires_at"] = _iso(spec["expires"])
        if spec["region"]:
            published["region"] = spec["region"]
        events.append(published)
        for k in range(spec["opens"]):
            events.append(
                {
                    "type": "open",
                    "user_id": f"{user}f",
                    "content_id": content[i],
                    "ts": _iso(-2 + k / 100),
                }
            )
        for k in range(spec["reports"]):
            events.append(
                {
                    "type": "report",
                    "user_id": f"{user}f",
                    "content_id": content[i],
                    "reason": "spam",
                    "ts": _iso(-1.5 + k / 100),
                }
            )
    events += [
        {"type": "follow", "user_id": user, "creator_id": creator[c], "ts": _iso(-50)}
        for c in follows
    ]
    events += [
        {"type": "mute_creator", "user_id": user, "creator_id": creator[c], "ts": _iso(-1)}
        for c in muted
    ]
    for n, event in enumerate(events):
        event["event_id"] = f"x{x}e{n}"
    runtime.ingestor.ingest_records(events, IngestContext("test"))
    turned_on: list[tuple[str, str]] = []
    with runtime.database.write() as conn:
        changes = [
            StateChange(("content", content[i]), spec["state"], "t")
            for i, spec in enumerate(items)
            if spec["state"] is not None
        ]
        changes += [StateChange(("creator", creator[c]), s, "t") for c, s in creator_states.items()]  # type: ignore[arg-type]
        runtime.policy.set_states(conn, changes, actor="t", reason="t")
        for i in denied_items:
            if i < len(items):
                runtime.policy.set_denylisted(
                    conn, "content", content[i], active=True, actor="t", reason="t"
                )
        if denied_topic:
            runtime.policy.set_denylisted(
                conn, "topic", denied_topic, active=True, actor="t", reason="t"
            )
        for scope in switches:
            turned_on.append((scope, "*"))
        if switched_creator is not None:
            turned_on.append(("creator", creator[switched_creator]))
        for scope, target in turned_on:
            runtime.policy.set_kill_switch(conn, scope, target, active=True, actor="t", reason="t")
        set_controls(conn, user, UserControls(push_opt_in=True), 0)
    runtime.policy_cache.invalidate()
    try:
        request = FeedRequest(
            user_id=user,
            surface=surface,  # type: ignore[arg-type]
            item_id=content[0] if surface == "related" else None,
        )
        response = runtime.feed.serve([request])[0]
        snapshot = runtime.policy_cache.snapshot()
        served = [i.content_id for i in response.items]
        with runtime.database.read() as conn:
            candidates = load_candidates(conn, served)
        context = RequestContext(
            surface=surface,  # type: ignore[arg-type]
            now=runtime.clock.now(),
            age_band=age_band,  # type: ignore[arg-type]
            region=region,
            muted_creators=frozenset(creator[c] for c in muted),
        )
        decisions = evaluate([candidates[c] for c in served], context, snapshot)
        for item_, decision in zip(response.items, decisions, strict=True):
            assert decision.eligible, (item_.content_id, decision.reasons)
            if surface in ("push", "email"):
                assert decision.action < Action.LIMIT, (item_.content_id, decision.action)
            assert item_.creator_id not in context.muted_creators
            if "trending" in switches:
                assert "trending" not in item_.sources
            if "exploration" in switches:
                assert "exploration" not in item_.sources
        if "personalized_ranking" in switches and response.mode != "empty":
            assert response.mode in ("non_personalized", "fallback")
        assert len(served) == len(set(served))
    finally:
        with runtime.database.write() as conn:
            for scope, target in turned_on:
                runtime.policy.set_kill_switch(
                    conn, scope, target, active=False, actor="t", reason="t"
                )
            if denied_topic:
                runtime.policy.set_denylisted(
                    conn, "topic", denied_topic, active=False, actor="t", reason="t"
                )
        runtime.policy_cache.invalidate()
