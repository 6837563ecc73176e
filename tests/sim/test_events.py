"""Everything the world does is expressible as v1 events that the package's own parser accepts."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import orjson

from safefeed.events import EVENT_ADAPTER
from safefeed.feed.state.trust import trust_weights
from safefeed.sim.config import SimConfig
from safefeed.sim.runner import run_simulation
from safefeed.sim.seams import PopularityRecommender
from safefeed.sim.sinks import EventSink, JsonlSink, MemorySink


def test_a_run_emits_valid_time_ordered_events(tiny: SimConfig) -> None:
    sink = MemorySink()
    config = tiny.with_overrides(emit_events=True, steps=3, classifier_fpr=0.05)
    run_simulation(PopularityRecommender(), config, seed=1, sink=sink)
    events = sink.events
    types = Counter(e["type"] for e in events)
    for kind in (
        "account.created",
        "content.published",
        "policy.changed",
        "moderation.flag",
        "impression",
        "open",
        "dwell",
        "completion",
        "like",
        "hide",
        "session_end",
    ):
        assert types[kind] > 0, kind
    assert types["account.created"] == config.users + config.bots
    parsed = [EVENT_ADAPTER.validate_python(e) for e in events]
    assert len({e.event_id for e in parsed}) == len(parsed)
    stamps = [e.ts for e in parsed]
    assert stamps == sorted(stamps)


def test_engagement_events_can_be_sampled(tiny: SimConfig) -> None:
    full, sampled = MemorySink(), MemorySink()
    config = tiny.with_overrides(emit_events=True, steps=2)
    run_simulation(PopularityRecommender(), config, seed=1, sink=full)
    run_simulation(
        PopularityRecommender(), config.with_overrides(event_user_sample=0.1), seed=1, sink=sampled
    )
    impressions = [sum(e["type"] == "impression" for e in s.events) for s in (full, sampled)]
    assert 0 < impressions[1] < 0.25 * impressions[0]
    published = [sum(e["type"] == "content.published" for e in s.events) for s in (full, sampled)]
    assert published[0] == published[1]  # catalog events are never sampled


def test_no_events_unless_asked(tiny: SimConfig) -> None:
    sink = MemorySink()
    run_simulation(PopularityRecommender(), tiny, seed=1, sink=sink)
    assert sink.events == []


def test_jsonl_sink_writes_one_event_per_line(tmp_path: Path, tiny: SimConfig) -> None:
    path = tmp_path / "events.jsonl"
    with JsonlSink(path) as sink:
        assert isinstance(sink, EventSink)
        run_simulation(
            PopularityRecommender(), tiny.with_overrides(emit_events=True, steps=1), 0, sink=sink
        )
    lines = path.read_bytes().splitlines()
    assert len(lines) > 100
    EVENT_ADAPTER.validate_python(orjson.loads(lines[-1]))


def test_items_go_live_allowed_and_sessions_take_human_time(tiny: SimConfig) -> None:
    sink = MemorySink()
    run_simulation(
        PopularityRecommender(), tiny.with_overrides(emit_events=True, steps=1), 2, sink=sink
    )
    events = [EVENT_ADAPTER.validate_python(e) for e in sink.events]
    published = {e.content_id for e in events if e.type == "content.published"}
    allowed = {
        e.subject_id for e in events if e.type == "policy.changed" and e.policy_state == "allowed"
    }
    assert published <= allowed  # no item is live without a policy state
    by_user: dict[str, list[float]] = {}
    for e in events:
        if e.type == "impression" and int(e.user_id[1:]) < tiny.users:  # people, not bots
            by_user.setdefault(e.user_id, []).append(e.ts.timestamp())
    gaps = [b - a for times in by_user.values() for a, b in pairwise(times)]
    # A page is scrolled and watched, not consumed in a scripted millisecond burst.
    assert min(gaps) >= 1.5


def test_the_trust_model_tells_watch_farms_from_people(tiny: SimConfig) -> None:
    sink = MemorySink()
    config = tiny.with_overrides(emit_events=True, steps=1)
    run_simulation(PopularityRecommender(), config, 3, sink=sink)
    times: dict[str, list[int]] = {}
    for e in map(EVENT_ADAPTER.validate_python, sink.events):
        user = getattr(e, "user_id", None)
        if user is not None and e.type != "account.created":
            times.setdefault(user, []).append(int(e.ts.timestamp() * 1_000_000))
    weights = trust_weights(times, dict.fromkeys(times, 0), 10**16)
    bots = {u: w for u, w in weights.items() if int(u[1:]) >= config.users}
    people = {u: w for u, w in weights.items() if int(u[1:]) < config.users}
    assert bots
    assert people
    assert set(bots.values()) == {0.05}  # looped views in a burst look scripted
    assert set(people.values()) == {1.0}


def test_prescreen_scores_go_out_as_classifier_flags(tiny: SimConfig) -> None:
    sink = MemorySink()
    config = tiny.with_overrides(emit_events=True, steps=1, edgy_creator_share=0.3)
    run_simulation(PopularityRecommender(), config, 2, sink=sink)
    events = [EVENT_ADAPTER.validate_python(e) for e in sink.events]
    flags = [e for e in events if e.type == "moderation.flag" and e.model_version]
    assert flags
    assert all(e.source == "classifier" and e.score is not None for e in flags)
    assert min(e.score for e in flags if e.score is not None) >= config.prescreen_floor
    assert {e.severity for e in flags} >= {"low", "high"}
