"""The contract's floor under the simulator's target run (``bench/sim --floor``).

Whatever the engine does with an event, the issue has every event of a run flow as
v1 events into the real store, so each one is at least checked against the contract
and written to the event log. This times exactly those two calls on the world's own
event mix (the popularity test seam picks the pages, so no ranker's cost is in it),
into a fresh scratch store set up as the engine binding's is, and projects them onto
the target run: a lower bound on its CPU seconds that no faster ranker, consumer or
world can go under.

For reference it also times the log's ideal: the same rows (read back from the scratch
store) written by the driver alone, ``sqlite3.executemany`` with the payload already
serialized and the event_id dedupe read, no Python of ours around it. The log has one
writer, so that ideal is a floor on the target run's wall time too.
"""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.report import print_table
from rich.console import Console

from safefeed.events.parsing import validate_records
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.sim import PopularityRecommender, SimConfig
from safefeed.sim.events import EventRenderer
from safefeed.sim.world import World
from safefeed.store.database import sqlite_url
from safefeed.store.event_log import EventLog

__all__ = ["TARGET_PAGE", "TARGET_STEPS", "TARGET_USERS", "floor_table", "run_floor"]

#: The issue's target run, which `bench/sim` projects onto too.
TARGET_USERS, TARGET_STEPS, TARGET_PAGE = 100_000, 50, 20
#: The goal's budget: 10 minutes on 2 cores.
BUDGET_CPU_S = 2 * 600
#: Events per ingest call, as the engine binding sends them.
_CHUNK = 10_000


def run_floor(users: int, steps: int, seed: int) -> dict[str, Any]:
    """Validate and log-append every event of a ``users`` x ``steps`` run; the figures."""
    config = SimConfig(users=users, steps=steps, page_size=TARGET_PAGE, emit_events=True)
    world = World(config, seed)
    seam = PopularityRecommender(seed=seed)
    renderer = EventRenderer(config, seed)
    workdir = Path(tempfile.mkdtemp(prefix="safefeed-floor-"))
    runtime = Runtime(
        Settings(data_dir=workdir, database_url=sqlite_url(workdir / "floor.db"), durable=False)
    )
    try:
        runtime.migrate()
        log = EventLog()
        first = world.initial_feedback()
        seam.observe(first)
        _append(runtime, log, renderer.render(first))  # the set-up: stored, not timed
        render_s = validate_s = append_s = 0.0
        events = impressions = 0
        kinds: Counter[str] = Counter()
        for _ in range(steps):
            feedback = world.step(seam)
            seam.observe(feedback)
            started = time.process_time()
            rendered = renderer.render(feedback)
            render_s += time.process_time() - started
            validated, appended = _append(runtime, log, rendered)
            validate_s += validated
            append_s += appended
            events += len(rendered)
            kinds.update(event["type"] for event in rendered)
            impressions += int(world.metrics.series["impressions"][-1])
        ideal_s = _ideal_append(workdir)
    finally:
        runtime.close()
        shutil.rmtree(workdir, ignore_errors=True)
    per_event = (validate_s + append_s) / events
    events_per_impression = events / impressions
    target_impressions = impressions / steps * (TARGET_USERS / users) * TARGET_STEPS
    floor_cpu_s = per_event * events_per_impression * target_impressions
    return {
        "users": users,
        "steps": steps,
        "impressions": impressions,
        "events": events,
        "events_per_impression": round(events_per_impression, 3),
        "event_types": dict(kinds.most_common()),
        "render_us_per_event": round(render_s / events * 1e6, 2),
        "validate_us_per_event": round(validate_s / events * 1e6, 2),
        "append_us_per_event": round(append_s / events * 1e6, 2),
        "ideal_append_us_per_event": round(ideal_s / events * 1e6, 2),
        "target_ideal_log_s": round(ideal_s / events * events_per_impression * target_impressions),
        "target_impressions": round(target_impressions),
        "target_floor_cpu_s": round(floor_cpu_s),
        "budget_cpu_s": BUDGET_CPU_S,
        "floor_over_budget": round(floor_cpu_s / BUDGET_CPU_S, 2),
    }


def _append(runtime: Runtime, log: EventLog, records: list[dict[str, Any]]) -> tuple[float, float]:
    """Validate and append ``records`` in the binding's chunks; CPU seconds of each part."""
    validate_s = append_s = 0.0
    # As the ingest path runs them: without the cyclic collector's passes.
    gc.disable()
    try:
        for start in range(0, len(records), _CHUNK):
            started = time.process_time()
            batch = validate_records(enumerate(records[start : start + _CHUNK], start=1))
            validated = time.process_time()
            if batch.errors:
                raise SystemExit(f"bench: simulated event rejected: {batch.errors[0]}")
            with runtime.database.write() as conn:
                log.append(conn, batch.events, runtime.clock.now())
            append_s += time.process_time() - validated
            validate_s += validated - started
    finally:
        gc.enable()
    return validate_s, append_s


def _ideal_append(workdir: Path) -> float:
    """CPU seconds for the driver alone to write the stored log again into a fresh store
    (the same schema), in the binding's chunks, each one transaction."""
    source = sqlite3.connect(workdir / "floor.db")
    events = source.execute(
        "SELECT event_id, type, ts_us, received_us, payload FROM events ORDER BY seq"
    ).fetchall()
    subjects = source.execute(
        "SELECT subject_type, subject_id, ts_us, event_id FROM event_subjects"
    ).fetchall()
    source.close()
    Runtime(
        Settings(data_dir=workdir, database_url=sqlite_url(workdir / "ideal.db"), durable=False)
    ).migrate()
    target = sqlite3.connect(workdir / "ideal.db", isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=OFF")
    per_event = len(subjects) / max(len(events), 1)
    started = time.process_time()
    for start in range(0, len(events), _CHUNK):
        chunk = events[start : start + _CHUNK]
        ids = [row[0] for row in chunk]
        cut = slice(round(start * per_event), round((start + len(chunk)) * per_event))
        target.execute("BEGIN")
        target.execute(
            "SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        ).fetchall()
        target.executemany(
            "INSERT INTO events (event_id, type, ts_us, received_us, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            chunk,
        )
        target.executemany(
            "INSERT INTO event_subjects (subject_type, subject_id, ts_us, event_id) "
            "VALUES (?, ?, ?, ?)",
            subjects[cut],
        )
        target.execute("COMMIT")
    elapsed = time.process_time() - started
    target.close()
    return elapsed


def floor_table(console: Console, cases: list[dict[str, Any]]) -> None:
    """Print the floor figures and their projection onto the target run."""
    columns = (
        "users",
        "steps",
        "impressions",
        "events / impression",
        "render µs/event",
        "validate µs/event",
        "log append µs/event",
        "(driver alone)",
        "target floor (CPU s)",
        "budget (CPU s)",
        "floor / budget",
        "target log, driver alone (s)",
    )
    rows = (
        (
            f"{c['users']:,}",
            str(c["steps"]),
            f"{c['impressions']:,}",
            f"{c['events_per_impression']:.2f}",
            f"{c['render_us_per_event']:.2f}",
            f"{c['validate_us_per_event']:.2f}",
            f"{c['append_us_per_event']:.2f}",
            f"{c['ideal_append_us_per_event']:.2f}",
            f"{c['target_floor_cpu_s']:,}",
            f"{c['budget_cpu_s']:,}",
            f"{c['floor_over_budget']:.2f}x",
            f"{c['target_ideal_log_s']:,}",
        )
        for c in cases
    )
    print_table(console, "the contract's floor: validation + event log only", columns, rows)
    console.print(
        "The floor counts validation and the event-log write only (not rendering, serving, "
        "the feed state or any other consumer); the log has one writer, so the two cores "
        "do not halve it. The last column is the target's log written by the SQLite driver "
        "alone: a floor on its wall time (the goal: 600 s)."
    )
