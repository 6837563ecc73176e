"""The seam between the simulated world and a ranker: batch requests in, item ids out.

The world never ranks. Each step it sends one `SimRequest` per session to a
`Recommender` and shows the user the ids that come back; afterwards it tells the
recommender what happened (`observe`) — new content, labels, engagement — which is
exactly what the v1 event log would tell the real engine. The production binding
wraps the feed engine's batch entry point; `safefeed.sim.seams` holds trivial
in-memory recommenders for testing the simulator's own machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from safefeed.sim.feedback import StepFeedback

__all__ = ["Recommender", "ReviewQueue", "SimRequest", "SimSurface"]

SimSurface = Literal["home", "related"]


@dataclass(frozen=True, slots=True)
class SimRequest:
    """One feed request of a simulated session.

    ``anchor_id`` is the item the user just watched, for the ``related`` ("watch
    next") surface; ``None`` on ``home``.
    """

    user_id: str
    session_id: str
    surface: SimSurface
    page_size: int
    step: int
    anchor_id: str | None = None


@runtime_checkable
class Recommender(Protocol):
    """What the simulator needs from a ranker.

    ``recommend`` answers requests in order, one list of content ids per request
    (at most ``page_size`` long; shorter or empty is allowed and counts as fewer
    impressions). Ids must be ones the world published. ``observe`` receives, once
    per step and once before the first, everything the world did since the last
    call; a recommender that learns from events (the real engine) updates there.
    """

    @property
    def name(self) -> str:
        """The named ranking configuration, e.g. ``engagement`` or ``safety``."""
        ...

    def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
        """One page of content ids per request, best first."""
        ...

    def observe(self, feedback: StepFeedback) -> None:
        """Learn from what the world did (catalog, labels, engagement)."""
        ...


@runtime_checkable
class ReviewQueue(Protocol):
    """A recommender whose platform sends items to human review of its own accord.

    The real engine does (review by reach, `safefeed.feed.state.reach_review`); the test seams do
    not. After each day's ``observe`` the world's moderators take up to ``limit`` ids
    from it, in its order, and their decisions come back through ``observe``.
    """

    def due_for_review(self, limit: int) -> list[str]:
        """Content ids due for human review, highest priority first."""
        ...
