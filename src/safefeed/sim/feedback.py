"""What the world tells a recommender after each step: catalog, labels, engagement.

The same facts are rendered as v1 events by `safefeed.sim.events`; this typed,
columnar form exists so a 100-million-impression run does not have to build a
Python dict per impression. Ids follow one convention (`user_id`, `item_id`,
`creator_id`): an entity's id carries its ordinal in creation order, so array
columns index it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from safefeed.types import PolicyState

__all__ = [
    "Interactions",
    "LabelChange",
    "LabelSource",
    "PublishedItem",
    "StepFeedback",
    "creator_id",
    "item_id",
    "user_id",
]

LabelSource = Literal["classifier", "moderator"]


def user_id(ordinal: int) -> str:
    """The account id of the ``ordinal``-th account (users first, then bots).

    >>> user_id(7)
    'u7'
    """
    return f"u{ordinal}"


def item_id(ordinal: int) -> str:
    """The content id of the ``ordinal``-th published item.

    >>> item_id(0)
    'i0'
    """
    return f"i{ordinal}"


def creator_id(ordinal: int) -> str:
    """The creator id of the ``ordinal``-th creator.

    >>> creator_id(3)
    'cr3'
    """
    return f"cr{ordinal}"


@dataclass(frozen=True, slots=True)
class PublishedItem:
    """A new item as the platform sees it — no latent extremeness, which only the world knows."""

    content_id: str
    creator_id: str
    topic: str
    quality: float
    duration_s: float
    step: int
    #: The pre-screen classifier's score, when it reached the flag floor (else None).
    safety_score: float | None = None


@dataclass(frozen=True, slots=True)
class LabelChange:
    """A policy state the classifier or a moderator put on an item."""

    content_id: str
    policy_state: PolicyState
    source: LabelSource
    score: float
    step: int


def _ints() -> NDArray[np.int64]:
    return np.zeros(0, dtype=np.int64)


def _flags() -> NDArray[np.bool_]:
    return np.zeros(0, dtype=np.bool_)


def _floats() -> NDArray[np.float64]:
    return np.zeros(0, dtype=np.float64)


@dataclass(frozen=True)
class Interactions:
    """One row per impression served (and per bot engagement), as parallel columns.

    ``user`` and ``item`` are ordinals (see `user_id`, `item_id`); ``position`` is
    the 0-based slot; ``session`` numbers the step's sessions; ``related`` marks the
    watch-next surface; ``watch_s`` is seconds watched (0 when not opened).
    """

    user: NDArray[np.int64] = field(default_factory=_ints)
    item: NDArray[np.int64] = field(default_factory=_ints)
    session: NDArray[np.int64] = field(default_factory=_ints)
    position: NDArray[np.int64] = field(default_factory=_ints)
    related: NDArray[np.bool_] = field(default_factory=_flags)
    opened: NDArray[np.bool_] = field(default_factory=_flags)
    watch_s: NDArray[np.float64] = field(default_factory=_floats)
    completion: NDArray[np.float64] = field(default_factory=_floats)
    liked: NDArray[np.bool_] = field(default_factory=_flags)
    hidden: NDArray[np.bool_] = field(default_factory=_flags)
    reported: NDArray[np.bool_] = field(default_factory=_flags)

    def __len__(self) -> int:
        return int(self.user.shape[0])


@dataclass(frozen=True)
class StepFeedback:
    """Everything the world did since the previous `observe` call.

    ``step`` is -1 for the initial catalog and accounts, delivered before step 0.
    ``published`` and ``labels`` take effect before the next step's requests.
    ``reviews`` are the night's decisions on the platform's own review queue; they come
    in a feedback of their own, after the platform has seen the day (see `World.review`).
    """

    step: int
    accounts: tuple[str, ...] = ()
    published: tuple[PublishedItem, ...] = ()
    labels: tuple[LabelChange, ...] = ()
    interactions: Interactions = field(default_factory=Interactions)
    left: tuple[str, ...] = ()
    reviews: tuple[LabelChange, ...] = ()
