"""Reading catalog items as eligibility-gate candidates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from safefeed.clock import from_us
from safefeed.policy.gate import Candidate
from safefeed.store.tables import Content, table_of

__all__ = ["load_candidates"]

_content = table_of(Content)


def load_candidates(conn: Connection, content_ids: Sequence[str]) -> dict[str, Candidate]:
    """Gate candidates for the catalog items among ``content_ids`` (unknown ids are absent)."""
    found: dict[str, Candidate] = {}
    ids = list(dict.fromkeys(content_ids))
    for start in range(0, len(ids), 900):
        rows = conn.execute(
            select(
                _content.c.content_id,
                _content.c.creator_id,
                _content.c.topics,
                _content.c.hashtags,
                _content.c.region,
                _content.c.expires_us,
            ).where(_content.c.content_id.in_(ids[start : start + 900]))
        )
        for row in rows:
            found[row.content_id] = Candidate(
                content_id=row.content_id,
                creator_id=row.creator_id,
                topics=tuple(row.topics or ()),
                hashtags=tuple(row.hashtags or ()),
                region=row.region,
                expires_at=None if row.expires_us is None else from_us(row.expires_us),
            )
    return found
