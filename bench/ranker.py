"""Learned-ranker benchmark: training cost and serving latency, learned vs smoothed.

Runs on a store that has served traffic with logged features (the demo platform
after ``safefeed train demo-traffic``). Trains a version from the whole served log
(time, model size, offline metrics), activates it (audited, actor ``bench``), then
serves the same random users' home pages with the ``safety`` ranker (smoothed
estimates) and the ``learned`` ranker, alternating, and reports per-page p50/p99.
The previous activation is restored at the end.

    SAFEFEED_DATA_DIR=.safefeed bench/ranker --requests 300
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from safefeed.clock import to_us
from safefeed.demo.served import traffic_start
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.training import (
    activate,
    active_version,
    build_dataset,
    save_version,
    train_models,
)
from safefeed.runtime import Runtime
from safefeed.settings import Settings


def _quantiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100)
    return {"p50_ms": round(cuts[49] * 1e3, 1), "p99_ms": round(cuts[98] * 1e3, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    settings = Settings.from_env()
    runtime = Runtime(settings)
    clock = traffic_start(runtime.database)
    runtime.close()
    runtime = Runtime(settings, clock=clock)
    config = runtime.feed.config
    started = time.perf_counter()
    with runtime.database.read() as conn:
        data = build_dataset(conn, 0, to_us(clock.now()))
    loaded = time.perf_counter() - started
    trained = train_models(data, config.ranker("safety"), config.safety_score)
    version = save_version(settings.data_dir, data, trained, clock.now())
    metrics = json.loads(
        (settings.data_dir / "models/ranker" / version / "metrics.json").read_text()
    )
    previous = active_version(settings.data_dir)
    with runtime.database.write() as conn:
        activate(conn, runtime.audit, settings.data_dir, version, actor="bench", reason="bench")
    users = [f"u{n:05d}" for n in random.Random(args.seed).sample(range(2000), args.requests)]
    timings: dict[str, list[float]] = {"safety": [], "learned": []}
    runtime.feed.serve([FeedRequest(user_id=users[0], ranker="learned")])  # load the model
    for user in users:
        for ranker in ("safety", "learned"):
            t0 = time.perf_counter()
            runtime.feed.serve([FeedRequest(user_id=user, ranker=ranker)])
            timings[ranker].append(time.perf_counter() - t0)
    with runtime.database.write() as conn:
        activate(conn, runtime.audit, settings.data_dir, previous, actor="bench", reason="restore")
    runtime.close()
    result = {
        "version": version,
        "examples": len(data),
        "dataset_seconds": round(loaded, 1),
        "training_seconds": trained.seconds,
        "model_bytes": metrics["model_bytes"],
        "ranking": metrics["ranking"],
        "auc": {t: e.get("learned", {}).get("auc") for t, e in metrics["tasks"].items()},
        "auc_smoothed": {t: e.get("smoothed", {}).get("auc") for t, e in metrics["tasks"].items()},
        "serving": {name: _quantiles(values) for name, values in timings.items()},
    }
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "ranker.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
