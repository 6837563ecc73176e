"""Prometheus metrics of the HTTP app, in a registry of its own per app instance."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from safefeed.ingest.pipeline import IngestResult
from safefeed.policy.rules import GateDecision

__all__ = ["ApiMetrics"]


class ApiMetrics:
    """Counters for ingestion and gate decisions, gauges for policy freshness."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "safefeed_events_total",
            "Events received, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.gate = Counter(
            "safefeed_gate_decisions_total",
            "Eligibility gate decisions, by surface and action",
            ["surface", "action"],
            registry=self.registry,
        )
        self.snapshot_age = Gauge(
            "safefeed_policy_snapshot_age_seconds",
            "Age of this process's policy snapshot at the last request",
            registry=self.registry,
        )
        self.policy_revision = Gauge(
            "safefeed_policy_revision",
            "Policy revision this process serves",
            registry=self.registry,
        )

    def record_ingest(self, result: IngestResult) -> None:
        self.events.labels("accepted").inc(result.accepted)
        self.events.labels("duplicate").inc(result.duplicates)
        self.events.labels("rejected").inc(len(result.rejected))

    def record_gate(self, surface: str, decisions: list[GateDecision]) -> None:
        for decision in decisions:
            self.gate.labels(surface, decision.action.name.lower()).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
