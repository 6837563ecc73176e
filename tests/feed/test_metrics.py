"""Window metrics from the served log, and the live Prometheus counters."""

from __future__ import annotations

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
