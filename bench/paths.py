"""Path-audit benchmark: an exported recommendation graph read and walked, at crawl scale.

A crawl-like graph is generated first (not timed): N nodes labelled mainstream (80%),
borderline (15%) and harmful (5%); each node recommends ``--degree`` others on
average, picked with a Zipf-like popularity (a few channels are recommended
everywhere) and a preference for its own label, with long-tailed weights (view
counts). It is written as ``edges.csv`` and ``nodes.csv`` as an audit export would be.
Then a child process does what ``safefeed audit paths --edges --nodes`` does —
`RecommendationGraph.from_csv` and `audit_paths` — and reports the seconds of each
and its peak resident memory (with what the imports alone take, for reference).
Prints a table and writes ``bench/results/paths.json``.

    bench/paths                                  # 10k and 100k nodes, 10 edges each
    bench/paths --nodes 1000000 --walks 100000   # a larger crawl
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
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

_LABELS = ("mainstream", "borderline", "harmful")
_SHARES = (0.80, 0.15, 0.05)


def write_graph(folder: Path, nodes: int, degree: int, seed: int) -> int:
    """Write ``nodes.csv`` and ``edges.csv`` of a crawl-like graph; return the edge count."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(_LABELS), size=nodes, p=_SHARES)
    edges = nodes * degree
    sources = np.repeat(np.arange(nodes), degree)
    # Popular channels are recommended from everywhere: a Zipf-like target rank.
    popular = np.minimum(rng.zipf(1.3, size=edges) - 1, nodes - 1)
    targets = rng.permutation(nodes)[popular]
    # Homophily: half the recommendations stay within the source's own label.
    same = rng.random(edges) < 0.5
    by_label = [np.flatnonzero(labels == k) for k in range(len(_LABELS))]
    for k, members in enumerate(by_label):
        pick = same & (labels[sources] == k)
        targets[pick] = members[rng.integers(0, members.size, int(pick.sum()))]
    weights = np.round(rng.lognormal(4.0, 2.0, size=edges))
    ids = np.char.add("UC", np.char.zfill(np.arange(nodes).astype(str), 9))
    with (folder / "nodes.csv").open("w", encoding="utf-8") as f:
        f.write("id,label\n")
        f.writelines(
            f"{i},{_LABELS[k]}\n" for i, k in zip(ids.tolist(), labels.tolist(), strict=True)
        )
    with (folder / "edges.csv").open("w", encoding="utf-8") as f:
        f.write("source,target,weight\n")
        f.writelines(
            f"{ids[s]},{ids[t]},{w:.0f}\n"
            for s, t, w in zip(sources.tolist(), targets.tolist(), weights.tolist(), strict=True)
        )
    return edges


def _peak_mib() -> float:
    """This process's peak resident memory. VmHWM, not ``ru_maxrss``: Linux carries
    ``ru_maxrss`` over an exec, so a child would report its parent's peak (the graph
    the parent generated)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(folder: Path, walks: int, hops: int, seed: int) -> dict[str, Any]:
    """Read and walk the graph in ``folder`` as the CLI does; seconds and peak memory."""
    from safefeed.sim.paths import RecommendationGraph, audit_paths

    imports_mib = _peak_mib()
    started = time.perf_counter()
    graph = RecommendationGraph.from_csv(folder / "edges.csv", folder / "nodes.csv")
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    audit = audit_paths(graph, hops=hops, walks=walks, seed=seed)
    walk_s = time.perf_counter() - started
    return {
        "read_s": read_s,
        "walk_s": walk_s,
        "share": audit.share,
        "peak_mib": _peak_mib(),
        "imports_mib": imports_mib,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--degree", type=int, default=10, help="recommendations per node")
    parser.add_argument("--walks", type=int, default=100_000)
    parser.add_argument("--hops", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "paths.json")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.nodes) < 2 or args.degree < 1 or args.walks < 1 or args.hops < 1:
        parser.error("--nodes must be at least 2; --degree, --walks and --hops positive")
    if args.child is not None:
        print(json.dumps(child(args.child, args.walks, args.hops, args.seed)))
        return 0

    console = Console()
    results: list[dict[str, Any]] = []
    for nodes in args.nodes:
        scratch = Path(tempfile.mkdtemp(prefix="safefeed-bench-paths-"))
        try:
            with console.status(f"writing a graph of {nodes:,} nodes"):
                edges = write_graph(scratch, nodes, args.degree, args.seed)
                megabytes = (scratch / "edges.csv").stat().st_size / 2**20
            with console.status(f"reading and walking {edges:,} edges"):
                # A process of its own, so its peak memory is the audit's alone.
                run = subprocess.run(
                    [
                        *(sys.executable, __file__, "--child", str(scratch)),
                        *("--walks", str(args.walks), "--hops", str(args.hops)),
                        *("--seed", str(args.seed)),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
            measured = json.loads(run.stdout)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        results.append(
            {
                "nodes": nodes,
                "edges": edges,
                "edges_mib": round(megabytes, 1),
                "walks": args.walks,
                "hops": args.hops,
                **{k: round(v, 3) for k, v in measured.items()},
            }
        )

    print_table(
        console,
        f"path audit: read an export and walk it ({args.walks:,} x {args.hops})",
        ("nodes", "edges", "edges.csv MiB", "read s", "walk s", "peak MiB", "imports MiB"),
        (
            (
                f"{row['nodes']:,}",
                f"{row['edges']:,}",
                f"{row['edges_mib']:.1f}",
                f"{row['read_s']:.2f}",
                f"{row['walk_s']:.2f}",
                f"{row['peak_mib']:.0f}",
                f"{row['imports_mib']:.0f}",
            )
            for row in results
        ),
    )
    write_report(console, args.out, "paths", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
