"""Text embeddings at ingest, with the packaged sentence model (feed flag ``text_embeddings``)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from safefeed.clock import ManualClock
from safefeed.feed.state.consumer import FeedStateConsumer
from safefeed.ingest.pipeline import IngestContext
from safefeed.runtime import Runtime
from safefeed.signals.embeddings import MINILM_VERSION
from safefeed.store.tables import Content, table_of

TEXTS = {
    "bread1": "How to bake a sourdough bread at home with a crusty loaf.",
    "bread2": "Baking sourdough: my crusty bread recipe for the weekend.",
    "car": "Changing the engine oil of your car in ten minutes.",
}


@pytest.mark.slow
def test_items_with_text_get_sentence_embeddings_and_others_keep_topics(
    runtime: Runtime, clock: ManualClock
) -> None:
    consumer = next(c for c in runtime.ingestor.consumers if isinstance(c, FeedStateConsumer))
    consumer.config = consumer.config.model_copy(update={"text_embeddings": True})
    stamp = clock.now().isoformat().replace("+00:00", "Z")
    published = [
        {"content_id": cid, "format": "post", "text": text} for cid, text in TEXTS.items()
    ] + [{"content_id": "video", "format": "video"}]
    events = [
        {"event_id": f"p{i}", "ts": stamp, "type": "content.published", "creator_id": "cr1",
         "topics": ["misc"], **fields}  # one topic for all: only the text tells them apart
        for i, fields in enumerate(published)
    ]  # fmt: skip
    assert runtime.ingestor.ingest_records(events, IngestContext(actor="t")).rejected == []
    content = table_of(Content).c
    with runtime.database.read() as conn:
        rows = conn.execute(select(content["content_id", "embedding", "embedding_model"])).all()
    stored = {cid: vector for cid, vector, _ in rows}
    assert all(len(stored[cid]) == 384 for cid in TEXTS)
    assert stored["video"] is None
    # Filed under the model that made them: no platform sent these.
    assert {cid: model for cid, _, model in rows} == {
        **dict.fromkeys(TEXTS, MINILM_VERSION),
        "video": None,
    }
    view = runtime.feed.refresh(clock.now())
    row = {cid: view.catalog.index_of[cid] for cid in stored}
    # The model's vectors in the model's own space, apart from the topic vectors.
    spaces = {cid: str(view.catalog.spaces[view.col("space")[row[cid]]]) for cid in stored}
    assert spaces == {**dict.fromkeys(TEXTS, f"{MINILM_VERSION}/384"), "video": "topics/32"}
    code = int(view.col("space")[row["bread1"]])
    vectors = {cid: view.space_vectors(code, np.array([row[cid]]))[0] for cid in TEXTS}
    assert vectors["bread1"] @ vectors["bread2"] > vectors["bread1"] @ vectors["car"] + 0.2
    nearest = view.catalog.indexes[code].search(vectors["bread1"], 3).tolist()
    assert nearest == [row["bread1"], row["bread2"], row["car"]]
