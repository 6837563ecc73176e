"""Text embeddings at ingest (feed configuration ``text_embeddings: true``).

A ``content.published`` event with text and no ``embedding`` of its own gets one
from the packaged sentence model (all-MiniLM-L6-v2, the ``embeddings`` extra),
stored on the content row in the ingest transaction with the model's version
(``embedding_model``): the catalog files it in that model's embedding space, never
beside a platform's own embeddings or the topic vectors. Items without text keep
their topic embeddings, so similar-item retrieval works for every item.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, update

from safefeed.events.models import ContentPublished
from safefeed.signals.embeddings import SentenceEmbedder
from safefeed.store.tables import Content, table_of

__all__ = ["embed_published_text"]

_content = table_of(Content)


def embed_published_text(
    conn: Connection, events: Sequence[object], embedder: SentenceEmbedder
) -> int:
    """Store a sentence embedding for every published item with text and no
    embedding in ``events``; returns how many were embedded."""
    wanted = {
        e.content_id: e.text
        for e in events
        if isinstance(e, ContentPublished) and e.text and not e.embedding
    }
    if not wanted:
        return 0
    ids = list(wanted)
    vectors = embedder.embed([wanted[i] for i in ids])
    conn.execute(
        update(_content)
        .where(_content.c.content_id == bindparam("cid"))
        .values(embedding=bindparam("vector"), embedding_model=embedder.version),
        [
            {"cid": cid, "vector": [round(float(x), 5) for x in vector]}
            for cid, vector in zip(ids, vectors, strict=True)
        ],
    )
    return len(ids)
