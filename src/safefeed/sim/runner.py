"""Running simulations: one seed in process, several seeds in parallel processes.

`run_simulation` drives a `World` with a recommender step by step, hands every
`StepFeedback` to the recommender and (rendered as v1 events) to an optional
sink, and can finish with a path audit of the recommender's related surface over
the final catalog. `run_seed` is one (ranker, seed) unit from picklable values: it
resolves the ranker by name, so nothing unpicklable crosses processes. `run_seeds`
runs one named ranker over several seeds with it, in this process or a process
pool, with a Rich progress bar per seed; `sim.cluster` runs it as Ray tasks.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from safefeed.sim.config import SimConfig
from safefeed.sim.events import EventRenderer
from safefeed.sim.feedback import StepFeedback
from safefeed.sim.paths import RelatedPages, audit_paths
from safefeed.sim.rankers import close_recommender, resolve_recommender
from safefeed.sim.recommender import Recommender, ReviewQueue
from safefeed.sim.sinks import EventSink
from safefeed.sim.world import World

__all__ = [
    "PathSettings",
    "SimResult",
    "StepCallback",
    "progress_bars",
    "run_seed",
    "run_seeds",
    "run_simulation",
]

#: Called after each step with (steps done, steps in total).
StepCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class PathSettings:
    """Path audit after a run: ``walks`` walks of ``hops`` hops from mainstream items.

    Labels are the final catalog's truth: ``mainstream``, ``borderline``, ``harmful``.
    """

    hops: int = 10
    walks: int = 1000
    start_labels: tuple[str, ...] = ("mainstream",)
    target_labels: tuple[str, ...] = ("harmful",)


@dataclass(frozen=True)
class SimResult:
    """One seed's run: the per-step series, the totals and the optional path audit."""

    ranker: str
    seed: int
    config: dict[str, Any]
    series: dict[str, list[float]]
    totals: dict[str, float]
    #: The path audit (`PathAudit.as_dict`), or ``{"skipped": reason}`` when no walk could
    #: start (a world whose final catalog has no item with a start label).
    path_audit: dict[str, Any] | None = None
    elapsed_s: float = 0.0
    overrides: dict[str, Any] = field(default_factory=dict)


def night_review(world: World, recommender: Recommender) -> StepFeedback | None:
    """The moderators' night on the platform's own review queue, if it has one.

    Called after the recommender has observed a day, so the queue reflects it; the
    decisions it returns are for the recommender to observe before the next day.
    """
    capacity = world.config.reach_review_capacity
    if not capacity or not isinstance(recommender, ReviewQueue):
        return None
    due = recommender.due_for_review(capacity)
    return world.review(due) if due else None


def run_simulation(
    recommender: Recommender,
    config: SimConfig,
    seed: int,
    progress: StepCallback | None = None,
    sink: EventSink | None = None,
    paths: PathSettings | None = None,
) -> SimResult:
    """Run ``config.steps`` steps of a world seeded with ``seed`` against ``recommender``.

    Events reach ``sink`` only when ``config.emit_events`` is set.
    """
    started = time.perf_counter()
    world = World(config, seed)
    renderer = EventRenderer(config, seed) if sink is not None and config.emit_events else None

    def deliver(feedback: StepFeedback) -> None:
        recommender.observe(feedback)
        if renderer is not None and sink is not None:
            sink.write(renderer.render(feedback))

    deliver(world.initial_feedback())
    for step in range(config.steps):
        deliver(world.step(recommender))
        reviews = night_review(world, recommender)
        if reviews is not None:
            deliver(reviews)
        if progress is not None:
            progress(step + 1, config.steps)
    audit = None
    if paths is not None:
        cat = world.catalog
        labels = cat.truth_labels()
        ids = [f"i{i}" for i in range(cat.n_items)]
        # Walks start from what is in circulation: items the feed could serve.
        starts = [ids[i] for i in range(cat.n_items) if labels[i] in paths.start_labels]
        pages = RelatedPages(
            recommender, ids, labels.tolist(), page_size=config.page_size, step=config.steps
        )
        # A world can be all extreme: the run's metrics stand, the audit says why it is absent.
        audit = (
            audit_paths(
                pages,
                hops=paths.hops,
                walks=paths.walks,
                seed=seed,
                start_label=paths.start_labels,
                target_label=paths.target_labels,
                start_ids=starts,
            ).as_dict()
            if starts
            else {"skipped": f"no item labelled {' or '.join(paths.start_labels)} to start from"}
        )
    return SimResult(
        ranker=recommender.name,
        seed=seed,
        config=config.model_dump(),
        series={k: list(v) for k, v in world.metrics.series.items()},
        totals=world.totals(),
        path_audit=audit,
        elapsed_s=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------- several seeds

_progress_queue: Any = None


def _init_worker(progress_queue: Any) -> None:
    global _progress_queue
    _progress_queue = progress_queue


def run_seed(
    ranker: str,
    overrides: Mapping[str, Any],
    config: Mapping[str, Any],
    seed: int,
    paths: PathSettings | None,
    progress: StepCallback | None = None,
) -> SimResult:
    """One (objective, seed) unit: resolve ``ranker`` by name, run it, close it.

    Takes only picklable values (the world as ``SimConfig.model_dump()``), so the same
    function runs in this process, in a pool worker or as a Ray task.
    """
    sim_config = SimConfig.model_validate(config)
    recommender = resolve_recommender(ranker, seed, dict(overrides) or None, config=sim_config)
    try:
        result = run_simulation(recommender, sim_config, seed, progress=progress, paths=paths)
    finally:
        close_recommender(recommender)  # the engine's scratch store goes with the run
    return replace(result, ranker=ranker, overrides=dict(overrides))


def _queue_progress(seed: int, done: int, total: int) -> None:
    if _progress_queue is not None:  # set in pool workers: the parent draws the bars
        _progress_queue.put((seed, done, total))


def run_seeds(
    ranker: str,
    config: SimConfig,
    seeds: Sequence[int],
    workers: int = 2,
    overrides: Mapping[str, Any] | None = None,
    paths: PathSettings | None = None,
    console: Console | None = None,
) -> list[SimResult]:
    """Run ``ranker`` once per seed, ``workers`` processes at a time; results in seed order.

    With ``console`` a Rich progress bar per seed is drawn on it.
    """
    spec = (ranker, dict(overrides or {}), config.model_dump())
    if workers <= 1 or len(seeds) == 1:
        return _run_in_process(spec, seeds, paths, console)
    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    updates = context.Queue()
    with (
        progress_bars(console) as bars,
        ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(updates,)
        ) as pool,
    ):
        tasks = {s: bars.add_task(f"{ranker} seed {s}", total=config.steps) for s in seeds}
        futures: list[Future[SimResult]] = [
            pool.submit(run_seed, *spec, seed, paths, partial(_queue_progress, seed))
            for seed in seeds
        ]
        while not all(f.done() for f in futures):
            try:
                seed, done, _total = updates.get(timeout=0.2)
                bars.update(tasks[seed], completed=done)
            except queue.Empty:
                pass
        results = [f.result() for f in futures]
        for s in seeds:
            bars.update(tasks[s], completed=config.steps)
    updates.close()
    return results


def _run_in_process(
    spec: tuple[str, dict[str, Any], dict[str, Any]],
    seeds: Sequence[int],
    paths: PathSettings | None,
    console: Console | None,
) -> list[SimResult]:
    ranker, overrides, config = spec
    results = []
    with progress_bars(console) as bars:
        for seed in seeds:
            task = bars.add_task(f"{ranker} seed {seed}", total=int(config["steps"]))

            def advance(done: int, _total: int, task: TaskID = task) -> None:
                bars.update(task, completed=done)

            results.append(run_seed(ranker, overrides, config, seed, paths, progress=advance))
    return results


def progress_bars(console: Console | None) -> Progress:
    """Rich progress bars on ``console`` (none without one): one per run, counting steps."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
    )
