"""Training examples: served impressions joined with what the user did next.

Every served item in the served log carries the model inputs it was scored with
(``FeedItem.features``). Its labels come from the event log: an ``open``, a
satisfied ``dwell`` (at least half the expected dwell for the item's length), a
``save``, a ``follow`` of its creator, a ``hide`` (or ``not_interested``), a
``report``. An outcome event that names the serving ``request_id`` is joined to
that request; one without it is joined to the user's latest earlier impression
of the item within the attribution window. A follow names no item, so it counts
for impressions of that creator in the hour before it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Connection, select

from safefeed.feed.catalog.dwell import expected_dwell_s
from safefeed.feed.ranking.features import MODEL_INPUTS, TASKS
from safefeed.store.feed_tables import FeedServedItem
from safefeed.store.tables import EventRow, table_of

__all__ = ["OUTCOME_TYPES", "TrainingSet", "build_dataset"]

_served = table_of(FeedServedItem)
_events = table_of(EventRow)

#: Event types that label an impression, and the task each one labels.
OUTCOME_TYPES: dict[str, str] = {
    "open": "open",
    "dwell": "dwell",
    "save": "save",
    "follow": "follow",
    "hide": "hide",
    "not_interested": "hide",
    "report": "report",
}
_HOUR_US = 3_600_000_000
#: A dwell of at least this share of the expected dwell is a satisfied one.
SATISFIED_DWELL = 0.5


@dataclass(slots=True)
class TrainingSet:
    """Examples in time order: inputs, labels per task, and where each was served."""

    inputs: tuple[str, ...]
    matrix: npt.NDArray[np.float64]
    labels: dict[str, npt.NDArray[np.int8]]
    smoothed: dict[str, npt.NDArray[np.float64]]
    request: npt.NDArray[np.int64]
    position: npt.NDArray[np.int64]
    ts_us: npt.NDArray[np.int64]
    since_us: int
    until_us: int
    skipped: int

    def __len__(self) -> int:
        return len(self.ts_us)

    def columns(self) -> dict[str, npt.NDArray[np.float64]]:
        """Each model input's column, by name."""
        return {name: self.matrix[:, j] for j, name in enumerate(self.inputs)}

    def subset(self, mask: npt.NDArray[np.bool_]) -> TrainingSet:
        """The examples where ``mask`` holds (the window and inputs are kept)."""
        return TrainingSet(
            inputs=self.inputs,
            matrix=self.matrix[mask],
            labels={t: v[mask] for t, v in self.labels.items()},
            smoothed={t: v[mask] for t, v in self.smoothed.items()},
            request=self.request[mask],
            position=self.position[mask],
            ts_us=self.ts_us[mask],
            since_us=self.since_us,
            until_us=self.until_us,
            skipped=self.skipped,
        )


@dataclass(slots=True)
class _Outcomes:
    by_request: dict[tuple[str, str], dict[str, float]]
    by_user: dict[tuple[str, str], list[tuple[int, str, float]]]
    follows: dict[tuple[str, str], list[int]]


def _outcomes(conn: Connection, since_us: int, until_us: int) -> _Outcomes:
    found = _Outcomes(defaultdict(dict), defaultdict(list), defaultdict(list))
    query = (
        select(_events.c.type, _events.c.ts_us, _events.c.payload)
        .where(
            _events.c.type.in_(list(OUTCOME_TYPES)),
            _events.c.ts_us >= since_us,
            _events.c.ts_us < until_us,
        )
        .order_by(_events.c.ts_us, _events.c.seq)
    )
    for kind, ts_us, payload in conn.execute(query):
        event: dict[str, Any] = orjson.loads(payload)
        user = event["user_id"]
        if kind == "follow":
            found.follows[(user, event["creator_id"])].append(int(ts_us))
            continue
        task = OUTCOME_TYPES[kind]
        value = float(event.get("dwell_ms", 0.0)) / 1000.0 if kind == "dwell" else 1.0
        request_id = event.get("request_id")
        if request_id:
            slot = found.by_request[(request_id, event["content_id"])]
            slot[task] = max(slot.get(task, 0.0), value)
        else:
            found.by_user[(user, event["content_id"])].append((int(ts_us), task, value))
    return found


def build_dataset(
    conn: Connection, since_us: int, until_us: int, *, attribution_hours: float = 24.0
) -> TrainingSet:
    """Examples from the items served in [since, until), labelled by the events that
    followed within ``attribution_hours`` (see the module docstring)."""
    window_us = int(attribution_hours * _HOUR_US)
    outcomes = _outcomes(conn, since_us, until_us + window_us)
    rows = conn.execute(
        select(
            _served.c.request_id,
            _served.c.user_id,
            _served.c.content_id,
            _served.c.creator_id,
            _served.c.position,
            _served.c.ts_us,
            _served.c.components,
        )
        .where(_served.c.ts_us >= since_us, _served.c.ts_us < until_us)
        .order_by(_served.c.ts_us, _served.c.id)
    ).all()
    vectors: list[list[float]] = []
    labels: dict[str, list[int]] = {task: [] for task in TASKS}
    requests: dict[str, int] = {}
    request, position, stamps = [], [], []
    skipped = 0
    for r in rows:
        features = (r.components or {}).get("features") or {}
        if any(name not in features for name in MODEL_INPUTS):
            skipped += 1  # served before features were logged, or from the fallback list
            continue
        vectors.append([float(features[name]) for name in MODEL_INPUTS])
        got = dict(outcomes.by_request.get((r.request_id, r.content_id), {}))
        for ts, task, value in outcomes.by_user.get((r.user_id, r.content_id), ()):
            if r.ts_us <= ts < r.ts_us + window_us:
                got[task] = max(got.get(task, 0.0), value)
        duration = float(np.expm1(features["log_duration"]))
        dwell = got.get("dwell", 0.0)
        got["dwell"] = float(dwell > 0 and dwell >= SATISFIED_DWELL * expected_dwell_s(duration))
        follows = outcomes.follows.get((r.user_id, r.creator_id), [])
        at = bisect.bisect_right(follows, r.ts_us)
        got["follow"] = float(at < len(follows) and follows[at] < r.ts_us + _HOUR_US)
        for task in TASKS:
            labels[task].append(int(got.get(task, 0.0) > 0))
        request.append(requests.setdefault(r.request_id, len(requests)))
        position.append(int(r.position))
        stamps.append(int(r.ts_us))
    matrix = np.asarray(vectors, np.float64).reshape(len(vectors), len(MODEL_INPUTS))
    column = {name: i for i, name in enumerate(MODEL_INPUTS)}
    return TrainingSet(
        inputs=MODEL_INPUTS,
        matrix=matrix,
        labels={task: np.asarray(v, np.int8) for task, v in labels.items()},
        smoothed={task: matrix[:, column[f"s_{task}"]] for task in TASKS},
        request=np.asarray(request, np.int64),
        position=np.asarray(position, np.int64),
        ts_us=np.asarray(stamps, np.int64),
        since_us=since_us,
        until_us=until_us,
        skipped=skipped,
    )
