"""The model registry: versions of the ranker's task models on disk, and which is active.

A version is a directory ``DATA_DIR/models/ranker/<version>/``: one LightGBM model
file per task, ``model.json`` (version, inputs, tasks, calibration, the training
data window) and ``metrics.json``. ``ACTIVE`` names the version serving uses; it is
replaced atomically, and every activation is recorded in the audit log with who,
why and the versions before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from safefeed.audit import AuditLog
from safefeed.clock import from_us
from safefeed.exceptions import InputError, NotFoundError
from safefeed.feed.ranking.learned import ACTIVE_FILE, models_root
from safefeed.feed.training.dataset import TrainingSet
from safefeed.feed.training.train import TrainedModels

__all__ = ["activate", "active_version", "list_versions", "save_version"]


def save_version(data_dir: Path, data: TrainingSet, trained: TrainedModels, now: datetime) -> str:
    """Write a trained version and return its name (not activated)."""
    window = f"{data.since_us}:{data.until_us}:{len(data)}"
    digest = hashlib.blake2b(window.encode(), digest_size=3).hexdigest()
    version = f"ranker-{now.strftime('%Y%m%dT%H%M%S')}-{digest}"
    directory = models_root(data_dir) / version
    directory.mkdir(parents=True, exist_ok=False)
    for task, booster in trained.boosters.items():
        booster.save_model(str(directory / f"model-{task}.txt"))
    card = {
        "version": version,
        "created_at": now.isoformat(),
        "inputs": list(data.inputs),
        "tasks": sorted(trained.boosters),
        "calibration": {t: {"x": xs, "y": ys} for t, (xs, ys) in trained.calibration.items()},
        "window": {
            "since": from_us(data.since_us).isoformat(),
            "until": from_us(data.until_us).isoformat(),
            "examples": len(data),
            "skipped_without_features": data.skipped,
        },
        "training_seconds": trained.seconds,
    }
    (directory / "model.json").write_text(json.dumps(card, indent=2), "utf-8")
    size = sum(p.stat().st_size for p in directory.iterdir())
    metrics = {"version": version, **trained.metrics, "model_bytes": size}
    (directory / "metrics.json").write_text(json.dumps(metrics, indent=2), "utf-8")
    return version


def active_version(data_dir: Path) -> str | None:
    """The version ``ACTIVE`` names, or None."""
    try:
        return (models_root(data_dir) / ACTIVE_FILE).read_text("utf-8").strip() or None
    except FileNotFoundError:
        return None


def list_versions(data_dir: Path) -> list[dict[str, Any]]:
    """Every stored version, oldest first, with its window, key metrics and whether active."""
    root = models_root(data_dir)
    active = active_version(data_dir)
    found = []
    for directory in sorted(root.glob("ranker-*")):
        try:
            card = json.loads((directory / "model.json").read_text("utf-8"))
            metrics = json.loads((directory / "metrics.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue
        ranking = metrics.get("ranking", {})
        found.append(
            {
                "version": card["version"],
                "active": card["version"] == active,
                "created_at": card["created_at"],
                "window": card["window"],
                "tasks": card["tasks"],
                "ndcg@10_debiased": {
                    name: values.get("ndcg@10_debiased") for name, values in ranking.items()
                },
                "model_bytes": metrics.get("model_bytes"),
            }
        )
    return found


def activate(
    conn: Connection,
    audit: AuditLog,
    data_dir: Path,
    version: str | None,
    *,
    actor: str,
    reason: str,
) -> str | None:
    """Make ``version`` the active one (None: deactivate, back to smoothed estimates).
    Recorded in the audit log within ``conn``'s transaction; returns the previous one."""
    root = models_root(data_dir)
    if version is not None and not (root / version / "model.json").is_file():
        raise NotFoundError(f"no ranker model version {version!r} under {root}")
    if not reason.strip():
        raise InputError("an activation needs a reason")
    previous = active_version(data_dir)
    audit.append(
        conn,
        actor=actor,
        action="ranker_model.activated" if version else "ranker_model.deactivated",
        reason=reason,
        subject=("model", "ranker"),
        versions={"from": previous or "smoothed", "to": version or "smoothed"},
    )
    pointer = root / ACTIVE_FILE
    if version is None:
        pointer.unlink(missing_ok=True)
    else:
        root.mkdir(parents=True, exist_ok=True)
        staged = root / f".{ACTIVE_FILE}.{os.getpid()}"
        staged.write_text(version + "\n", "utf-8")
        os.replace(staged, pointer)  # atomic: a reader sees the old or the new name
    return previous
