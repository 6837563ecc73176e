"""Review-by-reach benchmark: how long the moderators' due list takes at platform scale.

A store of N items is written in bulk (not through the API): every item's engagement
statistics, with a long-tailed reach (log-normal trust-weighted viewers: most items
are seen by a few people, some by thousands), 3% carrying a classifier flag, reports
on a few; and a policy state for each (mostly allowed, some labelled out of feeds,
some already decided by a moderator). Then `due_for_review` — the query behind
``GET /v1/review/reach`` and ``safefeed review reach`` — is timed for a moderator's
page (``--limit``, 50) and for the whole backlog, best and median of ``--repeats``.
Prints a table and writes ``bench/results/review.json``.

    bench/review                                   # 100k and 1M items, SQLite and PostgreSQL
    bench/review --sizes 100000 --backends sqlite  # a quick run
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import print_table, write_report  # noqa: E402

from safefeed.feed.config import ReachReviewSettings  # noqa: E402
from safefeed.feed.state.reach_review import due_for_review  # noqa: E402
from safefeed.store.database import Database, sqlite_url  # noqa: E402
from safefeed.store.feed_tables import FeedItemStats  # noqa: E402
from safefeed.store.tables import PolicyStateRow, table_of  # noqa: E402

_CHUNK = 20_000
_STATES = ["allowed"] * 90 + ["limited_distribution"] * 4 + ["not_recommendable"] * 3
_STATES += ["restricted"] * 2 + ["blocked"]


def fill(database: Database, n_items: int, seed: int) -> int:
    """Write ``n_items`` items' statistics and policy states; return how many are due."""
    rng = np.random.default_rng(seed)
    reach = rng.lognormal(mean=2.0, sigma=1.6, size=n_items)
    flagged = rng.random(n_items) < 0.03
    score = np.where(flagged, rng.uniform(0.2, 0.95, n_items), 0.0)
    reports = rng.poisson(reach * 0.002)
    states = rng.choice(len(_STATES), size=n_items)
    decided = rng.random(n_items) < 0.05
    stats, policy = table_of(FeedItemStats), table_of(PolicyStateRow)
    with database.write() as conn:
        for start in range(0, n_items, _CHUNK):
            rows = range(start, min(start + _CHUNK, n_items))
            conn.execute(
                stats.insert(),
                [
                    {
                        "content_id": f"c{i:08d}",
                        "revision": i,
                        "w_impressions": float(reach[i]),
                        "n_impressions": float(reach[i]) * 1.1,
                        "w_reports": float(reports[i]),
                        "safety_score": float(score[i]),
                    }
                    for i in rows
                ],
            )
            conn.execute(
                policy.insert(),
                [
                    {
                        "subject_type": "content",
                        "subject_id": f"c{i:08d}",
                        "state": _STATES[int(states[i])],
                        "policy_version": "bench",
                        "reasons": [],
                        "surfaces": {},
                        "review_status": "moderator_decision" if decided[i] else None,
                        "updated_us": 0,
                        "revision": 1,
                    }
                    for i in rows
                ],
            )
    with database.read() as conn:
        return len(due_for_review(conn, ReachReviewSettings()))


def time_due(database: Database, limit: int | None, repeats: int) -> dict[str, float]:
    """Best and median seconds of `due_for_review` (``None``: the whole backlog)."""
    settings = ReachReviewSettings()
    timings = []
    for _ in range(repeats):
        with database.read() as conn:
            started = time.perf_counter()
            due_for_review(conn, settings, limit=limit)
            timings.append(time.perf_counter() - started)
    return {"best_s": min(timings), "median_s": statistics.median(timings)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--limit", type=int, default=50, help="a moderator's page")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "review.json")
    args = parser.parse_args()
    if args.limit < 1 or args.repeats < 1 or min(args.sizes) < 1:
        parser.error("--limit, --repeats and --sizes must be positive")

    console = Console()
    scratch = Path(tempfile.mkdtemp(prefix="safefeed-bench-review-"))
    cluster = None
    results: list[dict[str, Any]] = []
    try:
        for size in args.sizes:
            for backend in args.backends:
                if backend == "sqlite":
                    url = sqlite_url(scratch / f"review-{size}.db")
                else:
                    from tests.support.postgres import ThrowawayCluster

                    if cluster is None:
                        cluster = ThrowawayCluster()
                        cluster.start()
                    cluster.create_database(f"review{size}")
                    url = cluster.url(f"review{size}")
                database = Database(url, durable=False)
                database.migrate()
                with console.status(f"{backend}: writing {size:,} items"):
                    started = time.perf_counter()
                    due = fill(database, size, args.seed)
                    fill_s = time.perf_counter() - started
                with console.status(f"{backend}: timing the due list"):
                    page = time_due(database, args.limit, args.repeats)
                    backlog = time_due(database, None, args.repeats)
                database.dispose()
                results.append(
                    {
                        "backend": backend,
                        "items": size,
                        "due": due,
                        "fill_s": round(fill_s, 2),
                        "limit": args.limit,
                        "page_best_s": round(page["best_s"], 4),
                        "page_median_s": round(page["median_s"], 4),
                        "backlog_best_s": round(backlog["best_s"], 4),
                        "backlog_median_s": round(backlog["median_s"], 4),
                    }
                )
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    print_table(
        console,
        f"review by reach: the due list (best / median of {args.repeats})",
        ("backend", "items", "due", f"first {args.limit} s", "whole backlog s"),
        (
            (
                row["backend"],
                f"{row['items']:,}",
                f"{row['due']:,}",
                f"{row['page_best_s']:.3f} / {row['page_median_s']:.3f}",
                f"{row['backlog_best_s']:.3f} / {row['backlog_median_s']:.3f}",
            )
            for row in results
        ),
    )
    write_report(console, args.out, "review", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
