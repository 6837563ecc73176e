"""Path audit: random walks through "watch next" recommendations, from mainstream items.

A walk starts on a random item labelled ``mainstream`` and follows one
recommendation per hop, picking slot ``r`` of the related page with weight
``1 / (r + 1)`` (people mostly take the top suggestion) or, for an external graph,
with the edge weights given. The audit reports the share of walks that reach an
item labelled ``harmful`` within ``hops`` hops and at which hop they first do.

The same walker runs on `RelatedPages` of any `Recommender` (related pages
fetched lazily, one batch per hop, only for the items the walks stand on) and on
a `RecommendationGraph` read
from CSV (``edges``: ``source,target[,weight]``; ``nodes``: ``id,label``; an export's
own column names can be mapped onto those), so real audit data is analysed with the
same code. Deterministic by seed.
"""

from __future__ import annotations

import csv
import gzip
import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safefeed.exceptions import InputError
from safefeed.sim.recommender import Recommender, SimRequest
from safefeed.sim.stats import Interval, wilson_interval

__all__ = [
    "EDGE_COLUMNS",
    "NODE_COLUMNS",
    "UNLABELLED",
    "PathAudit",
    "RecommendationGraph",
    "RelatedPages",
    "audit_paths",
    "label_key",
    "label_keys",
]

#: The label of a node known only from an edge.
UNLABELLED = ""
#: The CSV columns read unless the caller names others: source, target, weight / id, label.
EDGE_COLUMNS = ("source", "target", "weight")
NODE_COLUMNS = ("id", "label")
_DELIMITERS = (",", "\t", ";")


def label_key(label: str) -> str:
    """A label as labels are compared: case and runs of spaces do not count.

    One export is often labelled by several hands (``Alt-right``, ``alt-right``,
    ``ALT-RIGHT ``); an exact match would quietly split a category in two.

    >>> label_key(" Intellectual  Dark WEB ")
    'intellectual dark web'
    """
    return " ".join(label.split()).casefold()


def label_keys(label: str | Sequence[str]) -> tuple[str, ...]:
    """The distinct `label_key` of one label or several, in order; none is an error.

    >>> label_keys(["Alt-lite", "ALT-LITE", "Alt-right"])
    ('alt-lite', 'alt-right')
    """
    labels = tuple(dict.fromkeys(map(label_key, (label,) if isinstance(label, str) else label)))
    if not labels or UNLABELLED in labels:
        raise InputError("labels must be non-empty")
    return labels


def _columns(names: Sequence[str], least: int, most: int, kind: str) -> tuple[str, ...]:
    """Column names as headers are matched (stripped, lower case), checked for number."""
    columns = tuple(name.strip().lower() for name in names)
    if not least <= len(columns) <= most or not all(columns) or len(set(columns)) < len(columns):
        wanted = "source,target[,weight]" if kind == "edge" else "id,label"
        raise InputError(
            f"{kind} columns must be {wanted}, distinct and non-empty: got {list(names)}"
        )
    return columns


def _csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV with a header, keys and values stripped, keys lower-cased.

    The line is where the row starts in the file (blank lines and line breaks inside
    quotes counted), so an error points at what an editor shows. Rows with no value
    at all (blank lines, a spreadsheet's ``,,,`` padding) are skipped. A name ending in
    ``.gz`` is read through gzip.
    """
    try:
        # Crawl exports are often shipped compressed; reading them in place saves a copy.
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt", newline="", encoding="utf-8-sig") as f:
            header = f.readline()
            # The delimiter the header uses most: exports come as CSV, TSV or (from
            # spreadsheets in comma-decimal locales) semicolon-separated.
            delimiter = max(_DELIMITERS, key=header.count)
            names = [n.strip().lower() for n in next(csv.reader([header], delimiter=delimiter), [])]
            missing = [column for column in required if column not in names]
            if missing:
                raise InputError(
                    f"{path}: no {', '.join(missing)} column (the header has {names or 'nothing'})"
                )
            # Strict: an unclosed quote would otherwise swallow the rest of the file
            # into one field without a word.
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            while True:
                line = reader.line_num + 2  # the header was line 1, read outside the reader
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    unclosed = (
                        " (a quote opened here is never closed)"
                        if "end of data" in str(exc)
                        else ""
                    )
                    raise InputError(f"{path}:{line}: {exc}{unclosed}") from None
                # Extra fields beyond the header are dropped; missing ones stay absent.
                row = {name: value.strip() for name, value in zip(names, fields, strict=False)}
                if any(row.values()):
                    yield line, row
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except EOFError:
        # Click turns an EOFError into a silent abort (exit 130): name the file instead.
        raise InputError(f"{path}: the compressed file ends early (truncated?)") from None


@dataclass(frozen=True)
class RecommendationGraph:
    """A weighted directed graph in CSR form: node ``n``'s edges are ``indptr[n]:indptr[n+1]``."""

    ids: tuple[str, ...]
    labels: NDArray[np.str_]
    indptr: NDArray[np.int64]
    indices: NDArray[np.int64]
    weights: NDArray[np.float64]

    @classmethod
    def from_edges(
        cls,
        ids: Sequence[str],
        labels: Sequence[str],
        sources: Sequence[int],
        targets: Sequence[int],
        weights: Sequence[float],
    ) -> RecommendationGraph:
        """Build from node ordinals; edge order within a source is kept.

        >>> g = RecommendationGraph.from_edges(
        ...     ["a", "b"], ["mainstream", "harmful"], [0], [1], [1.0])
        >>> g.successors(0), g.successors(1)
        (['b'], [])
        """
        if len(ids) != len(labels):
            raise InputError("every node needs exactly one label")
        # Labels repeat a handful of values: normalise each distinct one once.
        distinct, inverse = np.unique(np.asarray(labels, dtype=np.str_), return_inverse=True)
        keys = np.asarray([label_key(label) for label in distinct.tolist()], dtype=np.str_)
        src = np.asarray(sources, dtype=np.int64)
        order = np.argsort(src, kind="stable")
        counts = np.bincount(src, minlength=len(ids))
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        w = np.asarray(weights, dtype=np.float64)[order]
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise InputError("edge weights must be finite and non-negative")
        return cls(
            ids=tuple(ids),
            labels=keys[inverse] if len(labels) else np.asarray([], dtype=np.str_),
            indptr=indptr,
            indices=np.asarray(targets, dtype=np.int64)[order],
            weights=w,
        )

    @classmethod
    def from_csv(
        cls,
        edges: Path,
        nodes: Path,
        *,
        edge_columns: Sequence[str] | None = None,
        node_columns: Sequence[str] | None = None,
    ) -> RecommendationGraph:
        """Read ``nodes`` (``id,label``) and ``edges`` (``source,target[,weight]``) with headers.

        Audit exports differ in small ways, so the header is matched without regard
        to case or surrounding spaces, a UTF-8 byte-order mark is skipped, and the
        delimiter may be a comma, a tab or a semicolon. An export that names its
        columns otherwise (``from_channel,to_channel,impressions``) says which are which
        with ``edge_columns`` (source, target and optionally weight) and
        ``node_columns`` (id, label); other columns are ignored. Without a weight
        column every edge weighs 1, but a weight column named explicitly must exist.
        A node that appears only in ``edges`` (a recommendation to something outside
        the labelled set, common in crawled audit data) becomes an unlabelled node that
        walks pass through; `unlabelled_nodes` counts them. Repeated edges add up; a
        node listed again with the same label (one row per crawl) is one node, with
        another label an error.
        """
        id_col, label_col = _columns(node_columns or NODE_COLUMNS, 2, 2, "node")
        source_col, target_col, *weight = _columns(edge_columns or EDGE_COLUMNS, 2, 3, "edge")
        weight_col = weight[0] if weight else EDGE_COLUMNS[2]
        # The default weight column is optional; one the caller named is required.
        weight_required = tuple(weight) if edge_columns else ()
        ids: list[str] = []
        labels: list[str] = []
        index: dict[str, int] = {}
        lines: list[int] = []
        for n, row in _csv_rows(nodes, (id_col, label_col)):
            node, label = row.get(id_col), label_key(row.get(label_col, ""))
            if not node or not label:
                raise InputError(f"{nodes}:{n}: a node needs an id and a label")
            seen = index.setdefault(node, len(ids))
            if seen < len(ids):
                if labels[seen] != label:
                    raise InputError(
                        f"{nodes}:{n}: node {node} is labelled {label} here "
                        f"and {labels[seen]} on line {lines[seen]}"
                    )
                continue
            ids.append(node)
            labels.append(label)
            lines.append(n)

        def ordinal(node: str) -> int:
            found = index.get(node)
            if found is None:
                found = index[node] = len(ids)
                ids.append(node)
                labels.append(UNLABELLED)
            return found

        # Typed arrays: a million edges as Python int and float objects cost ~100 MB more.
        sources, targets, weights = array("q"), array("q"), array("d")
        for n, row in _csv_rows(edges, (source_col, target_col, *weight_required)):
            if not row.get(source_col) or not row.get(target_col):
                raise InputError(f"{edges}:{n}: an edge needs a source and a target")
            try:
                value = float(row.get(weight_col) or 1.0)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value < 0:
                raise InputError(f"{edges}:{n}: {weight_col} must be a non-negative number")
            weights.append(value)
            sources.append(ordinal(row[source_col]))
            targets.append(ordinal(row[target_col]))
        return cls.from_edges(ids, labels, sources, targets, weights)

    @property
    def unlabelled_nodes(self) -> int:
        """Nodes that appeared only as an edge's end, without a label."""
        return int((self.labels == UNLABELLED).sum())

    def label_counts(self) -> dict[str, int]:
        """Nodes per label (unlabelled ones under ``""``)."""
        values, counts = np.unique(self.labels, return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}

    def successors(self, node: int) -> list[str]:
        """Ids of a node's recommendations, in order."""
        lo, hi = int(self.indptr[node]), int(self.indptr[node + 1])
        return [self.ids[int(t)] for t in self.indices[lo:hi]]


class RelatedPages:
    """A recommender's "watch next" graph, asked for only where the walks go.

    Expanding every item within ``hops`` of every start costs a related request per
    item of the catalog; walks visit a small part of it. `expand` fetches the pages
    of the given nodes not fetched yet (one batch, as a fresh ``user_id`` sees them)
    and returns the graph known so far.
    """

    def __init__(
        self,
        recommender: Recommender,
        ids: Sequence[str],
        labels: Sequence[str],
        page_size: int = 20,
        step: int = 0,
        user_id: str = "audit-probe",
    ) -> None:
        self.recommender = recommender
        self.ids = list(ids)
        self.labels = list(labels)
        self.page_size, self.step, self.user_id = page_size, step, user_id
        self._index = {node: i for i, node in enumerate(self.ids)}
        self._edges: tuple[list[int], list[int], list[float]] = ([], [], [])
        self._expanded: set[int] = set()
        self._batches = 0
        self._graph = RecommendationGraph.from_edges(self.ids, self.labels, [], [], [])

    def expand(self, nodes: NDArray[np.int64]) -> RecommendationGraph:
        """The graph with the related pages of ``nodes`` (and all earlier ones) in it."""
        todo = sorted(set(nodes.tolist()) - self._expanded)
        if not todo:
            return self._graph
        requests = [
            SimRequest(
                self.user_id,
                f"audit-{self._batches}-{n}",
                "related",
                self.page_size,
                self.step,
                self.ids[n],
            )
            for n in todo
        ]
        self._batches += 1
        sources, targets, weights = self._edges
        for node, page in zip(todo, self.recommender.recommend(requests), strict=True):
            self._expanded.add(node)
            for rank, content in enumerate(page):
                target = self._index.get(content)
                if target is None:
                    continue  # not an item of this catalog: nothing to follow
                sources.append(node)
                targets.append(target)
                weights.append(1.0 / (rank + 1))
        self._graph = RecommendationGraph.from_edges(
            self.ids, self.labels, sources, targets, weights
        )
        return self._graph


@dataclass(frozen=True)
class PathAudit:
    """Outcome of the walks. ``first_hop_counts[h - 1]`` walks first reached the target at hop h.

    ``dead_ends`` walks stood on a node without recommendations at the end, and
    ``stopped_short`` of them had not reached the target first: they count as not
    reaching it, so many of them (a crawl that ends at its frontier) mean the share
    is a lower bound.
    """

    walks: int
    hops: int
    start_labels: tuple[str, ...]
    target_labels: tuple[str, ...]
    reached: int
    first_hop_counts: tuple[int, ...]
    dead_ends: int
    stopped_short: int

    @property
    def share(self) -> float:
        """Share of walks that reached the target label within ``hops``."""
        return self.reached / self.walks if self.walks else 0.0

    @property
    def share_95(self) -> Interval:
        """The share with its 95% Wilson interval: how precisely the walks measured it.

        It says nothing of how well the graph stands for the platform (a crawl's
        coverage), only of the walks' own sampling error.
        """
        return wilson_interval(self.reached, self.walks)

    @property
    def mean_first_hop(self) -> float | None:
        """Mean hop of first arrival among walks that arrived."""
        if not self.reached:
            return None
        hops = np.arange(1, self.hops + 1)
        return float(np.dot(hops, self.first_hop_counts) / self.reached)

    def cumulative_share(self) -> list[float]:
        """Share of walks that have reached the target by each hop."""
        shares: list[float] = (np.cumsum(self.first_hop_counts) / max(self.walks, 1)).tolist()
        return shares

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "walks": self.walks,
            "hops": self.hops,
            "start_labels": list(self.start_labels),
            "target_labels": list(self.target_labels),
            "reached": self.reached,
            "share": self.share,
            "share_95": self.share_95.as_dict(),
            "mean_first_hop": self.mean_first_hop,
            "first_hop_counts": list(self.first_hop_counts),
            "cumulative_share": self.cumulative_share(),
            "dead_ends": self.dead_ends,
            "stopped_short": self.stopped_short,
        }


def audit_paths(
    graph: RecommendationGraph | RelatedPages,
    hops: int = 10,
    walks: int = 1000,
    seed: int = 0,
    start_label: str | Sequence[str] = "mainstream",
    target_label: str | Sequence[str] = "harmful",
    start_ids: Sequence[str] | None = None,
) -> PathAudit:
    """Random walks of ``hops`` steps from ``start_label`` nodes (or ``start_ids``).

    Either label may be several (a harmful cluster is often more than one category
    of an audit's labelling); a walk arrives when it stands on any target label. A
    walk that hits a node without out-edges stops there (counted in ``dead_ends``).

    >>> g = RecommendationGraph.from_edges(
    ...     ["m0", "m1", "h"], ["mainstream", "mainstream", "harmful"], [0, 1], [1, 2], [1.0, 1.0])
    >>> audit = audit_paths(g, hops=2, walks=10, start_ids=["m0"])
    >>> audit.share, audit.first_hop_counts
    (1.0, (0, 10))
    >>> audit_paths(g, hops=1, walks=10, start_ids=["m0"]).share
    0.0
    """
    if hops < 1 or walks < 1:
        raise InputError("hops and walks must be at least 1")
    starts_on = label_keys(start_label)
    targets_on = label_keys(target_label)
    if set(starts_on) & set(targets_on):
        raise InputError(
            f"a label cannot be both start and target: {set(starts_on) & set(targets_on)}"
        )
    lazy = graph if isinstance(graph, RelatedPages) else None
    g = graph if isinstance(graph, RecommendationGraph) else graph.expand(np.zeros(0, np.int64))
    rng = np.random.default_rng(seed)
    if start_ids is not None:
        index = {node: i for i, node in enumerate(g.ids)}
        missing = [s for s in start_ids if s not in index]
        if missing:
            raise InputError(f"start ids not in the graph: {missing[:5]}")
        starts = np.array([index[s] for s in start_ids], dtype=np.int64)
    else:
        starts = np.flatnonzero(np.isin(g.labels, starts_on)).astype(np.int64)
    if starts.size == 0:
        raise InputError(f"no node labelled {' or '.join(map(repr, starts_on))} to start from")
    current = rng.choice(starts, size=walks)
    first = np.full(walks, -1, dtype=np.int64)
    alive = np.ones(walks, dtype=np.bool_)
    target = np.isin(g.labels, targets_on)
    before, moves = _branching(g)
    for hop in range(1, hops + 1):
        if lazy is not None:
            expanded = lazy.expand(current[alive])
            if expanded is not g:
                g = expanded
                before, moves = _branching(g)
        lo, hi = g.indptr[current], g.indptr[current + 1]
        total = before[hi] - before[lo]
        alive &= moves[current]
        draw = before[lo] + rng.random(walks) * total
        if g.indices.size:  # a graph without edges leaves every walk a dead end
            edge = np.clip(
                np.searchsorted(before[1:], draw, side="right"), lo, np.maximum(hi - 1, lo)
            )
            # A dead end's edge index may point one past the last edge: it stays put.
            current = np.where(alive, g.indices[np.minimum(edge, g.indices.size - 1)], current)
        newly = alive & target[current] & (first < 0)
        first[newly] = hop
    counts = np.bincount(first[first > 0], minlength=hops + 1)[1:]
    return PathAudit(
        walks=walks,
        hops=hops,
        start_labels=starts_on,
        target_labels=targets_on,
        reached=int((first > 0).sum()),
        first_hop_counts=tuple(int(c) for c in counts),
        dead_ends=int((~alive).sum()),
        stopped_short=int((~alive & (first < 0)).sum()),
    )


def _branching(g: RecommendationGraph) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Edge probabilities summed over all edges before each edge (and after the last), and
    whether each node has an edge to take.

    One searchsorted over the running sum picks every walk's next edge. Weights are
    made probabilities per node first: a running sum of raw weights loses a node's small
    weights behind another's large ones (view counts beside fractions in one export).
    """
    sources = np.repeat(np.arange(len(g.ids)), np.diff(g.indptr))
    totals = np.bincount(sources, weights=g.weights, minlength=len(g.ids))
    share = np.divide(g.weights, totals[sources], out=np.zeros_like(g.weights), where=g.weights > 0)
    return np.concatenate([[0.0], np.cumsum(share)]), totals > 0
