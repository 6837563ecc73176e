"""Path audit on hand-made graphs with known answers, from CSV and from a Recommender."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from safefeed.exceptions import InputError
from safefeed.sim.feedback import StepFeedback
from safefeed.sim.paths import RecommendationGraph, RelatedPages, audit_paths
from safefeed.sim.recommender import SimRequest


def _chain_csv(tmp_path: Path, k: int) -> tuple[Path, Path]:
    """m0 -> m1 -> ... -> m{k-1} -> h: from m0, exactly k hops reach harmful."""
    nodes = tmp_path / "nodes.csv"
    edges = tmp_path / "edges.csv"
    names = [f"m{i}" for i in range(k)] + ["h"]
    nodes.write_text(
        "id,label\n" + "".join(f"{n},{'harmful' if n == 'h' else 'mainstream'}\n" for n in names)
    )
    edges.write_text("source,target,weight\n" + "".join(f"{a},{b},1\n" for a, b in pairwise(names)))
    return edges, nodes


def _graph(tmp_path: Path, nodes: str, edges: str) -> RecommendationGraph:
    (tmp_path / "n.csv").write_text(nodes)
    (tmp_path / "e.csv").write_text(edges)
    return RecommendationGraph.from_csv(tmp_path / "e.csv", tmp_path / "n.csv")


def test_a_chain_reaches_harmful_at_exactly_hop_k(tmp_path: Path) -> None:
    graph = RecommendationGraph.from_csv(*_chain_csv(tmp_path, 4))
    audit = audit_paths(graph, hops=10, walks=50, start_ids=["m0"])
    assert audit.share == 1.0
    assert audit.first_hop_counts == (0, 0, 0, 50, 0, 0, 0, 0, 0, 0)
    assert audit.mean_first_hop == 4.0
    assert audit.dead_ends == 50  # h has no recommendations
    assert audit_paths(graph, hops=3, walks=50, start_ids=["m0"]).share == 0.0


def test_from_every_mainstream_start_the_hop_is_the_distance(tmp_path: Path) -> None:
    graph = RecommendationGraph.from_csv(*_chain_csv(tmp_path, 4))
    audit = audit_paths(graph, hops=10, walks=4000, seed=1)
    # Starts m0..m3 are equally likely; m_i is 4 - i hops away.
    assert audit.share == 1.0
    assert [c / 4000 for c in audit.first_hop_counts[:4]] == pytest.approx([0.25] * 4, abs=0.03)


@pytest.mark.parametrize("unit", ["1", "1e-4"])
def test_weights_set_the_branching_probabilities(tmp_path: Path, unit: str) -> None:
    # From a: harmful with weight 1, back to mainstream b with 3; b loops to itself.
    # Beside a node weighted in trillions (view counts next to fractions in one export),
    # a's branching must still depend on its own weights alone.
    graph = _graph(
        tmp_path,
        "id,label\nbig,mainstream\na,mainstream\nb,mainstream\nh,harmful\n",
        f"source,target,weight\nbig,big,1e12\na,h,{unit}\na,b,{3 * float(unit)}\nb,b,1\n",
    )
    audit = audit_paths(graph, hops=5, walks=20_000, seed=2, start_ids=["a"])
    assert audit.share == pytest.approx(0.25, abs=0.015)
    assert audit.first_hop_counts[1:] == (0, 0, 0, 0)


def test_a_graph_without_edges_is_all_dead_ends() -> None:
    # A tiny world's related pages can all come back empty: no walk moves.
    graph = RecommendationGraph.from_edges(["m", "h"], ["mainstream", "harmful"], [], [], [])
    audit = audit_paths(graph, hops=3, walks=20, seed=1)
    assert (audit.share, audit.dead_ends, audit.first_hop_counts) == (0.0, 20, (0, 0, 0))


def test_same_seed_same_walks(tmp_path: Path) -> None:
    graph = RecommendationGraph.from_csv(*_chain_csv(tmp_path, 3))
    assert audit_paths(graph, walks=100, seed=7) == audit_paths(graph, walks=100, seed=7)


def test_bad_csv_is_a_clear_error(tmp_path: Path) -> None:
    nodes = tmp_path / "n.csv"
    edges = tmp_path / "e.csv"
    nodes.write_text("id,label\na,mainstream\n")
    edges.write_text("source,weight\na,1\n")
    with pytest.raises(
        InputError, match=r"no target column \(the header has \['source', 'weight'\]\)"
    ):
        RecommendationGraph.from_csv(edges, nodes)
    edges.write_text("source,target,weight\na,,1\n")
    with pytest.raises(InputError, match=r"e.csv:2: an edge needs a source and a target"):
        RecommendationGraph.from_csv(edges, nodes)
    edges.write_text("source,target,weight\na,a,heavy\n")
    with pytest.raises(InputError, match=r"e.csv:2: weight must be a non-negative number"):
        RecommendationGraph.from_csv(edges, nodes)
    with pytest.raises(InputError, match=r"missing\.csv: No such file"):
        RecommendationGraph.from_csv(edges, tmp_path / "missing.csv")
    for weight in ("-1", "nan", "inf"):
        edges.write_text(f"source,target,weight\na,a,1\na,a,{weight}\n")
        with pytest.raises(InputError, match=r"e.csv:3: weight must be a non-negative number"):
            RecommendationGraph.from_csv(edges, nodes)
    nodes.write_text("id,label\na,harmful\n")
    edges.write_text("source,target\na,a\n")
    with pytest.raises(InputError, match="no node labelled 'mainstream'"):
        audit_paths(RecommendationGraph.from_csv(edges, nodes))


def test_nodes_only_in_the_edges_are_unlabelled_and_walks_pass_through_them(
    tmp_path: Path,
) -> None:
    # x and y were recommended but never labelled (outside the audit's labelled set).
    graph = _graph(
        tmp_path, "id,label\na,mainstream\nh,harmful\n", "source,target\na,x\nx,y\ny,h\n"
    )
    assert graph.unlabelled_nodes == 2
    assert graph.label_counts() == {"": 2, "harmful": 1, "mainstream": 1}
    audit = audit_paths(graph, hops=3, walks=40)
    assert audit.share == 1.0
    assert audit.first_hop_counts == (0, 0, 40)


def test_a_harmful_cluster_of_several_labels(tmp_path: Path) -> None:
    # From m: alt-lite (weight 1), control (weight 1); alt-lite leads on to alt-right.
    graph = _graph(
        tmp_path,
        "id,label\nm,media\nl,alt-lite\nr,alt-right\nc,control\n",
        "source,target,weight\nm,l,1\nm,c,1\nl,r,1\nc,c,1\n",
    )
    right_only = audit_paths(graph, 3, 20_000, 4, start_label="media", target_label="alt-right")
    cluster = audit_paths(
        graph, 3, 20_000, 4, start_label=["media"], target_label=["alt-lite", "alt-right"]
    )
    assert right_only.share == pytest.approx(0.5, abs=0.015)
    assert right_only.first_hop_counts[0] == 0  # alt-right is two hops out
    assert cluster.share == pytest.approx(0.5, abs=0.015)
    assert cluster.first_hop_counts[1:] == (0, 0)  # the cluster is reached at hop 1 or never
    assert cluster.as_dict()["target_labels"] == ["alt-lite", "alt-right"]
    with pytest.raises(InputError, match="both start and target"):
        audit_paths(graph, start_label=["media", "control"], target_label=["control"])


def test_exports_with_a_bom_tabs_or_semicolons_and_loose_headers_read_alike(
    tmp_path: Path,
) -> None:
    plain = RecommendationGraph.from_csv(*_chain_csv(tmp_path, 3))
    nodes = tmp_path / "n.tsv"
    edges = tmp_path / "e.tsv"
    nodes.write_text(
        "\ufeffID\t Label \nm0\tmainstream\nm1\tmainstream\nm2\tmainstream\nh\tharmful\n"
    )
    edges.write_text("Source;Target;Weight\nm0;m1;1\nm1;m2;1\nm2;h;1\n")
    loose = RecommendationGraph.from_csv(edges, nodes)
    assert loose.ids == plain.ids
    assert loose.labels.tolist() == plain.labels.tolist()
    assert loose.indices.tolist() == plain.indices.tolist()
    assert audit_paths(loose, walks=200, seed=5) == audit_paths(plain, walks=200, seed=5)


def test_an_export_with_its_own_column_names_reads_with_a_mapping(tmp_path: Path) -> None:
    # Shaped like a channel-recommendation crawl: its own names, extra columns, weights
    # that are impression counts.
    nodes = tmp_path / "channels.csv"
    edges = tmp_path / "recs.csv"
    nodes.write_text("channel_id,title,Category\na,A news,media\nb,B,media\nh,H,alt-right\n")
    edges.write_text(
        "from_channel_id,to_channel_id,relevant_impressions_daily,crawl\n"
        "a,h,100,1\na,b,300,1\nb,b,50,1\n"
    )
    graph = RecommendationGraph.from_csv(
        edges,
        nodes,
        edge_columns=["from_channel_id", "to_channel_id", "Relevant_Impressions_Daily"],
        node_columns=["channel_id", "category"],
    )
    assert graph.ids == ("a", "b", "h")
    assert graph.labels.tolist() == ["media", "media", "alt-right"]
    assert sorted(graph.weights.tolist()) == [50.0, 100.0, 300.0]
    audit = audit_paths(graph, 5, 20_000, 2, start_ids=["a"], target_label="alt-right")
    assert audit.share == pytest.approx(0.25, abs=0.015)  # 100 of a's 400 impressions

    # Without the weight column every edge weighs 1; a named one must be there.
    unweighted = RecommendationGraph.from_csv(
        edges, nodes, edge_columns=["from_channel_id", "to_channel_id"],
        node_columns=["channel_id", "category"],
    )  # fmt: skip
    assert unweighted.weights.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(InputError, match=r"recs\.csv: no views column"):
        RecommendationGraph.from_csv(
            edges, nodes, edge_columns=["from_channel_id", "to_channel_id", "views"],
            node_columns=["channel_id", "category"],
        )  # fmt: skip
    with pytest.raises(InputError, match=r"no id, label column"):
        RecommendationGraph.from_csv(
            edges, nodes, edge_columns=["from_channel_id", "to_channel_id"]
        )
    for bad in (["from_channel_id"], ["a", "a"], ["a", ""], ["a", "b", "c", "d"]):
        with pytest.raises(InputError, match="edge columns must be source,target"):
            RecommendationGraph.from_csv(edges, nodes, edge_columns=bad)


class ChainRecommender:
    """related(m_i) = [m_{i+1}, decoy]; the decoy's related page is empty."""

    name = "chain"

    def __init__(self, k: int) -> None:
        self.k = k
        self.seen: list[int] = []

    def observe(self, feedback: StepFeedback) -> None:
        pass

    def recommend(self, requests: Sequence[SimRequest]) -> list[list[str]]:
        self.seen.append(len(requests))
        pages = []
        for request in requests:
            assert request.surface == "related"
            anchor = request.anchor_id or ""
            if anchor.startswith("m"):
                i = int(anchor[1:])
                pages.append([f"m{i + 1}" if i + 1 < self.k else "h", "decoy"])
            else:
                pages.append([])
        return pages


def test_audit_through_a_recommender_follows_related_pages() -> None:
    k = 3
    ids = [f"m{i}" for i in range(k)] + ["h", "decoy"]
    labels = ["mainstream"] * k + ["harmful", "borderline"]
    rec = ChainRecommender(k)
    pages = RelatedPages(rec, ids, labels)
    audit = audit_paths(pages, hops=k, walks=30_000, seed=3, start_ids=["m0"])
    assert pages.expand(np.zeros(0, np.int64)).successors(0) == ["m1", "decoy"]
    # One batch per hop, only for where walks stand; the decoy (a dead end) is asked once.
    assert rec.seen == [1, 2, 1]
    # Slot weights 1 and 1/2: the chain is taken with probability 2/3 at each of k hops.
    assert audit.share == pytest.approx((2 / 3) ** k, abs=0.015)
    assert audit.first_hop_counts[:2] == (0, 0)


def test_errors_name_the_physical_line_past_blank_lines_and_quoted_newlines(
    tmp_path: Path,
) -> None:
    nodes = tmp_path / "n.csv"
    edges = tmp_path / "e.csv"
    # A title with a line break inside quotes, a blank line: the bad row is on line 6.
    nodes.write_text('id,title,label\na,"two\nlines",mainstream\n\nb,B,harmful\nc,C,\n')
    edges.write_text("source,target\na,b\n")
    with pytest.raises(InputError, match=r"n\.csv:6: a node needs an id and a label"):
        RecommendationGraph.from_csv(edges, nodes)


def test_rows_of_empty_fields_are_skipped_like_blank_lines(tmp_path: Path) -> None:
    # Spreadsheets pad an export with ",,," rows and CRLF line ends.
    graph = _graph(
        tmp_path,
        "id,label\r\na,mainstream\r\n,\r\nh,harmful\r\n\r\n",
        "source,target,weight\r\na,h,1\r\n,,\r\n , ,\r\n",
    )
    assert graph.ids == ("a", "h")
    assert graph.successors(0) == ["h"]


def test_malformed_csv_is_an_error_with_its_line_not_a_traceback(tmp_path: Path) -> None:
    edges = tmp_path / "e.csv"
    edges.write_text("source,target\na,h\n")
    # An unclosed quote would swallow every row after it into one field.
    nodes = tmp_path / "n.csv"
    nodes.write_text('id,label\na,mainstream\nh,"harmful\nb,mainstream\n')
    with pytest.raises(
        InputError,
        match=r"n\.csv:3: unexpected end of data \(a quote opened here is never closed\)",
    ):
        RecommendationGraph.from_csv(edges, nodes)
    nodes.write_text("id,label\na,mainstream\nh," + "x" * 200_000 + "\n")
    with pytest.raises(InputError, match=r"n\.csv:3: field larger than field limit"):
        RecommendationGraph.from_csv(edges, nodes)


def test_labels_match_whatever_their_case_and_spacing(tmp_path: Path) -> None:
    # One export, several hands: the same category spelt three ways.
    graph = _graph(
        tmp_path,
        "id,label\na,Mainstream\nb,MAINSTREAM\nh, harmful \nd,Intellectual  Dark Web\n",
        "source,target\na,h\nb,d\n",
    )
    assert graph.label_counts() == {"mainstream": 2, "harmful": 1, "intellectual dark web": 1}
    audit = audit_paths(graph, hops=1, walks=4000, seed=1, start_label="Mainstream")
    # Both mainstream nodes start walks: half go to h, half to d.
    assert audit.share == pytest.approx(0.5, abs=0.03)
    idw = audit_paths(
        graph, 1, 100, 1, start_label="MAINSTREAM", target_label="intellectual dark web"
    )
    assert idw.target_labels == ("intellectual dark web",)
    assert idw.share == pytest.approx(0.5, abs=0.15)


def test_a_node_listed_twice_is_one_node_unless_its_labels_disagree(tmp_path: Path) -> None:
    # Crawls list a channel once per crawl: the same label again adds nothing.
    graph = _graph(
        tmp_path, "id,label\na,mainstream\nh,harmful\na,Mainstream\n", "source,target\na,h\n"
    )
    assert graph.ids == ("a", "h")
    with pytest.raises(
        InputError, match=r"n\.csv:4: node a is labelled alt-right here and mainstream on line 2"
    ):
        _graph(tmp_path, "id,label\na,mainstream\nh,harmful\na,Alt-right\n", "source,target\n")


def test_the_share_comes_with_its_95_percent_wilson_interval(tmp_path: Path) -> None:
    from scipy.stats import binomtest

    graph = _graph(
        tmp_path,
        "id,label\na,mainstream\nb,mainstream\nh,harmful\n",
        "source,target,weight\na,h,1\na,b,3\nb,b,1\n",
    )
    for walks in (1, 40, 5000):
        audit = audit_paths(graph, hops=3, walks=walks, seed=3, start_ids=["a"])
        expected = binomtest(audit.reached, walks).proportion_ci(method="wilson")
        interval = audit.as_dict()["share_95"]
        # To the four decimals the interval is given in.
        assert interval["low"] == pytest.approx(expected.low, abs=1e-4)
        assert interval["high"] == pytest.approx(expected.high, abs=1e-4)
        assert interval["low"] <= audit.share <= interval["high"]


def test_walks_that_stop_short_of_the_target_are_told_apart(tmp_path: Path) -> None:
    # From a: to h (then nowhere) or to x, a node the crawl never expanded.
    graph = _graph(tmp_path, "id,label\na,mainstream\nh,harmful\n", "source,target\na,h\na,x\n")
    audit = audit_paths(graph, hops=3, walks=4000, seed=2)
    assert audit.dead_ends == 4000
    assert audit.stopped_short == 4000 - audit.reached
    assert audit.as_dict()["stopped_short"] == audit.stopped_short


def test_gzipped_exports_read_as_they_are(tmp_path: Path) -> None:
    import gzip

    edges, nodes = _chain_csv(tmp_path, 2)
    plain = RecommendationGraph.from_csv(edges, nodes)
    packed = []
    for path in (edges, nodes):
        packed.append(path.with_name(path.name + ".gz"))
        packed[-1].write_bytes(gzip.compress(path.read_bytes()))
    graph = RecommendationGraph.from_csv(*packed)
    assert (graph.ids, graph.indices.tolist()) == (plain.ids, plain.indices.tolist())
    whole = gzip.compress(edges.read_bytes() + b"m0,m1,1\n" * 100_000)
    packed[0].write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"edges\.csv\.gz: the compressed file ends early"):
        RecommendationGraph.from_csv(*packed)
    packed[0].write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(InputError, match=r"edges\.csv\.gz: "):
        RecommendationGraph.from_csv(*packed)
