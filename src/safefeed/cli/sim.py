"""Simulation commands: ``simulate``, ``gate`` and the ``audit paths`` sub-command.

`register` adds ``simulate`` and ``gate`` to the main app; `register_paths_command`
adds ``paths`` to the ``audit`` app. The simulator is imported inside the
commands, so ``safefeed --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from safefeed.cli.common import (
    ActorOption,
    console,
    default_actor,
    err_console,
    open_runtime,
    print_json,
)
from safefeed.documents import read_yaml_document, validate_document
from safefeed.exceptions import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from safefeed.sim.config import SimConfig
    from safefeed.sim.gate import GateReport
    from safefeed.sim.runner import SimResult

__all__ = [
    "Backend",
    "gate",
    "load_sim_config",
    "paths",
    "print_gate",
    "print_path_audits",
    "register",
    "register_paths_command",
    "simulate",
]


class Backend(StrEnum):
    """Where a sweep's (objective, seed) runs go: local processes or Ray tasks."""

    local = "local"
    ray = "ray"


def load_sim_config(
    path: Path | None, steps: int | None = None, users: int | None = None
) -> SimConfig:
    """The world's parameters: a YAML file of `SimConfig` fields (optional), then flags.

    The file may also be an earlier run's ``metrics.json`` or its ``config`` block.
    """
    from safefeed.sim.config import SimConfig
    from safefeed.sim.document import world_parameters

    raw = (
        world_parameters(read_yaml_document(path, "sim config"), str(path))
        if path is not None
        else {}
    )
    if steps is not None:
        raw["steps"] = steps
    if users is not None:
        raw["users"] = users
    return validate_document(SimConfig, raw, "sim config")


def simulate(
    ranker: Annotated[
        list[str], typer.Option(help="named ranking configuration; repeat to compare")
    ],
    out: Annotated[Path, typer.Option(help="output folder")],
    seed: Annotated[int, typer.Option(min=0, help="first seed")] = 0,
    seeds: Annotated[int, typer.Option(min=1, help="number of seeds (seed, seed+1, ...)")] = 1,
    steps: Annotated[int | None, typer.Option(min=1)] = None,
    users: Annotated[int | None, typer.Option(min=2)] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="YAML or JSON of world parameters, or an earlier run's metrics.json"),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="parallel processes (with ray: CPUs of a local Ray)")
    ] = 2,
    backend: Annotated[
        Backend, typer.Option(help="local processes, or Ray tasks (pip install 'safefeed\\[ray]')")
    ] = Backend.local,
    ray_address: Annotated[
        str | None,
        typer.Option(help="with --backend ray: join this cluster (auto, HOST:PORT, ray://…)"),
    ] = None,
    path_audit: Annotated[bool, typer.Option("--paths/--no-paths")] = True,
    hops: Annotated[int, typer.Option(min=1)] = 10,
    walks: Annotated[int, typer.Option(min=1)] = 1000,
    events: Annotated[
        Path | None, typer.Option(help="also write v1 events (JSON Lines; one seed only)")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
) -> None:
    """Run the simulator; write metrics.json and report.html under OUT.

    One ranker: OUT/metrics.json. Several: OUT/NAME/metrics.json each. The report
    (OUT/report.html, written last) puts them side by side with 95% intervals over
    seeds. A run into a used OUT replaces the earlier run's metrics and report (other
    files stay). Seeds run in local processes, or with --backend ray every (ranker,
    seed) as a Ray task on a local Ray instance or the cluster at --ray-address; the
    outputs are the same.
    """
    from safefeed.sim.document import write_metrics
    from safefeed.sim.rankers import check_ranker, close_recommender, resolve_recommender
    from safefeed.sim.report import write_report
    from safefeed.sim.runner import PathSettings, run_seeds, run_simulation
    from safefeed.sim.sinks import JsonlSink

    world = load_sim_config(config, steps, users)
    seed_list = list(range(seed, seed + seeds))
    settings = PathSettings(hops=hops, walks=walks) if path_audit else None
    if len(set(ranker)) != len(ranker):
        raise InputError("each --ranker once")
    for name in ranker:
        check_ranker(name)  # every name, before any run starts
    if events is not None and (seeds != 1 or len(ranker) != 1 or backend is not Backend.local):
        raise InputError("--events needs exactly one ranker, one seed and --backend local")
    if ray_address is not None and backend is not Backend.ray:
        raise InputError("--ray-address needs --backend ray")
    _writable_folder(out)  # now, not after a long run
    progress = None if quiet else err_console
    runs: Iterable[list[SimResult]]
    if events is not None:
        emitting = world.with_overrides(emit_events=True)
        recommender = resolve_recommender(ranker[0], seed, config=emitting)
        try:
            with JsonlSink(events) as sink:
                runs = [[run_simulation(recommender, emitting, seed, sink=sink, paths=settings)]]
        finally:
            close_recommender(recommender)
    elif backend is Backend.ray:
        from safefeed.sim.cluster import run_on_ray

        runs = run_on_ray(
            [(name, {}) for name in ranker],
            world,
            seed_list,
            settings,
            ray_address,
            workers,
            console=progress,
        )
    else:
        runs = (  # one ranker after another, each written as soon as it is done
            run_seeds(name, world, seed_list, workers=workers, paths=settings, console=progress)
            for name in ranker
        )
    documents: dict[str, dict[str, Any]] = {}
    written: list[Path] = []
    for name, results in zip(ranker, runs, strict=True):
        if not documents:  # the new run has a result: what an earlier one left must go
            _clear_earlier_run(out)
        target = out / "metrics.json" if len(ranker) == 1 else out / name / "metrics.json"
        documents[name] = write_metrics(target, results)
        written.append(target)
    report = write_report(out / "report.html", documents, title="safefeed simulation")
    _print_totals(documents)
    console.print(f"wrote {', '.join(map(str, written))} and {report}")


def _writable_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK):
        raise InputError(f"--out {out}: not writable")


def _clear_earlier_run(out: Path) -> None:
    # Only what simulate writes, so a folder that also holds other files (the docs put
    # --events there) keeps them; the report goes first, as it is written last.
    from safefeed.sim.rankers import FEED_RANKERS, TEST_SEAMS

    (out / "report.html").unlink(missing_ok=True)
    (out / "metrics.json").unlink(missing_ok=True)
    for name in (*FEED_RANKERS, *TEST_SEAMS):
        (out / name / "metrics.json").unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # absent, or holding something not ours
            (out / name).rmdir()


def _print_totals(documents: dict[str, dict[str, Any]]) -> None:
    table = Table(title="totals (mean over seeds, 95% interval)")
    table.add_column("metric")
    for name in documents:
        table.add_column(name, justify="right")
    keys = (
        "harmful_exposure_rate",
        "harmful_exposure_rate_max",
        "borderline_exposure_rate",
        "watch_time",
        "reports_per_1k_sessions",
        "hides_per_1k_sessions",
        "extremeness_drift",
        "topic_diversity",
        "creator_gini",
        "retention",
    )
    for key in keys:
        cells = []
        for doc in documents.values():
            i = doc["intervals"]["totals"][key]
            cells.append(f"{i['mean']:.4g} [{i['low']:.3g}, {i['high']:.3g}]")
        table.add_row(key, *cells)
    shares = [doc.get("path_audit", {}).get("share") for doc in documents.values()]
    if any(s is not None for s in shares):
        table.add_row("path share → harmful", *(f"{s['mean']:.4g}" if s else "–" for s in shares))
    console.print(table)


def paths(
    ranker: Annotated[
        list[str] | None, typer.Option(help="simulate this objective, then audit it; repeatable")
    ] = None,
    edges: Annotated[Path | None, typer.Option(help="CSV source,target[,weight]")] = None,
    nodes: Annotated[Path | None, typer.Option(help="CSV id,label")] = None,
    edge_columns: Annotated[
        str | None,
        typer.Option(help="the edges' SOURCE,TARGET[,WEIGHT] columns, if named otherwise"),
    ] = None,
    node_columns: Annotated[
        str | None, typer.Option(help="the nodes' ID,LABEL columns, if named otherwise")
    ] = None,
    hops: Annotated[int, typer.Option(min=1)] = 10,
    walks: Annotated[int, typer.Option(min=1)] = 1000,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    start_label: Annotated[
        list[str] | None,
        typer.Option(help="walks start here (default mainstream); repeatable; case is ignored"),
    ] = None,
    target_label: Annotated[
        list[str] | None,
        typer.Option(
            help="the cluster walks must not reach (default harmful); repeatable; case is ignored"
        ),
    ] = None,
    steps: Annotated[int | None, typer.Option(min=1)] = None,
    users: Annotated[int | None, typer.Option(min=2)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Random walks through related recommendations: how often do they reach harmful?

    Either an external graph (--edges and --nodes) or one or more simulated
    objectives (--ranker), each audited after its run over the final catalog.
    Nodes that appear only in --edges are unlabelled: walks pass through them.
    """
    from safefeed.sim.catalog import TRUTH_LABELS
    from safefeed.sim.paths import RecommendationGraph, audit_paths, label_keys
    from safefeed.sim.rankers import close_recommender, resolve_recommender
    from safefeed.sim.runner import PathSettings, run_simulation

    starts = list(label_keys(start_label or ["mainstream"]))
    targets = list(label_keys(target_label or ["harmful"]))
    audits: dict[str, dict[str, Any]] = {}
    if (edges is None) != (nodes is None):
        raise InputError("--edges and --nodes go together")
    if edges is None and (edge_columns or node_columns):
        raise InputError("--edge-columns and --node-columns describe --edges and --nodes")
    if edges is not None and nodes is not None:
        if ranker:
            raise InputError("either a CSV graph or --ranker, not both")
        graph = RecommendationGraph.from_csv(
            edges,
            nodes,
            edge_columns=edge_columns.split(",") if edge_columns is not None else None,
            node_columns=node_columns.split(",") if node_columns is not None else None,
        )
        counts = graph.label_counts()
        # A misspelt target label would otherwise read as "no walk reaches harm", and a
        # misspelt start label among several would quietly drop its nodes from the starts.
        absent = [label for label in starts + targets if label not in counts]
        if absent:
            known = ", ".join(sorted(label for label in counts if label)) or "none"
            raise InputError(f"{nodes}: no node labelled {', '.join(absent)} (labels: {known})")
        audit = audit_paths(graph, hops, walks, seed, start_label=starts, target_label=targets)
        audits[edges.name] = {
            **audit.as_dict(),
            "nodes": len(graph.ids),
            "edges": int(graph.indices.size),
            "unlabelled_nodes": graph.unlabelled_nodes,
        }
    elif ranker:
        unknown = sorted(set(starts + targets) - set(TRUTH_LABELS))
        if unknown:
            raise InputError(
                f"a simulated catalog is labelled {', '.join(TRUTH_LABELS)}: not {unknown}"
            )
        world = load_sim_config(None, steps, users)
        for name in ranker:
            recommender = resolve_recommender(name, seed, config=world)
            try:
                settings = PathSettings(hops, walks, tuple(starts), tuple(targets))
                result = run_simulation(recommender, world, seed, paths=settings)
            finally:
                close_recommender(recommender)
            assert result.path_audit is not None
            if "skipped" in result.path_audit:
                raise InputError(f"{name}: {result.path_audit['skipped']}")
            audits[name] = result.path_audit
    else:
        raise InputError("give --edges and --nodes, or --ranker")
    if as_json:
        print_json(audits)
        return
    print_path_audits(audits, walks, hops, starts, targets)


def print_path_audits(
    audits: dict[str, dict[str, Any]], walks: int, hops: int, starts: list[str], targets: list[str]
) -> None:
    """The audits for a reader: the share with its 95% interval, then the share by hop."""
    reaching = " or ".join(targets)
    table = Table(title=f"path audit: {walks} walks x {hops} hops from {' or '.join(starts)}")
    for column in (
        "objective / graph",
        f"share reaching {reaching} (95% interval)",
        "mean first hop",
        "stopped short",
    ):
        table.add_column(column)
    for name, audit in audits.items():
        first, interval = audit["mean_first_hop"], audit["share_95"]
        table.add_row(
            name,
            f"{audit['share']:.2%} ({interval['low'] * 100:.2f}–{interval['high']:.2%})",
            "–" if first is None else f"{first:.2f}",
            str(audit["stopped_short"]),
        )
    console.print(table)
    by_hop = Table(title=f"reached {reaching} by hop")
    by_hop.add_column("hop", justify="right")
    for name in audits:
        by_hop.add_column(name, justify="right")
    for hop in range(hops):
        by_hop.add_row(
            str(hop + 1), *(f"{a['cumulative_share'][hop]:.2%}" for a in audits.values())
        )
    console.print(by_hop)
    for name, audit in audits.items():
        if audit.get("unlabelled_nodes"):
            console.print(
                f"{name}: {audit['unlabelled_nodes']} of {audit['nodes']} nodes appear "
                "only in the edges (unlabelled; walks pass through them)"
            )
        if audit["stopped_short"]:
            # Counted as not reaching: where an export ends at its crawl's frontier the
            # share understates what a viewer who kept clicking would reach.
            console.print(
                f"{name}: {audit['stopped_short']} of {audit['walks']} walks "
                f"({audit['stopped_short'] / audit['walks']:.1%}) stopped at a node without "
                f"recommendations before reaching {reaching}; they count as not reaching it, "
                "so the share is a lower bound if the graph ends where a crawl stopped"
            )


def gate(
    config: Annotated[Path, typer.Argument(help="YAML gate configuration")],
    workers: Annotated[int, typer.Option(min=1)] = 2,
    out: Annotated[Path | None, typer.Option(help="also write both metrics documents here")] = None,
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Simulate a candidate configuration against the current one; exit 1 if a KPI fails.

    The decision, pass or fail, is recorded in the audit log of the configured store.
    """
    from safefeed.sim.gate import GateConfig, run_gate

    gate_config = GateConfig.from_yaml(config)
    if out is not None:
        _writable_folder(out)
    report, documents = run_gate(gate_config, workers=workers)
    record = report.as_audit_record()
    with open_runtime() as runtime, runtime.database.write() as conn:
        runtime.audit.append(
            conn,
            actor=actor or default_actor(),
            action=str(record.pop("action")),
            reason=f"release gate {'passed' if report.passed else 'failed'} ({config.name})",
            details=record,
        )
    if out is not None:
        for role, document in documents.items():
            (out / f"{role}.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    print_gate(report)
    if not report.passed:
        raise typer.Exit(1)


def print_gate(report: GateReport) -> None:
    """The gate's table: one row per KPI."""
    # A tuned candidate is not its ranker: the title must not read "safety vs safety".
    candidate = report.candidate + (" with overrides" if report.candidate_overrides else "")
    current = report.current + (" with overrides" if report.current_overrides else "")
    table = Table(title=f"gate: {candidate} (candidate) vs {current} (current)")
    # The names tell the rows apart (two start "harmful_exposure_"): the rule wraps instead.
    table.add_column("KPI", no_wrap=True)
    for column in ("candidate", "current", "rule", "result"):
        table.add_column(column)
    for check in report.checks:
        current = "–" if check.current is None else f"{check.current:.4g}"
        verdict = "[green]pass[/]" if check.passed else "[red]FAIL[/]"
        table.add_row(check.name, f"{check.candidate:.4g}", current, check.rule, verdict)
    console.print(table)
    console.print("[green]gate passed[/]" if report.passed else "[red]gate failed[/]")


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``gate`` to the main app."""
    app.command("simulate")(simulate)
    app.command("gate")(gate)


def register_paths_command(audit_app: typer.Typer) -> None:
    """Add ``paths`` to the ``audit`` app (``safefeed audit paths``)."""
    audit_app.command("paths")(paths)
