"""The model inputs of one pool: the one feature builder serving and training share.

`score` computes these for every candidate, the served log stores them per served
item (``FeedItem.features``), and `safefeed train ranker` learns from exactly those
logged values; a learned model then reads the same names at serving. Nothing is
recomputed offline, so training and serving cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import RowColumns
from safefeed.feed.catalog.estimates import Floats

__all__ = ["MODEL_INPUTS", "TASKS", "TaskPredictor", "model_inputs"]

#: What the task models predict per impression, in this order.
TASKS: tuple[str, ...] = ("open", "dwell", "save", "follow", "hide", "report")

#: The model inputs, in the column order of a model's feature matrix.
MODEL_INPUTS: tuple[str, ...] = (
    "topic_match",
    "creator_match",
    "session_match",
    "followed",
    "fatigue",
    "personalized",
    "s_open",
    "s_dwell",
    "s_save",
    "s_follow",
    "s_hide",
    "s_report",
    "item_open",
    "item_like",
    "watch_min",
    "freshness",
    "quality",
    "log_duration",
    "log_age_h",
    "log_impressions",
    "format",
    "action",
    "safety_score",
)


class TaskPredictor(Protocol):
    """What the utility asks of learned task models (`safefeed.feed.ranking.learned`)."""

    @property
    def version(self) -> str:
        """The model version, stamped on every response."""
        ...

    def adjust(
        self, inputs: Mapping[str, Floats], smoothed: Mapping[str, Floats]
    ) -> dict[str, Floats]:
        """Task estimates to rank by, given the inputs and the smoothed estimates."""
        ...


def model_inputs(
    c: RowColumns,
    est: Mapping[str, Floats],
    personal: Mapping[str, Floats],
    smoothed: Mapping[str, Floats],
    freshness: Floats,
    actions: npt.NDArray[np.int64],
    now_us: int,
    *,
    fatigue: float,
    personalized: bool,
) -> dict[str, Floats]:
    """Every name of `MODEL_INPUTS` for the rows of ``c``.

    ``est`` are the item's smoothed estimates, ``personal`` the cross features
    (topic, creator and session match, followed) and ``smoothed`` the personalized
    smoothed task estimates (``open`` ... ``report``) the utility uses without a model.
    """
    n = len(c)
    published = c["published_us"]
    inputs: dict[str, Floats] = {
        name: np.asarray(personal[name], np.float64)
        for name in ("topic_match", "creator_match", "session_match", "followed")
    }
    inputs.update(
        {
            "fatigue": np.full(n, fatigue),
            "personalized": np.full(n, float(personalized)),
            **{f"s_{task}": np.asarray(smoothed[task], np.float64) for task in TASKS},
            "item_open": est["p_open"],
            "item_like": est["p_like"],
            "watch_min": est["watch_time"] / 60.0,
            "freshness": freshness,
            "quality": c["quality"].astype(np.float64),
            "log_duration": np.log1p(c["duration"].astype(np.float64)),
            "log_age_h": np.log1p(np.maximum(0, now_us - published) / 3.6e9),
            "log_impressions": np.log1p(c["w_impressions"].astype(np.float64)),
            "format": c["format"].astype(np.float64),
            "action": actions.astype(np.float64),
            "safety_score": c["safety_score"].astype(np.float64),
        }
    )
    return inputs
