"""Session state: what a user did in the current session (recent topics, creators
and items, skips, hides, the dwell trend). A gap longer than the session half-life
times four, a new ``session_id`` or ``session_end`` starts afresh."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SessionState"]

_RECENT = 20
_DWELLS = 10


@dataclass(slots=True)
class SessionState:
    """One user's current session (JSON-serializable through `document`)."""

    session_id: str | None = None
    updated_us: int = 0
    topics: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    skips: int = 0
    hides: int = 0
    dwells: list[float] = field(default_factory=list)

    @classmethod
    def from_document(
        cls, session_id: str | None, document: dict[str, Any], updated_us: int
    ) -> SessionState:
        return cls(
            session_id=session_id,
            updated_us=updated_us,
            topics=list(document.get("topics", [])),
            creators=list(document.get("creators", [])),
            items=list(document.get("items", [])),
            skips=int(document.get("skips", 0)),
            hides=int(document.get("hides", 0)),
            dwells=[float(d) for d in document.get("dwells", [])],
        )

    def document(self) -> dict[str, Any]:
        return {
            "topics": self.topics,
            "creators": self.creators,
            "items": self.items,
            "skips": self.skips,
            "hides": self.hides,
            "dwells": self.dwells,
        }

    def clear(self) -> None:
        self.topics, self.creators, self.items, self.dwells = [], [], [], []
        self.skips = self.hides = 0

    def touch(self, session_id: str | None, ts_us: int, half_life_minutes: float) -> None:
        """Note activity at ``ts_us``; start a new session when this is a new one."""
        gap = ts_us - self.updated_us
        expired = self.updated_us and gap > 4 * half_life_minutes * 60 * 1_000_000
        if (session_id is not None and session_id != self.session_id) or expired:
            self.clear()
        if session_id is not None:
            self.session_id = session_id
        self.updated_us = max(self.updated_us, ts_us)

    def saw(self, topics: Sequence[str], creator_id: str, content_id: str) -> None:
        """A positive engagement: its topics, creator and item become recent."""
        self.topics = ([*topics, *self.topics])[:_RECENT]
        self.creators = [creator_id, *self.creators][:_RECENT]
        self.items = [content_id, *[i for i in self.items if i != content_id]][:_RECENT]

    def dwell(self, ratio: float) -> None:
        self.dwells = [ratio, *self.dwells][:_DWELLS]

    def dwell_trend(self) -> float:
        """Recent minus earlier normalized dwell: negative when the session is tiring.

        >>> SessionState(dwells=[0.2, 0.3, 1.0, 1.2]).dwell_trend()
        -0.85
        """
        if len(self.dwells) < 2:
            return 0.0
        half = len(self.dwells) // 2
        recent, earlier = self.dwells[:half], self.dwells[half:]
        return round(sum(recent) / len(recent) - sum(earlier) / len(earlier), 6)
