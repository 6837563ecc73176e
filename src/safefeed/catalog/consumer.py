"""Keeps the catalog (accounts, content, follows) current from the event log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, tuple_, update

from safefeed.clock import to_us
from safefeed.events.models import (
    AccountCreated,
    ContentDeleted,
    ContentPublished,
    Follow,
    Unfollow,
)
from safefeed.events.parsing import ParsedEvent
from safefeed.ingest.pipeline import IngestContext
from safefeed.store.tables import Account, Content, FollowEdge, table_of
from safefeed.store.upsert import upsert

__all__ = ["CatalogConsumer"]

_accounts = table_of(Account)
_content = table_of(Content)
_follows = table_of(FollowEdge)


class CatalogConsumer:
    """Applies account, content and follow events to the catalog tables."""

    name = "catalog"

    def consume(
        self, conn: Connection, events: Sequence[ParsedEvent], context: IngestContext
    ) -> None:
        accounts: dict[str, dict[str, Any]] = {}
        content: dict[str, dict[str, Any]] = {}
        deleted: set[str] = set()
        # Follow edges in event order: the last follow/unfollow of a pair wins.
        edges: dict[tuple[str, str], int | None] = {}
        for parsed in events:
            event = parsed.event
            if isinstance(event, AccountCreated):
                accounts[event.user_id] = {
                    "user_id": event.user_id,
                    "age_band": event.age_band,
                    "region": event.region,
                    "timezone": event.timezone,
                    "language": event.language,
                    "is_creator": bool(event.is_creator),
                    "created_us": to_us(event.ts),
                }
            elif isinstance(event, ContentPublished):
                deleted.discard(event.content_id)
                content[event.content_id] = {
                    "content_id": event.content_id,
                    "creator_id": event.creator_id,
                    "format": event.format,
                    "topics": list(event.topics),
                    "hashtags": list(event.hashtags or []),
                    "language": event.language,
                    "region": event.region,
                    "duration_s": event.duration_s,
                    "quality_score": event.quality_score,
                    "text": event.text,
                    "embedding": event.embedding,
                    "embedding_model": None,
                    "expires_us": to_us(event.expires_at) if event.expires_at else None,
                    "published_us": to_us(event.ts),
                    "deleted": False,
                }
            elif isinstance(event, ContentDeleted):
                if event.content_id in content:  # published earlier in this same batch
                    content[event.content_id]["deleted"] = True
                else:
                    deleted.add(event.content_id)
            elif isinstance(event, Follow):
                edges[(event.user_id, event.creator_id)] = to_us(event.ts)
            elif isinstance(event, Unfollow):
                edges[(event.user_id, event.creator_id)] = None
        upsert(conn, _accounts, list(accounts.values()), keys=["user_id"])
        upsert(conn, _content, list(content.values()), keys=["content_id"])
        if deleted:
            conn.execute(
                update(_content)
                .where(_content.c.content_id.in_(sorted(deleted)))
                .values(deleted=True)
            )
        added = [
            {"user_id": u, "creator_id": c, "created_us": at}
            for (u, c), at in edges.items()
            if at is not None
        ]
        upsert(conn, _follows, added, keys=["user_id", "creator_id"], update=[])
        removed = [pair for pair, at in edges.items() if at is None]
        if removed:
            conn.execute(
                delete(_follows).where(
                    tuple_(_follows.c.user_id, _follows.c.creator_id).in_(removed)
                )
            )
