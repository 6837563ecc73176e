"""Ingestion benchmark: events/s into SQLite and PostgreSQL, for 10k and 100k batches.

Each case ingests a generated platform's event log (the demo generator's realistic
mix: accounts, catalog with text, policy changes, engagement, live sessions,
moderation) as one JSON Lines batch through the real `Ingestor` — validation,
dedupe, event log, catalog, policy and text-classifier consumers, one commit —
into a fresh store. The classifier model is loaded before timing (a server loads
it once). Prints a table and writes ``bench/results/ingest.json``.

    bench/ingest                       # both back ends, 10k and 100k
    bench/ingest --sizes 10000 --backends sqlite
    bench/ingest --postgres-url postgresql+psycopg://user@host/db   # an existing server
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import print_table, write_report  # noqa: E402

from safefeed.demo import generate_demo_events  # noqa: E402
from safefeed.ingest import IngestContext  # noqa: E402
from safefeed.runtime import Runtime  # noqa: E402
from safefeed.settings import Settings  # noqa: E402
from safefeed.store.database import sqlite_url  # noqa: E402


def workload(size: int, seed: int) -> bytes:
    """``size`` events of a generated platform, scaled so the mix stays realistic."""
    scale = max(size / 50_000, 0.05)
    events = generate_demo_events(
        seed,
        users=max(int(2000 * scale), 50),
        creators=max(int(150 * scale), 10),
        items=max(int(5000 * scale), 100),
    )
    while len(events) < size:  # top up with a second platform if the mix came out short
        events += generate_demo_events(seed + len(events), users=200, creators=20, items=500)
        for n, event in enumerate(events):
            event["event_id"] = f"bench-{n:09d}"
    return b"\n".join(orjson.dumps(e) for e in events[:size])


def run_case(url: str, body: bytes, size: int, repeats: int) -> dict[str, Any]:
    timings = []
    for _ in range(repeats):
        runtime = Runtime(
            Settings(data_dir=Path(tempfile.gettempdir()), database_url=url, max_batch_events=size)
        )
        runtime.migrate()
        runtime.text_signals.classifier.score(["warm the model up"])
        gc.collect()
        started = time.perf_counter()
        result = runtime.ingestor.ingest_bytes(body, IngestContext(actor="bench"))
        elapsed = time.perf_counter() - started
        runtime.close()
        if result.accepted != size or result.rejected:
            raise SystemExit(f"bench: expected {size} accepted, got {result.as_dict()}")
        timings.append(elapsed)
        _reset(url)
    best = min(timings)
    return {
        "events": size,
        "seconds_best": round(best, 4),
        "seconds_median": round(statistics.median(timings), 4),
        "events_per_second": round(size / best),
        "events_per_second_median": round(size / statistics.median(timings)),
        "repeats": repeats,
    }


def _reset(url: str) -> None:
    """Empty the store for the next repeat."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres-url", help="use this server instead of a throwaway cluster")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest.json")
    args = parser.parse_args()

    console = Console()
    scratch = Path(tempfile.mkdtemp(prefix="safefeed-bench-"))
    cluster = None
    results: list[dict[str, Any]] = []
    try:
        urls: dict[str, str] = {}
        if "sqlite" in args.backends:
            urls["sqlite"] = sqlite_url(scratch / "bench.db")
        if "postgres" in args.backends:
            if args.postgres_url:
                urls["postgres"] = args.postgres_url
            else:
                from tests.support.postgres import ThrowawayCluster

                # Durable settings, unlike the test cluster: the benchmark measures real commits.
                cluster = ThrowawayCluster(durable=True)
                cluster.start()
                cluster.create_database("bench")
                urls["postgres"] = cluster.url("bench")
        for size in args.sizes:
            with console.status(f"generating {size} events"):
                body = workload(size, args.seed)
            for backend, url in urls.items():
                with console.status(f"{backend}: ingesting {size} events x{args.repeats}"):
                    case = run_case(url, body, size, args.repeats)
                results.append({"backend": backend, **case})
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    print_table(
        console,
        "safefeed ingest: one batch through the real Ingestor (best of repeats)",
        ("backend", "batch", "seconds", "events/s", "events/s (median)"),
        (
            (
                row["backend"],
                f"{row['events']:,}",
                f"{row['seconds_best']:.2f}",
                f"{row['events_per_second']:,}",
                f"{row['events_per_second_median']:,}",
            )
            for row in results
        ),
    )
    write_report(console, args.out, "ingest", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
