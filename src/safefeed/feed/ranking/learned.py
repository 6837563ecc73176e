"""Learned task models at serving: load the active version, predict, guard safety.

`safefeed train ranker` writes a version under ``DATA_DIR/models/ranker/<version>/``
(one LightGBM model per task, isotonic calibration of the hide and report models,
the input names, metrics) and ``ACTIVE`` names the version in use. A ranker
configured with ``model: active`` asks `ActiveModels` for it on every batch (one
``stat`` of the pointer; a changed pointer is loaded once).

Learned estimates replace the smoothed ones for open, dwell, save and follow. For
hide and report they can only raise the estimate: the safety side never falls
below the smoothed estimate, so a model cannot buy back what the hard
constraints and the safety penalty hold back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safefeed.exceptions import ConfigError
from safefeed.feed.catalog.estimates import Floats
from safefeed.feed.ranking.features import TASKS

__all__ = [
    "ACTIVE_FILE",
    "SAFETY_TASKS",
    "ActiveModels",
    "TaskModels",
    "load_task_models",
    "models_root",
]

#: Tasks whose learned estimate may only raise the smoothed one.
SAFETY_TASKS: frozenset[str] = frozenset({"hide", "report"})
#: The pointer file naming the active version, in `models_root`.
ACTIVE_FILE = "ACTIVE"


def models_root(data_dir: Path) -> Path:
    """Where ranker model versions live under a data directory."""
    return data_dir / "models" / "ranker"


@dataclass(frozen=True, slots=True)
class TaskModels:
    """One trained version: a booster per task and the calibration of some of them."""

    version: str
    inputs: tuple[str, ...]
    boosters: Mapping[str, Any]
    calibration: Mapping[str, tuple[Floats, Floats]]

    def predict(self, inputs: Mapping[str, Floats]) -> dict[str, Floats]:
        """Per-task probabilities for a batch of candidates (calibrated where fitted)."""
        matrix = np.column_stack([np.asarray(inputs[name], np.float64) for name in self.inputs])
        out: dict[str, Floats] = {}
        for task, booster in self.boosters.items():
            raw = np.asarray(booster.predict(matrix, num_threads=1), np.float64)
            if task in self.calibration:
                xs, ys = self.calibration[task]
                raw = np.interp(raw, xs, ys)
            out[task] = raw
        return out

    def adjust(
        self, inputs: Mapping[str, Floats], smoothed: Mapping[str, Floats]
    ) -> dict[str, Floats]:
        """Learned estimates where a model exists; hide and report never go below
        the smoothed estimate.

        >>> import numpy as np
        >>> class Fixed(TaskModels):
        ...     def predict(self, inputs):
        ...         return {"open": np.array([0.3]), "hide": np.array([0.01])}
        >>> m = Fixed("v", (), {}, {})
        >>> m.adjust({}, {"open": np.array([0.1]), "hide": np.array([0.05])})
        {'open': array([0.3]), 'hide': array([0.05])}
        """
        if len(next(iter(smoothed.values()), ())) == 0:
            return dict(smoothed)
        learned = self.predict(inputs)
        out = dict(smoothed)
        for task, value in learned.items():
            out[task] = np.maximum(smoothed[task], value) if task in SAFETY_TASKS else value
        return out


def load_task_models(directory: Path) -> TaskModels:
    """Load a version written by `safefeed.feed.training.registry.save_version`."""
    import lightgbm

    try:
        card = json.loads((directory / "model.json").read_text("utf-8"))
        boosters = {
            task: lightgbm.Booster(model_file=str(directory / f"model-{task}.txt"))
            for task in card["tasks"]
            if task in TASKS
        }
        calibration = {
            task: (np.asarray(curve["x"], np.float64), np.asarray(curve["y"], np.float64))
            for task, curve in card.get("calibration", {}).items()
        }
    except (OSError, ValueError, KeyError, lightgbm.basic.LightGBMError) as exc:
        raise ConfigError(f"ranker model {directory.name} cannot be loaded: {exc}") from None
    return TaskModels(
        version=str(card["version"]),
        inputs=tuple(card["inputs"]),
        boosters=boosters,
        calibration=calibration,
    )


class ActiveModels:
    """The active version under a data directory, reloaded when ``ACTIVE`` changes."""

    def __init__(self, data_dir: Path) -> None:
        self.root = models_root(data_dir)
        self._seen: tuple[int, int] | None = None
        self._models: TaskModels | None = None
        self._reason = "no ranker model is active: smoothed estimates used"
        self._lock = threading.Lock()

    def current(self) -> tuple[TaskModels | None, str]:
        """The active models (None when there are none) and why, for the trace."""
        pointer = self.root / ACTIVE_FILE
        try:
            stat = pointer.stat()
            seen: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            seen = None
        with self._lock:
            if seen != self._seen:
                self._seen = seen
                self._models, self._reason = self._load(pointer, seen is not None)
            return self._models, self._reason

    def _load(self, pointer: Path, exists: bool) -> tuple[TaskModels | None, str]:
        if not exists:
            return None, "no ranker model is active: smoothed estimates used"
        try:
            version = pointer.read_text("utf-8").strip()
            models = load_task_models(self.root / version)
        except (OSError, ConfigError) as exc:
            return None, f"{exc}: smoothed estimates used"
        return models, f"learned task models {version}"
