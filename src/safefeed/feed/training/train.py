"""Training the task models: one LightGBM classifier per task, a time-based split,
isotonic calibration of the hide and report models, and offline metrics.

The examples are split by serving time, 70/10/20: the models learn from the oldest
70%, stop early and are calibrated on the next 10%, and every metric is measured on
the newest 20%, which neither saw — as a model meets the future in production.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import lightgbm
import numpy as np
from sklearn.isotonic import IsotonicRegression

from safefeed.exceptions import InputError
from safefeed.feed.config import RankerConfig, SafetyScoreSettings
from safefeed.feed.ranking.features import TASKS
from safefeed.feed.ranking.learned import SAFETY_TASKS
from safefeed.feed.ranking.ranker import (
    ACTION_PENALTY,
    graded_safety_score,
    objective_values,
    weighted_components,
)
from safefeed.feed.training.dataset import TrainingSet
from safefeed.feed.training.metrics import Floats, classification, ndcg, position_propensity

__all__ = ["MIN_POSITIVES", "TrainParams", "TrainedModels", "offline_utility", "train_models"]

#: A task with fewer positive examples than this in the training split gets no model
#: (the smoothed estimate stays in use for it).
MIN_POSITIVES = 10


@dataclass(frozen=True, slots=True)
class TrainParams:
    """LightGBM settings and the split; the defaults are what `safefeed train ranker` uses."""

    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 40
    max_rounds: int = 400
    early_stopping: int = 30
    threads: int = 2
    seed: int = 7
    split: tuple[float, float] = (0.7, 0.8)


@dataclass(slots=True)
class TrainedModels:
    """What training produced: boosters, calibration curves, metrics."""

    boosters: dict[str, lightgbm.Booster]
    calibration: dict[str, tuple[list[float], list[float]]]
    metrics: dict[str, Any]
    seconds: float = 0.0


def offline_utility(
    p: Mapping[str, Floats],
    inputs: Mapping[str, Floats],
    ranker: RankerConfig,
    settings: SafetyScoreSettings,
) -> Floats:
    """``ranker``'s utility over the task estimates ``p`` and the logged model
    ``inputs`` of the same rows, weighed as `ranker.score` weighs them (the objective
    values are one function, `objective_values`)."""
    graded = (
        graded_safety_score(inputs["safety_score"], settings)
        if ranker.safety_score
        else np.zeros(len(inputs["safety_score"]))
    )
    values = objective_values(
        p,
        watch_s=60.0 * inputs["watch_min"],
        item_open=inputs["item_open"],
        freshness=inputs["freshness"],
        action_penalty=ACTION_PENALTY[inputs["action"].astype(np.int64)],
        graded=graded,
        ranker=ranker,
        settings=settings,
    )
    components = weighted_components(values, ranker)
    return np.asarray(np.sum(list(components.values()), axis=0), np.float64)


def _split(data: TrainingSet, cuts: tuple[float, float]) -> tuple[TrainingSet, ...]:
    # Cut at serving times, not row counts: one request's rows share a time and stay whole.
    first = data.ts_us[min(int(cuts[0] * len(data)), len(data) - 1)]
    second = data.ts_us[min(int(cuts[1] * len(data)), len(data) - 1)]
    ts = data.ts_us
    return (
        data.subset(ts < first),
        data.subset((ts >= first) & (ts < second)),
        data.subset(ts >= second),
    )


def _fit(
    task: str, train: TrainingSet, valid: TrainingSet, params: TrainParams
) -> lightgbm.Booster:
    positives = int(train.labels[task].sum())
    settings = {
        "objective": "binary",
        "learning_rate": params.learning_rate,
        # Rare outcomes (reports) get small trees: there is little to split on.
        "num_leaves": params.num_leaves if positives >= 500 else 7,
        "min_data_in_leaf": params.min_data_in_leaf,
        "feature_fraction": 0.9,
        "num_threads": params.threads,
        "seed": params.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }
    names = list(train.inputs)
    train_set = lightgbm.Dataset(train.matrix, train.labels[task], feature_name=names)
    valid_set = lightgbm.Dataset(valid.matrix, valid.labels[task], reference=train_set)
    callbacks: list[Any] = [lightgbm.early_stopping(params.early_stopping, verbose=False)]
    return lightgbm.train(
        settings, train_set, params.max_rounds, valid_sets=[valid_set], callbacks=callbacks
    )


def _ranking(
    test: TrainingSet, scores: Mapping[str, Floats], propensity: Floats
) -> dict[str, dict[str, float]]:
    labels = test.labels
    gains = (labels["open"] + labels["dwell"] + labels["save"] + labels["follow"]).astype(
        np.float64
    )
    gains[(labels["hide"] + labels["report"]) > 0] = 0.0
    weights = 1.0 / propensity[np.minimum(test.position, len(propensity) - 1)]
    out: dict[str, dict[str, float]] = {}
    for name, score in scores.items():
        out[name] = {
            f"ndcg@{k}{suffix}": ndcg(test.request, score, gains, k, w)
            for k in (10, 20)
            for suffix, w in (("", None), ("_debiased", weights))
        }
    return out


def train_models(
    data: TrainingSet,
    ranker: RankerConfig,
    settings: SafetyScoreSettings,
    params: TrainParams | None = None,
) -> TrainedModels:
    """Train, calibrate and evaluate (see the module docstring). The offline ranking
    metrics rank by ``ranker``'s utility, with the feed's safety-score ``settings``."""
    params = params or TrainParams()
    started = time.perf_counter()
    train, valid, test = _split(data, params.split) if len(data) else (data, data, data)
    if min(len(train), len(valid), len(test)) == 0:
        raise InputError(
            f"too few served impressions with logged features to train on ({len(data)}); "
            "serve more traffic first (e.g. safefeed train demo-traffic)"
        )
    boosters: dict[str, lightgbm.Booster] = {}
    calibration: dict[str, tuple[list[float], list[float]]] = {}
    learned: dict[str, Floats] = {}
    tasks: dict[str, Any] = {}
    for task in TASKS:
        positives = int(train.labels[task].sum())
        if positives < MIN_POSITIVES or valid.labels[task].sum() == 0:
            tasks[task] = {"model": None, "train_positives": positives}
            learned[task] = test.smoothed[task]
            continue
        booster = _fit(task, train, valid, params)
        boosters[task] = booster
        raw_test = np.asarray(booster.predict(test.matrix), np.float64)
        entry: dict[str, Any] = {
            "model": f"model-{task}.txt",
            "train_positives": positives,
            "rounds": booster.best_iteration or booster.current_iteration(),
        }
        if task in SAFETY_TASKS:
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            iso.fit(np.asarray(booster.predict(valid.matrix), np.float64), valid.labels[task])
            xs, ys = iso.X_thresholds_.tolist(), iso.y_thresholds_.tolist()
            calibration[task] = (xs, ys)
            entry["uncalibrated"] = classification(test.labels[task], raw_test)
            raw_test = np.interp(raw_test, xs, ys)
            # What serving ranks by: never below the smoothed estimate.
            entry["served_guarded"] = classification(
                test.labels[task], np.maximum(raw_test, test.smoothed[task])
            )
        learned[task] = raw_test
        entry["learned"] = classification(test.labels[task], raw_test)
        entry["smoothed"] = classification(test.labels[task], test.smoothed[task])
        tasks[task] = entry
    guarded = {
        t: np.maximum(v, test.smoothed[t]) if t in SAFETY_TASKS else v for t, v in learned.items()
    }
    propensity = position_propensity(train.labels["open"], train.position)
    inputs = test.columns()
    scores = {
        "learned": offline_utility(guarded, inputs, ranker, settings),
        "smoothed": offline_utility(test.smoothed, inputs, ranker, settings),
        "served_order": -test.position.astype(np.float64),
    }
    metrics = {
        "tasks": tasks,
        "ranking": _ranking(test, scores, propensity),
        "position_propensity": [round(float(v), 4) for v in propensity[:20]],
        "split": {"train": len(train), "valid": len(valid), "test": len(test)},
        "requests": {
            "train": len(np.unique(train.request)),
            "test": len(np.unique(test.request)),
        },
    }
    return TrainedModels(
        boosters=boosters,
        calibration=calibration,
        metrics=metrics,
        seconds=round(time.perf_counter() - started, 2),
    )
