"""Small scenario logs for the risk and review tests (generated, seeded, fast)."""

from __future__ import annotations

from functools import cache
from typing import Any

from safefeed.events.models import EVENT_ADAPTER, Event
from safefeed.risk.scenarios import ScenarioParams, generate_scenarios

__all__ = ["SMALL", "ingest", "parsed", "small_log", "with_phase"]

#: A small platform: one escalating creator, one adult seeking minors, one brigade.
SMALL = ScenarioParams(
    days=12.0,
    viewers=250,
    ordinary_creators=5,
    escalating=1,
    seekers=1,
    late_night=1,
    harmful_trends=1,
    big_stable=1,
    teen_creators=1,
    viral_spikes=0,
    brigaded=1,
    benign_trends=0,
    adult_fans=1,
    small_creators=20,
)


@cache
def small_log(seed: int = 3) -> tuple[tuple[dict[str, Any], ...], dict[str, Any]]:
    events, truth = generate_scenarios(seed, SMALL)
    return tuple(events), truth


def parsed(events: tuple[dict[str, Any], ...]) -> list[Event]:
    return [EVENT_ADAPTER.validate_python(e) for e in events]


def ingest(runtime: Any, clock: Any, events: tuple[dict[str, Any], ...], chunk: int = 4000) -> None:
    """Ingest through the real pipeline, the manual clock following the events."""
    from datetime import datetime

    from safefeed.ingest import IngestContext

    for start in range(0, len(events), chunk):
        part = list(events[start : start + chunk])
        clock.set(datetime.fromisoformat(part[-1]["ts"].replace("Z", "+00:00")))
        result = runtime.ingestor.ingest_records(part, IngestContext(actor="test"))
        assert not result.rejected


def with_phase(runtime: Any, phase: str) -> Any:
    """Rewire the runtime's risk consumer to a rollout phase (as configuration would)."""
    from safefeed.risk.config import load_risk_config
    from safefeed.risk.consumer import RiskConsumer

    runtime.ingestor.consumers.remove(runtime.risk)
    runtime.risk = RiskConsumer(
        runtime.policy, runtime.audit, runtime.clock, load_risk_config(phase=phase)
    )
    runtime.ingestor.consumers.append(runtime.risk)
    return runtime
