"""Similar-source benchmark: the cost of "more like this" on a catalog where only part
of the items carry a platform's own embedding (one ANN index per embedding space).

N items (default 100,000) go through the catalog loader as store rows would; a share
of them (default half) carry a 384-d platform embedding, drawn around 500 cluster
centres, the rest only a topic (200 topics) and so a topic vector. Then
`SimilarSource.propose` is timed for a related page's anchor (k = 1,200: the related
quota of 600, twice) and a home session's five recent items (k = 300), each anchor set
in one space or in both, over ``--calls`` distinct anchor sets: p50 and p99. Also the
catalog's build time and resident set growth. Prints a table and writes
``bench/results/similar.json``.

    bench/similar                             # 100k items, half with embeddings
    bench/similar --items 20000 --share 0.2   # a quick run
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.feed import rss_mb  # noqa: E402
from bench.report import print_table, write_report  # noqa: E402

from safefeed.feed.catalog.columns import FeedCatalog  # noqa: E402
from safefeed.feed.catalog.derived import DerivedLists  # noqa: E402
from safefeed.feed.catalog.loader import item_batch  # noqa: E402
from safefeed.feed.config import default_feed_config  # noqa: E402
from safefeed.feed.contracts import FeedRequest  # noqa: E402
from safefeed.feed.sources.base import EMPTY, SourceContext  # noqa: E402
from safefeed.feed.sources.similar import SimilarSource  # noqa: E402
from safefeed.feed.state.user import UserState  # noqa: E402

_CHUNK = 10_000


def build(n_items: int, share: float, dim: int, seed: int) -> FeedCatalog:
    """The catalog, loaded in chunks as a refresh would load store rows."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((500, dim))
    config = default_feed_config()
    catalog = FeedCatalog(config.embedding_dim)
    embedded = rng.random(n_items) < share
    for start in range(0, n_items, _CHUNK):
        rows = []
        for i in range(start, min(start + _CHUNK, n_items)):
            vector = None
            if embedded[i]:
                vector = (centres[i % 500] + 0.8 * rng.standard_normal(dim)).tolist()
            rows.append(SimpleNamespace(
                content_id=f"c{i}", creator_id=f"cr{i % 2000}", topics=[f"t{i % 200}"],
                format="post", duration_s=None, quality_score=None, published_us=0,
                expires_us=None, deleted=False, embedding=vector, embedding_model=None,
                hashtags=[], region=None,
            ))  # fmt: skip
        catalog.upsert_items(item_batch(rows, config.embedding_dim))
    catalog.publish(1)
    return catalog


def time_cases(catalog: FeedCatalog, calls: int, seed: int) -> list[dict[str, Any]]:
    view = catalog.view
    config = default_feed_config()
    lists = DerivedLists(1, 0, {}, {}, EMPTY, EMPTY, EMPTY, EMPTY)
    platform = np.flatnonzero(view.col("space") != 0)
    topic = np.flatnonzero(view.col("space") == 0)
    rng = np.random.default_rng(seed)
    cases = [
        ("related, platform anchor", "related", 1, 0),
        ("related, topic anchor", "related", 0, 1),
        ("home, 5 platform anchors", "home", 5, 0),
        ("home, 5 topic anchors", "home", 0, 5),
        ("home, 2 platform + 3 topic", "home", 2, 3),
    ]
    source = SimilarSource()
    results = []
    for name, surface, n_platform, n_topic in cases:
        limit = 2 * config.surface(surface).quotas["similar"]
        if (n_platform and not len(platform)) or (n_topic and not len(topic)):
            continue
        times = []
        for call in range(calls + 20):  # the first 20 warm up
            anchors = np.concatenate([
                rng.choice(platform, n_platform, replace=False) if n_platform else EMPTY,
                rng.choice(topic, n_topic, replace=False) if n_topic else EMPTY,
            ]).astype(np.int64)  # fmt: skip
            ctx = SourceContext(
                view=view, lists=lists, user=UserState("u"), request=FeedRequest("u", surface),
                surface=config.surface(surface), config=config, now_us=0, personalized=True,
                anchors=anchors,
            )  # fmt: skip
            started = time.perf_counter()
            source.propose(ctx, limit)
            if call >= 20:
                times.append(time.perf_counter() - started)
        results.append({
            "case": name, "k": limit,
            "p50_ms": float(np.percentile(times, 50) * 1e3),
            "p99_ms": float(np.percentile(times, 99) * 1e3),
        })  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.5, help="items with an embedding")
    parser.add_argument("--dim", type=int, default=384, help="the platform embedding's size")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/similar.json")
    args = parser.parse_args()
    console = Console()
    before = rss_mb()
    started = time.perf_counter()
    catalog = build(args.items, args.share, args.dim, args.seed)
    built = time.perf_counter() - started
    grown = rss_mb() - before
    results = time_cases(catalog, args.calls, args.seed)
    spaces = ", ".join(
        f"{s} ({len(i):,})" for s, i in zip(catalog.spaces, catalog.indexes, strict=True)
    )
    print_table(
        console,
        f"similar source: {args.items:,} items; spaces {spaces}",
        ["case", "k", "p50", "p99"],
        [
            (r["case"], f"{r['k']:,}", f"{r['p50_ms']:.2f} ms", f"{r['p99_ms']:.2f} ms")
            for r in results
        ],
    )
    console.print(f"catalog built in {built:.1f} s; resident set grew {grown:.0f} MB")
    write_report(console, args.out, "similar", [
        *results, {"build_seconds": built, "rss_growth_mb": grown, "items": args.items,
                   "share": args.share, "dim": args.dim},
    ])  # fmt: skip


if __name__ == "__main__":
    main()
