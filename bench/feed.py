"""Feed benchmark: latency, throughput and memory of the real engine at scale.

A catalog of N items (default 1,000,000) and U users (default 100,000) is generated
straight into the in-memory catalog and, in bulk, into the store (policy state of
every item, accounts, follows, topic affinities) — not through the HTTP API. Then:

- in process: ``FeedEngine.serve`` for single home-page requests of random users
  (20 items, the whole pipeline): p50 / p99 and the number of candidates scored per
  request, with the engine as a server runs it (background mode: the served log is
  written behind the response, and its writer's CPU is counted in the process CPU
  time), and again with the log written before each call returns (the batch callers'
  mode, where every commit waits for its fsync);
- batch: pages per second for batches of 1,000 users;
- HTTP: the real app under uvicorn on loopback, one forked server process per core,
  each on a listening socket of its own, load from a separate process (concurrent
  keep-alive connections spread over the processes round-robin, as a load balancer
  would): requests/s and p99;
- memory: resident set size of the catalog and its ANN index (growth over the
  loaded process before generation).

Prints a table and writes ``bench/results/feed.json``.

Building the ANN index and writing the store take most of the set-up (some ten
minutes at 1M items), so both are kept under ``bench/results/cache`` keyed by
items, users and seed, and reused by the next run with the same ones (the catalog
columns are generated again: seconds). ``--no-cache`` builds everything afresh.

    bench/feed                               # 1M items, 100k users
    bench/feed --items 100000 --users 10000  # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import platform
import random
import resource
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from safefeed.clock import SystemClock, to_us  # noqa: E402
from safefeed.feed.catalog.columns import ItemBatch  # noqa: E402
from safefeed.feed.catalog.embedding import topic_vector  # noqa: E402
from safefeed.feed.catalog.index import AnnIndex  # noqa: E402
from safefeed.feed.contracts import FeedRequest  # noqa: E402
from safefeed.runtime import Runtime  # noqa: E402
from safefeed.settings import Settings  # noqa: E402
from safefeed.store.database import sqlite_url  # noqa: E402
from safefeed.store.feed_tables import FeedAffinity  # noqa: E402
from safefeed.store.tables import Account, FollowEdge, PolicyStateRow, table_of  # noqa: E402

TOPICS = [f"topic{i:03d}" for i in range(200)]
FORMATS = ["post", "article", "video", "short", "live_replay", "podcast"]
_CHUNK = 50_000


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _LoadedLater(AnnIndex):
    """An index that takes no vectors: its graph is loaded from the cache instead."""

    def add(self, rows: Any, vectors: Any) -> None:
        pass

    def tombstone(self, rows: Any) -> None:
        pass


def generate_catalog(
    runtime: Runtime, n_items: int, seed: int, index_file: Path | None = None
) -> dict[str, float]:
    """Items straight into the in-memory catalog (and their statistics arrays). With
    ``index_file``, the ANN graph is loaded from it when it exists (the same items,
    seed and dimension made it) and saved to it otherwise."""
    rng = np.random.default_rng(seed)
    now_us = to_us(runtime.clock.now())
    catalog = runtime.feed.catalog
    dim = catalog.dim
    cached = index_file is not None and index_file.exists()
    if cached:
        catalog.indexes[0] = _LoadedLater(dim)
    n_creators = max(n_items // 50, 10)
    # Creator popularity and topic mix are skewed, as on a real platform.
    creator = (rng.zipf(1.3, n_items) - 1) % n_creators
    topic = rng.integers(0, len(TOPICS), n_items)
    basis = np.stack([topic_vector(t, dim) for t in TOPICS])
    started = time.perf_counter()
    for start in range(0, n_items, 200_000):
        stop = min(start + 200_000, n_items)
        size = stop - start
        vectors = basis[topic[start:stop]] + 0.15 * rng.standard_normal((size, dim))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        age_us = rng.exponential(3 * 86400e6, size).astype(np.int64)
        fmt = rng.integers(0, len(FORMATS), size)
        batch = ItemBatch(
            content_ids=[f"c{i:08d}" for i in range(start, stop)],
            creator_ids=[f"cr{c:07d}" for c in creator[start:stop]],
            topics=[(TOPICS[t],) for t in topic[start:stop]],
            formats=[FORMATS[f] for f in fmt],
            durations=rng.uniform(10, 1200, size).tolist(),
            qualities=rng.beta(5, 2, size).tolist(),
            published_us=(now_us - age_us).tolist(),
            expires_us=[None] * size,
            deleted=[False] * size,
            embeddings=vectors.astype(np.float32),
        )
        rows = catalog.upsert_items(batch)
        impressions = rng.gamma(2.0, 200.0, size).astype(np.float32)
        opens = impressions * rng.beta(2, 15, size).astype(np.float32)
        catalog.update_stats(
            rows,
            {
                "w_impressions": impressions,
                "n_impressions": impressions,
                "w_opens": opens,
                "n_opens": opens,
                "w_dwells": opens,
                "w_dwell_ratio": opens * rng.uniform(0.2, 1.4, size).astype(np.float32),
                "n_dwell_s": opens * rng.uniform(5, 200, size).astype(np.float32),
                "w_saves": opens * 0.05,
                "w_likes": opens * 0.2,
                "w_hides": impressions * rng.beta(1, 60, size).astype(np.float32),
                "n_hides": impressions * 0.02,
                "w_reports": impressions * rng.beta(1, 800, size).astype(np.float32),
                "n_reports": impressions * 0.002,
                "velocity": opens * rng.uniform(0, 0.05, size).astype(np.float32),
            },
        )
        catalog.update_stats(rows, {"velocity_us": np.full(size, now_us, np.int64)})
    if cached:
        assert index_file is not None
        catalog.indexes[0] = AnnIndex(dim)
        catalog.indexes[0].load(index_file)
    elif index_file is not None:
        catalog.indexes[0].save(index_file)
    catalog.publish(0)
    return {
        "seconds": time.perf_counter() - started,
        "creators": float(n_creators),
        "index_cached": float(cached),
    }


def generate_store(runtime: Runtime, n_items: int, n_users: int, seed: int) -> float:
    """Policy state for every item, and users with follows and affinities, in bulk."""
    rng = random.Random(seed)
    now_us = to_us(runtime.clock.now())
    started = time.perf_counter()
    states = table_of(PolicyStateRow)
    accounts, follows, affinities = (
        table_of(Account),
        table_of(FollowEdge),
        table_of(FeedAffinity),
    )
    n_creators = max(n_items // 50, 10)
    state_choices = ["allowed"] * 90 + ["limited_distribution"] * 4 + ["restricted"] * 3
    state_choices += ["needs_review"] * 2 + ["blocked"]
    with runtime.database.write() as conn:
        for start in range(0, n_items, _CHUNK):
            rows = [
                {
                    "subject_type": "content",
                    "subject_id": f"c{i:08d}",
                    "state": rng.choice(state_choices),
                    "policy_version": "bench",
                    "reasons": [],
                    "surfaces": {},
                    "review_status": None,
                    "updated_us": now_us,
                    "revision": 1,
                }
                for i in range(start, min(start + _CHUNK, n_items))
            ]
            conn.execute(states.insert(), rows)
        conn.exec_driver_sql("UPDATE policy_revision SET revision = 1")
        bands = ["18_24", "25_plus", "25_plus", "16_17", "unknown"]
        for start in range(0, n_users, _CHUNK):
            users = range(start, min(start + _CHUNK, n_users))
            conn.execute(
                accounts.insert(),
                [
                    {
                        "user_id": f"u{u:07d}",
                        "age_band": rng.choice(bands),
                        "region": "US",
                        "timezone": None,
                        "language": "en",
                        "is_creator": False,
                        "created_us": now_us - 90 * 86_400_000_000,
                    }
                    for u in users
                ],
            )
            conn.execute(
                follows.insert(),
                [
                    {"user_id": f"u{u:07d}", "creator_id": f"cr{c:07d}", "created_us": now_us}
                    for u in users
                    for c in {rng.randrange(n_creators) for _ in range(8)}
                ],
            )
            conn.execute(
                affinities.insert(),
                [
                    {
                        "user_id": f"u{u:07d}",
                        "kind": "topic",
                        "key": t,
                        "weight": rng.uniform(0.5, 6.0),
                        "updated_us": now_us,
                    }
                    for u in users
                    for t in {rng.choice(TOPICS) for _ in range(5)}
                ],
            )
            conn.execute(
                affinities.insert(),
                [
                    {
                        "user_id": f"u{u:07d}",
                        "kind": "creator",
                        "key": f"cr{c:07d}",
                        "weight": rng.uniform(0.5, 6.0),
                        "updated_us": now_us,
                    }
                    for u in users
                    for c in {rng.randrange(n_creators) for _ in range(10)}
                ],
            )
    return time.perf_counter() - started


def copy_store(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite store (WAL included), by SQLite's backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_in_process(runtime: Runtime, n_users: int, requests: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    engine = runtime.feed
    for _ in range(200):  # warm the gate memo and the connection pool, as a server would be
        engine.serve([FeedRequest(user_id=f"u{rng.randrange(n_users):07d}")])
    latencies, cpu, process, scored, sizes = [], [], [], [], []
    for _ in range(requests):
        request = FeedRequest(user_id=f"u{rng.randrange(n_users):07d}")
        started, started_cpu = time.perf_counter(), time.thread_time()
        started_process = time.process_time()
        response = engine.serve([request])[0]
        latencies.append((time.perf_counter() - started) * 1000)
        # CPU time of the serving thread: what a busy, shared machine inflates least.
        cpu.append((time.thread_time() - started_cpu) * 1000)
        # ... and of the whole process (a served-log writer thread included).
        process.append((time.process_time() - started_process) * 1000)
        scored.append(sum(response.trace["candidates_by_source"].values()))
        sizes.append(len(response.items))
    engine.flush()  # the log written behind these responses is part of their cost
    return {
        "requests": requests,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies),
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p99_ms": percentile(cpu, 0.99),
        "process_cpu_mean_ms": statistics.fmean(process),
        "candidates_scored_mean": statistics.fmean(scored),
        "candidates_scored_min": min(scored),
        "page_items_mean": statistics.fmean(sizes),
    }


def bench_batch(runtime: Runtime, n_users: int, batches: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    pages = 0
    started = time.perf_counter()
    for _ in range(batches):
        users = [f"u{rng.randrange(n_users):07d}" for _ in range(1000)]
        pages += len(runtime.feed.serve([FeedRequest(user_id=u) for u in users]))
    seconds = time.perf_counter() - started
    return {"batch_size": 1000, "batches": batches, "pages_per_s": pages / seconds}


async def _client(
    port: int, token: str, n_users: int, deadline: float, rng: random.Random, out: list[float]
) -> None:
    """One keep-alive connection issuing requests back to back (raw HTTP/1.1: a
    full HTTP client costs as much CPU as the server's work, on the same 2 cores)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while time.perf_counter() < deadline:
        user = f"u{rng.randrange(n_users):07d}"
        started = time.perf_counter()
        writer.write(
            f"GET /v1/feed/home?user_id={user} HTTP/1.1\r\nHost: bench\r\n"
            f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        body = await reader.readexactly(length)
        out.append((time.perf_counter() - started) * 1000)
        assert status == b"200", body[:500]
    writer.close()


def _load(
    ports: list[int], token: str, n_users: int, seconds: float, clients: int, out: Any
) -> None:
    """The load generator process: ``clients`` concurrent connections, spread over the
    server processes round-robin."""

    async def run() -> list[float]:
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(
                _client(
                    ports[seed % len(ports)],
                    token,
                    n_users,
                    deadline,
                    random.Random(seed),
                    latencies,
                )
                for seed in range(clients)
            )
        )
        return latencies

    started = time.process_time()
    latencies = asyncio.run(run())
    out.put((latencies, time.process_time() - started))


def _server(runtime: Runtime, sock: socket.socket) -> None:
    """One forked server process on the shared listening socket (the catalog and its
    index are shared copy-on-write with the parent)."""
    import uvicorn

    from safefeed.api.app import create_app

    runtime.database.engine.dispose(close=False)  # connections are not shared over fork
    runtime.feed.start_background(("home",)).join()  # warm already: a quick pass
    config = uvicorn.Config(create_app(runtime), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def bench_http(
    runtime: Runtime, n_users: int, seconds: float, clients: int, servers: int
) -> dict[str, Any]:
    with runtime.database.write() as conn:
        token = runtime.keys.issue(conn, "bench", ["service"], actor="bench", reason="bench").token
    # A listening socket per server process, as behind a load balancer: on one shared
    # socket, the process that wakes first accepts every keep-alive connection the load
    # generator opens at once, and the other serves nothing.
    sockets = []
    for _ in range(servers):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        sockets.append(sock)
    ports = [sock.getsockname()[1] for sock in sockets]
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_server, args=(runtime, sock)) for sock in sockets]
    for worker in workers:
        worker.start()
    for port in ports:
        for _ in range(600):  # until every server answers (each is ready once started)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
                    if probe.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            time.sleep(0.1)
    time.sleep(1.0)
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    load = spawn.Process(target=_load, args=(ports, token, n_users, seconds, clients, queue))
    servers_cpu = [_cpu_seconds(worker.pid) for worker in workers]
    load.start()
    latencies, load_cpu = queue.get()
    load.join()
    servers_cpu = [_cpu_seconds(w.pid) - cpu for w, cpu in zip(workers, servers_cpu, strict=True)]
    for worker in workers:
        worker.terminate()
        worker.join()
    for sock in sockets:
        sock.close()
    return {
        "servers": servers,
        "clients": clients,
        "seconds": seconds,
        "requests": len(latencies),
        "req_per_s": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        # Where the 2 cores went: each server's CPU seconds, and CPU per request.
        "server_cpu_s": servers_cpu,
        "server_cpu_per_request_ms": 1000 * sum(servers_cpu) / max(len(latencies), 1),
        "load_generator_cpu_per_request_ms": 1000 * load_cpu / max(len(latencies), 1),
    }


def _cpu_seconds(pid: int | None) -> float:
    """User plus system CPU time of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--http-seconds", type=float, default=20.0)
    parser.add_argument("--http-clients", type=int, default=8)
    parser.add_argument(
        "--http-servers", type=int, default=os.cpu_count() or 1, help="server processes"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cache",
        type=Path,
        default=ROOT / "bench" / "results" / "cache",
        help="where the ANN index and the store are kept between runs",
    )
    parser.add_argument("--no-cache", action="store_true", help="build everything afresh")
    args = parser.parse_args()
    console = Console()
    workdir = Path(tempfile.mkdtemp(prefix="safefeed-bench-feed-"))
    database = workdir / "bench.db"
    cache: Path | None = None if args.no_cache else args.cache
    store_file = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        store_file = cache / f"store-{args.items}-{args.users}-{args.seed}.db"
    store_cached = store_file is not None and store_file.exists()
    if store_cached:
        assert store_file is not None
        copy_store(store_file, database)
    settings = Settings(
        data_dir=workdir, database_url=sqlite_url(database), text_classifier="keyword"
    )
    runtime = Runtime(settings, clock=SystemClock())
    runtime.migrate()
    index_file = None
    if cache is not None:
        dim = runtime.feed.catalog.dim
        index_file = cache / f"index-{args.items}-{args.seed}-d{dim}.usearch"
    gc.collect()
    rss_before = rss_mb()
    with console.status(f"generating {args.items:,} items into the catalog and index"):
        made = generate_catalog(runtime, args.items, args.seed, index_file)
    gc.collect()
    rss_catalog = rss_mb() - rss_before
    store_seconds = 0.0
    if not store_cached:
        with console.status(f"writing policy state and {args.users:,} users to the store"):
            store_seconds = generate_store(runtime, args.items, args.users, args.seed)
        if store_file is not None:
            runtime.database.engine.dispose()
            copy_store(database, store_file)
    now = runtime.clock.now()
    runtime.feed.mark_catalog_fresh(now)
    with console.status("loading policy state, building derived lists and gate verdicts"):
        started = time.perf_counter()
        runtime.feed.warm(("home",))
        warm_seconds = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # the catalog is long-lived: keep the collector from walking it
    with console.status("in-process latency, served log written before returning"):
        in_process_sync = bench_in_process(runtime, args.users, args.requests, args.seed)
    with console.status("batch throughput"):
        batch = bench_batch(runtime, args.users, args.batches, args.seed)
    # As a server runs it: the served log written behind the response (background mode).
    runtime.feed.start_background(("home",)).join()
    with console.status("in-process latency, served log written behind the response"):
        in_process = bench_in_process(runtime, args.users, args.requests, args.seed + 1)
    runtime.feed.close()  # its writer thread would not survive the fork below
    with console.status("HTTP on loopback"):
        http = bench_http(
            runtime, args.users, args.http_seconds, args.http_clients, args.http_servers
        )
    results = {
        "machine": {"python": platform.python_version(), "cpus": multiprocessing.cpu_count()},
        "items": args.items,
        "users": args.users,
        "generation_seconds": made["seconds"],
        "index_cached": bool(made["index_cached"]),
        "store_seconds": store_seconds,
        "store_cached": store_cached,
        "warm_seconds": warm_seconds,
        "rss_catalog_and_index_mb": rss_catalog,
        "rss_total_mb": rss_mb(),
        "in_process": in_process,
        "in_process_log_before_return": in_process_sync,
        "batch": batch,
        "http": http,
    }
    table = Table(title=f"feed: {args.items:,} items, {args.users:,} users, 20-item home page")
    for column in ("measure", "value", "goal"):
        table.add_column(column)
    table.add_row(
        "candidates scored / request", f"{in_process['candidates_scored_mean']:.0f}", ">= 1,500"
    )
    table.add_row("in-process p50", f"{in_process['p50_ms']:.1f} ms", "<= 10 ms")
    table.add_row("in-process p99", f"{in_process['p99_ms']:.1f} ms", "<= 30 ms")
    table.add_row(
        "in-process CPU p50 / p99 (serving thread)",
        f"{in_process['cpu_p50_ms']:.1f} / {in_process['cpu_p99_ms']:.1f} ms",
        "",
    )
    table.add_row(
        "in-process CPU mean (process)", f"{in_process['process_cpu_mean_ms']:.1f} ms", ""
    )
    table.add_row(
        "in-process p50 / p99, log written before returning",
        f"{in_process_sync['p50_ms']:.1f} / {in_process_sync['p99_ms']:.1f} ms",
        "",
    )
    table.add_row("HTTP req/s", f"{http['req_per_s']:.0f}", ">= 300")
    table.add_row("HTTP p99", f"{http['p99_ms']:.1f} ms", "<= 100 ms")
    table.add_row(
        "HTTP CPU / request: servers, load generator",
        f"{http['server_cpu_per_request_ms']:.1f}, "
        f"{http['load_generator_cpu_per_request_ms']:.1f} ms",
        "",
    )
    table.add_row("batch pages/s (1,000 users)", f"{batch['pages_per_s']:.0f}", "")
    table.add_row("RSS catalog + index", f"{rss_catalog:.0f} MB", "<= 2,048 MB")
    console.print(table)
    out = ROOT / "bench" / "results" / "feed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"wrote {out.relative_to(ROOT)}")
    runtime.close()


if __name__ == "__main__":
    main()
