"""Window metrics from the served log, and the live Prometheus counters."""

from __future__ import annotations

from collections import Counter

from prometheus_client import CollectorRegistry

from safefeed.clock import ManualClock, to_us
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.serving.metrics import FeedPrometheus, summarize
from safefeed.runtime import Runtime
from tests.feed.training.test_dataset import load_demo


def test_repeat_topic_and_creator_rates_count_consecutive_pairs(
    runtime: Runtime, clock: ManualClock
) -> None:
    load_demo(runtime, clock, items=300)
    since = to_us(clock.now())
    pages = runtime.feed.serve([FeedRequest(user_id=u) for u in ("u00001", "u00002")])
    catalog = runtime.feed.catalog
    pairs = same_topic = same_creator = 0
    for page in pages:
        for a, b in zip(page.items, page.items[1:], strict=False):
            pairs += 1
            topics_a = set(catalog.candidate(catalog.index_of[a.content_id]).topics)
            topics_b = set(catalog.candidate(catalog.index_of[b.content_id]).topics)
            same_topic += bool(topics_a & topics_b)
            same_creator += a.creator_id == b.creator_id
    assert pairs > 10
    with runtime.database.read() as conn:
        summary = summarize(conn, since, to_us(clock.now()) + 1)
    assert summary["repeat_topic_rate"] == same_topic / pairs
    assert summary["repeat_creator_rate"] == same_creator / pairs


def test_prometheus_counts_responses_by_ranker_and_model(
    runtime: Runtime, clock: ManualClock
) -> None:
    load_demo(runtime, clock)
    registry = CollectorRegistry()
    counters = FeedPrometheus(registry)
    for response in runtime.feed.serve([FeedRequest(user_id="u00001", ranker="learned")]):
        counters.observe(response)
    labels = {"ranker": "learned", "model": "smoothed-estimates-1"}
    assert registry.get_sample_value("safefeed_feed_ranker_model_total", labels) == 1.0


def test_prometheus_counts_every_served_item_by_source_and_limited_action(
    runtime: Runtime, clock: ManualClock
) -> None:
    load_demo(runtime, clock, items=300)
    registry = CollectorRegistry()
    counters = FeedPrometheus(registry)
    pages = runtime.feed.serve([FeedRequest(user_id=u) for u in ("u00001", "u00002", "u00001")])
    for page in pages:
        counters.observe(page)
    items = [item for page in pages for item in page.items]
    by_source = Counter(item.source for item in items)
    assert len(by_source) > 1
    for source, count in by_source.items():
        labels = {"surface": "home", "source": source}
        assert registry.get_sample_value("safefeed_feed_items_served_total", labels) == count
    limited = Counter(item.action for item in items if item.action != "allow")
    for action, count in limited.items():
        labels = {"surface": "home", "action": action}
        value = registry.get_sample_value("safefeed_feed_limited_items_served_total", labels)
        assert value == count
    assert (
        registry.get_sample_value(
            "safefeed_feed_limited_items_served_total", {"surface": "home", "action": "allow"}
        )
        is None
    )
