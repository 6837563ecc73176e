"""Simulator benchmark: simulated impressions per second of the world and its metrics.

The recommender is the in-memory popularity test seam, and its own time is
measured separately and left out of the headline figure: this measures the
world/metrics overhead only (users, engagement, drift, classifier, bots, metrics,
and turning the seam's string ids back into arrays). The real engine's cost comes
on top. From the measured per-step time it projects the issue's target run,
100,000 users x 50 steps x 20-item pages (100M impressions), on one process;
seeds run in parallel processes, one per core. Prints a table and writes
``bench/results/sim.json``.

    bench/sim                          # 10k and 100k users, 5 steps each
    bench/sim --users 100000 --steps 50   # the full target run (several minutes)
    bench/sim --ranker safety --users 200 --steps 3   # through the real feed engine
    bench/sim --floor --users 1000 --steps 5          # the contract's floor (below)

With ``--ranker`` the recommender is the real engine binding (`FeedEngineRecommender`)
and the table splits its time into serving (``recommend``: `FeedEngine.serve`) and
ingestion (``observe``: the step's v1 events through the real `Ingestor`). A step
through the engine costs more as users' histories and the catalog grow, so the table
also projects the target with each step's cost per impression carried on along its
measured trend ("growing steps"); run six or more steps for a trend worth the name.

With ``--floor`` no ranker runs at all. It measures the two things that every event of
a run must go through whatever the engine does, since the issue has everything flow
as v1 events into the real store: checking it against the contract (`validate_records`)
and writing it to the event log (`EventLog.append`: the event_id dedupe, the row, the
subject index), alone in a fresh scratch store like a run's, no consumer, no serving.
The world's own events per impression times that cost gives a lower bound on the
target run's CPU seconds, to hold against the goal's budget (2 cores x 10 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import print_table  # noqa: E402
from bench.sim_floor import (  # noqa: E402
    TARGET_PAGE,
    TARGET_STEPS,
    TARGET_USERS,
    floor_table,
    run_floor,
)

from safefeed.sim import PopularityRecommender, SimConfig, SimRequest, StepFeedback  # noqa: E402
from safefeed.sim.rankers import close_recommender, resolve_recommender  # noqa: E402
from safefeed.sim.recommender import Recommender, ReviewQueue  # noqa: E402
from safefeed.sim.runner import night_review  # noqa: E402
from safefeed.sim.world import World  # noqa: E402


class TimedSeam:
    """Wraps a recommender and keeps the seconds spent serving and observing."""

    def __init__(self, inner: Recommender) -> None:
        self.inner = inner
        self.name = inner.name
        self.serve_s = 0.0
        self.observe_s = 0.0

    @property
    def seconds(self) -> float:
        return self.serve_s + self.observe_s

    def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
        started = time.perf_counter()
        try:
            return self.inner.recommend(requests)
        finally:
            self.serve_s += time.perf_counter() - started

    def observe(self, feedback: StepFeedback) -> None:
        started = time.perf_counter()
        self.inner.observe(feedback)
        self.observe_s += time.perf_counter() - started

    def due_for_review(self, limit: int) -> list[str]:
        # The engine reading its review queue is ingestion-side work: timed with it.
        if not isinstance(self.inner, ReviewQueue):
            return []
        started = time.perf_counter()
        try:
            return self.inner.due_for_review(limit)
        finally:
            self.observe_s += time.perf_counter() - started


def run_case(users: int, steps: int, seed: int, ranker: str | None = None) -> dict[str, Any]:
    config = SimConfig(users=users, steps=steps, page_size=TARGET_PAGE)
    inner = (
        resolve_recommender(ranker, seed, config=config)
        if ranker
        else PopularityRecommender(seed=seed)
    )
    try:
        return _timed(TimedSeam(inner), config, users, steps, seed)
    finally:
        close_recommender(inner)


def _timed(seam: TimedSeam, config: SimConfig, users: int, steps: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    world = World(config, seed)
    seam.observe(world.initial_feedback())
    setup = time.perf_counter() - started
    # The set-up's ingestion is part of `setup`, not of the steps' seam time.
    seam.serve_s = seam.observe_s = 0.0
    cpu_started = time.process_time()
    step_cost = []
    for _ in range(steps):
        step_started = time.perf_counter()
        seam.observe(world.step(seam))
        reviews = night_review(world, seam)  # as a run does: the moderators' night
        if reviews is not None:
            seam.observe(reviews)
        # Seconds per impression: early steps serve fewer pages while users arrive.
        step_cost.append(
            (time.perf_counter() - step_started) / max(world.metrics.series["impressions"][-1], 1)
        )
    world.totals()
    total = time.perf_counter() - started
    # CPU time of the steps: steadier than wall time on a machine other jobs share.
    cpu = time.process_time() - cpu_started
    impressions = int(sum(world.metrics.series["impressions"]))
    world_s = total - seam.seconds - setup
    per_step_world = world_s / steps
    per_step_total = (total - setup) / steps
    impressions_per_step_target = impressions / steps * (TARGET_USERS / users)
    return {
        "ranker": seam.name,
        "users": users,
        "steps": steps,
        "page_size": TARGET_PAGE,
        "impressions": impressions,
        "setup_s": round(setup, 3),
        "seam_s": round(seam.seconds, 3),
        "serve_s": round(seam.serve_s, 3),
        "ingest_s": round(seam.observe_s, 3),
        "world_s": round(world_s, 3),
        "total_s": round(total, 3),
        "steps_cpu_s": round(cpu, 3),
        "world_impressions_per_s": round(impressions / world_s),
        "with_seam_impressions_per_s": round(impressions / (total - setup)),
        "with_seam_impressions_per_cpu_s": round(impressions / cpu),
        # Linear in users (every operation is per user or per slot) and in steps.
        "projected_target_world_s": round(per_step_world * TARGET_USERS / users * TARGET_STEPS),
        "projected_target_with_seam_s": round(per_step_total * TARGET_USERS / users * TARGET_STEPS),
        # A step costs more as users' histories and the catalog grow: the same projection
        # with the measured per-step trend carried on to the target's last step.
        "projected_target_with_growth_s": round(
            _with_growth(step_cost, TARGET_STEPS) * impressions_per_step_target
        ),
        "step_us_per_impression": [round(x * 1e6, 2) for x in step_cost],
        "projected_target_impressions": round(impressions_per_step_target * TARGET_STEPS),
    }


def _with_growth(step_cost: Sequence[float], steps: int) -> float:
    """The sum over ``steps`` steps of a per-step cost (here seconds per impression) that
    keeps its measured linear trend (least squares; the flat mean with fewer than three
    measured steps, and never a falling trend, which would be noise).

    >>> _with_growth([1.0, 2.0, 3.0], 5)
    15.0
    >>> _with_growth([2.0, 2.0], 4)
    8.0
    """
    if len(step_cost) < 3:
        return sum(step_cost) / max(len(step_cost), 1) * steps
    slope, intercept = np.polyfit(np.arange(len(step_cost)), step_cost, 1)
    if slope <= 0.0:
        return float(np.mean(step_cost)) * steps
    return float(sum(intercept + slope * k for k in range(steps)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ranker", help="a feed ranker: drive the real engine (slow)")
    parser.add_argument(
        "--floor", action="store_true", help="the contract's per-event floor, no ranker"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    console = Console(width=160)
    if args.floor:
        return _floor(console, args)
    args.out = args.out or ROOT / "bench" / "results" / "sim.json"
    cases = []
    for users in args.users:
        console.print(f"running {users:,} users x {args.steps} steps ...")
        cases.append(run_case(users, args.steps, args.seed, args.ranker))

    who = f"feed engine, ranker {args.ranker}" if args.ranker else "test-seam recommender"
    columns = (
        "users",
        "steps",
        "impressions",
        "world s",
        "recommender s (serve + ingest)",
        "world imp/s",
        "with seam imp/s",
        "(per CPU s)",
        "projected 100k x 50 (world)",
        "(with seam)",
        "(with seam, growing steps)",
    )
    rows = (
        (
            f"{c['users']:,}",
            str(c["steps"]),
            f"{c['impressions']:,}",
            f"{c['world_s']:.2f}",
            f"{c['seam_s']:.2f} ({c['serve_s']:.1f} + {c['ingest_s']:.1f})",
            f"{c['world_impressions_per_s']:,}",
            f"{c['with_seam_impressions_per_s']:,}",
            f"{c['with_seam_impressions_per_cpu_s']:,}",
            f"{c['projected_target_world_s']} s",
            f"{c['projected_target_with_seam_s']} s",
            f"{c['projected_target_with_growth_s']} s",
        )
        for c in cases
    )
    print_table(console, f"simulator throughput ({who}: timed separately)", columns, rows)
    console.print(
        "The headline is the world's own overhead; the feed engine's serving time adds to it. "
        "Seeds run one per process (2 cores: two seeds in the time of one)."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "sim",
        "what": "world + metrics overhead per simulated impression; recommender = test seam, "
        "timed separately and excluded from world_impressions_per_s",
        "target": {"users": TARGET_USERS, "steps": TARGET_STEPS, "page_size": TARGET_PAGE},
        "machine": _machine(),
        "measured_at": time.strftime("%Y-%m-%d"),
        "cases": cases,
    }
    _write(console, args.out, result)
    return 0


def _floor(console: Console, args: argparse.Namespace) -> int:
    cases = [run_floor(users, args.steps, args.seed) for users in args.users]
    floor_table(console, cases)
    _write(
        console,
        args.out or ROOT / "bench" / "results" / "sim_floor.json",
        {
            "benchmark": "sim --floor",
            "machine": _machine(),
            "measured_at": time.strftime("%Y-%m-%d"),
            "cases": cases,
        },
    )
    return 0


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def _write(console: Console, out: Path, result: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
