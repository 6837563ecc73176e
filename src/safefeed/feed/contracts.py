"""The feed's contract with its callers: a batch of `FeedRequest` in, one
`FeedResponse` per request out (the server sends a batch of one, the email digest
and the simulator thousands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from safefeed.feed.config import FeedSurface

__all__ = ["FeedItem", "FeedMode", "FeedRequest", "FeedResponse"]

#: How a response was built: from the profile, without it (user choice or a kill
#: switch), or from the vetted fallback only (stale state), or not at all.
FeedMode = Literal["personalized", "non_personalized", "fallback", "empty"]


@dataclass(frozen=True, slots=True)
class FeedRequest:
    """One user's request for one page of one surface."""

    user_id: str
    surface: FeedSurface = "home"
    page_size: int | None = None
    cursor: str | None = None
    #: The item a ``related`` ("watch next") page is related to.
    item_id: str | None = None
    #: A named ranking configuration (``safety`` unless given).
    ranker: str | None = None
    #: Ask for a page that uses no profile, whatever the user's stored setting.
    non_personalized: bool = False
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One served item with its provenance and the parts of its score."""

    content_id: str
    creator_id: str
    position: int
    source: str
    sources: tuple[str, ...]
    score: float
    components: dict[str, float]
    action: str
    reasons: tuple[str, ...]
    #: The model inputs and task estimates this item was scored with (the served log
    #: keeps them; `safefeed train ranker` learns from them).
    features: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "content_id": self.content_id,
            "creator_id": self.creator_id,
            "position": self.position,
            "source": self.source,
            "sources": list(self.sources),
            "score": round(self.score, 6),
            "components": {k: round(v, 6) for k, v in self.components.items()},
            "action": self.action,
            "why": list(self.reasons),
        }


@dataclass(slots=True)
class FeedResponse:
    """One page: the items, how it was built, the versions in force, the next cursor."""

    request_id: str
    user_id: str
    surface: FeedSurface
    items: list[FeedItem]
    mode: FeedMode
    page: int
    next_cursor: str | None
    versions: dict[str, str]
    explanation: str
    trace: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "user_id": self.user_id,
            "surface": self.surface,
            "mode": self.mode,
            "page": self.page,
            "items": [item.as_dict() for item in self.items],
            "next_cursor": self.next_cursor,
            "versions": dict(self.versions),
            "explanation": self.explanation,
        }
