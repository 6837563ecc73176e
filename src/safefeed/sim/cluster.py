"""A sweep as Ray tasks, on a local Ray instance or an existing Ray cluster.

`run_on_ray` submits every (objective, seed) unit of a sweep at once, each as one
Ray task running `runner.run_seed` — the function the local process pool runs —
and returns each objective's results in seed order, so the metrics documents are
the ones the local backend writes. Ray is the optional extra ``safefeed[ray]``:
it is imported here, only when a sweep asks for it, and its absence is a
`ConfigError` that says how to install it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from rich.console import Console

from safefeed.exceptions import ConfigError, SafefeedError
from safefeed.sim.config import SimConfig
from safefeed.sim.runner import PathSettings, SimResult, progress_bars, run_seed

__all__ = ["Objective", "import_ray", "run_on_ray"]

#: A named ranker and the overrides of its configuration for the run.
Objective = tuple[str, Mapping[str, Any]]


def import_ray() -> ModuleType:
    """The ``ray`` module, or a `ConfigError` saying how to install it."""
    try:
        ray = importlib.import_module("ray")
    except ImportError:
        ray = None
    # A folder named "ray" on sys.path (say an --out folder under `python -m`) imports
    # as an empty namespace package; it is not Ray either.
    if ray is None or not hasattr(ray, "remote"):
        raise ConfigError(
            "--backend ray needs Ray: pip install 'safefeed[ray]' (or use --backend local)"
        )
    return ray


def run_on_ray(
    objectives: Sequence[Objective],
    config: SimConfig,
    seeds: Sequence[int],
    paths: PathSettings | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    console: Console | None = None,
) -> list[list[SimResult]]:
    """Run every objective once per seed as Ray tasks; per objective, results in seed order.

    A process already connected to Ray (``ray.init`` called before) uses that
    connection. Otherwise ``address`` names the cluster to join (``auto``,
    ``HOST:PORT`` of its head, or ``ray://HOST:10001``); without one a new local
    Ray instance with ``num_cpus`` CPUs is started, and shut down afterwards — never
    a cluster found by Ray's own look-up (``RAY_ADDRESS``, a ``ray start`` here).
    """
    ray = import_ray()
    connected_here = not ray.is_initialized()
    if connected_here:
        _connect(ray, address, num_cpus)
    try:
        run = ray.remote(run_seed)
        world = config.model_dump()
        units = [(name, dict(overrides), seed) for name, overrides in objectives for seed in seeds]
        refs = [run.remote(name, overrides, world, seed, paths) for name, overrides, seed in units]
        finished: dict[Any, SimResult] = {}
        with progress_bars(console) as bars:
            tasks = {
                ref: bars.add_task(f"{name} seed {seed} (ray)", total=config.steps)
                for (name, _, seed), ref in zip(units, refs, strict=True)
            }
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                finished[done[0]] = _result(ray, done[0])  # a failed unit raises at once
                bars.update(tasks[done[0]], completed=config.steps)
    finally:
        if connected_here:
            ray.shutdown()
    results = [finished[ref] for ref in refs]
    n = len(seeds)
    return [results[i * n : (i + 1) * n] for i in range(len(objectives))]


def _result(ray: ModuleType, ref: Any) -> SimResult:
    try:
        result: SimResult = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, SafefeedError):  # as the local backend raises it: one line
            raise exc.cause from None
        raise
    return result


def _connect(ray: ModuleType, address: str | None, num_cpus: int | None) -> None:
    try:
        if address is None:
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False)
        else:
            ray.init(address=address)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local instance"
        raise ConfigError(f"cannot start or reach Ray ({where}): {exc}") from None
