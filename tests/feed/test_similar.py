"""Similar-to-recent on a catalog where only some items carry the platform's own
embedding: each anchor's neighbours are found in the embedding space it lives in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from safefeed.clock import ManualClock
from safefeed.feed.config import FeedConfig, default_feed_config, parse_feed_config
from safefeed.feed.contracts import FeedRequest, FeedResponse
from safefeed.ingest.pipeline import IngestContext
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.database import Database

STAMP = "2026-05-01T10:00:00Z"
TOPICS = ("cooking", "pets", "music", "science", "travel", "garden")
#: How many of each kind the catalog holds.
NEIGHBOURS, FAR, DERIVED = 8, 40, 240


def _only_similar(page: int) -> FeedConfig:
    """The shipped configuration with every surface fed by the similar source alone,
    ``page`` items a page: the page is what the source proposed first."""
    document = default_feed_config().model_dump(mode="json")
    for surface in ("home", "related"):
        document["surfaces"][surface].update(page_size=page, quotas={"similar": page})
    return parse_feed_config(document)


@pytest.fixture
def platform_runtime(database: Database, clock: ManualClock, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path, database_url=database.url, text_classifier="keyword", reproducible=True
    )
    runtime = Runtime(settings, clock=clock, feed_config=_only_similar(8))
    yield runtime
    runtime.close()


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _catalog() -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """A platform's catalog where a sixth of the items carry the platform's 384-d
    embedding (the anchor ``p0``, its true neighbours at cosine ~0.5 — what a typical
    sentence model gives related texts — and items far from it); the others carry none
    and get the engine's topic vectors. Returns the events and the ids by kind."""
    rng = np.random.default_rng(11)
    anchor = _unit(rng.standard_normal(384))
    near = _unit(anchor + 1.7 * _unit(rng.standard_normal((NEIGHBOURS, 384))))
    far = _unit(rng.standard_normal((FAR, 384)))
    vectors = {"p0": anchor, **{f"p{i + 1}": v for i, v in enumerate([*near, *far])}}
    derived = [f"d{i}" for i in range(DERIVED)]
    kinds: dict[str, list[str]] = {
        "neighbours": [f"p{i + 1}" for i in range(NEIGHBOURS)],
        "cooking": [],
    }
    events: list[dict[str, Any]] = [_account("u1")]
    for n, content_id in enumerate([*vectors, *derived]):
        topic = TOPICS[n % len(TOPICS)]
        if content_id in derived and topic == "cooking":
            kinds["cooking"].append(content_id)
        published: dict[str, Any] = {
            "event_id": f"pub-{content_id}", "ts": STAMP, "type": "content.published",
            "content_id": content_id, "creator_id": f"cr{n}", "format": "post",
            "topics": [topic], "quality_score": 0.8,
        }  # fmt: skip
        if content_id in vectors:
            published["embedding"] = [round(float(x), 6) for x in vectors[content_id]]
        allowed = {
            "event_id": f"ok-{content_id}", "ts": STAMP, "type": "policy.changed",
            "subject_type": "content", "subject_id": content_id, "policy_state": "allowed",
            "policy_version": "test",
        }  # fmt: skip
        events += [published, allowed]
    return events, kinds


def _account(user_id: str) -> dict[str, Any]:
    return {"event_id": f"acc-{user_id}", "ts": STAMP, "type": "account.created",
            "user_id": user_id, "age_band": "25_plus"}  # fmt: skip


def _ingest(runtime: Runtime, events: list[dict[str, Any]]) -> None:
    accepted = runtime.ingestor.ingest_records(events, IngestContext(actor="t"))
    assert accepted.rejected == []


@pytest.fixture
def kinds(platform_runtime: Runtime) -> dict[str, list[str]]:
    """The catalog of `_catalog`, ingested; its ids by kind."""
    events, ids = _catalog()
    _ingest(platform_runtime, events)
    return ids


def _similar(response: FeedResponse) -> list[str]:
    return [i.content_id for i in response.items if "similar" in i.sources]


def test_a_related_page_of_a_platform_embedded_item_holds_its_true_neighbours(
    platform_runtime: Runtime, kinds: dict[str, list[str]]
) -> None:
    [page] = platform_runtime.feed.serve([FeedRequest("u1", "related", item_id="p0")])

    # Neither an item without an embedding (a topic vector: no cosine with p0 means
    # anything) nor a far item of the platform's own space is nearer to p0 than its
    # neighbours: its 8 nearest are the 8 of them.
    assert sorted(_similar(page)) == sorted(kinds["neighbours"])


def test_similar_to_recent_follows_every_space_of_the_session(
    platform_runtime: Runtime, kinds: dict[str, list[str]]
) -> None:
    cooking = kinds["cooking"]
    # The session: an item with the platform's embedding, then two cooking items without.
    _ingest(platform_runtime, [
        {"event_id": f"open-{c}", "ts": STAMP, "type": "open", "user_id": "u1",
         "content_id": c, "session_id": "s1"}
        for c in ["p0", *cooking[:2]]
    ])  # fmt: skip

    [page] = platform_runtime.feed.serve([FeedRequest("u1", "home")])

    served = set(_similar(page))
    # Every item is near an anchor, in the anchor's own space ...
    assert served <= set(kinds["neighbours"]) | set(cooking[2:])
    # ... and the platform-embedded anchor is not drowned by the two others: its
    # neighbours get a share of the page in proportion to its share of the session.
    assert len(served & set(kinds["neighbours"])) >= 2
    # The trace says which space each group of anchors and each item came from.
    assert page.trace["similar_anchors"] == {"topics/32": 2, "platform/384": 1}
    assert {
        i["content_id"]: i["embedding_space"]
        for i in page.trace["items"]
        if "similar" in i["sources"]
    } == {c: "platform/384" if c.startswith("p") else "topics/32" for c in served}
