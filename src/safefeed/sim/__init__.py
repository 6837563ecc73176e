"""The simulator: synthetic users and creators drive a recommender; metrics say what it did.

The world (`World`) is vectorized over users and deterministic by seed. It meets
a ranker only through the `Recommender` seam (batch `SimRequest` in, content ids
out, `StepFeedback` observed); `rankers.resolve_recommender` binds names to the
feed engine. `run_simulation` / `run_seeds` run it (`run_on_ray`: a sweep as Ray
tasks), `metrics_document` and `write_report` turn runs into ``metrics.json`` and
an HTML report, `audit_paths` walks related recommendations, and `run_gate`
checks a release candidate.
"""

from safefeed.sim.cluster import run_on_ray
from safefeed.sim.config import SimConfig
from safefeed.sim.document import metrics_document, write_metrics
from safefeed.sim.feedback import Interactions, LabelChange, PublishedItem, StepFeedback
from safefeed.sim.gate import GateConfig, GateKpis, GateReport, run_gate
from safefeed.sim.paths import PathAudit, RecommendationGraph, audit_paths
from safefeed.sim.rankers import FEED_RANKERS, resolve_recommender
from safefeed.sim.recommender import Recommender, SimRequest
from safefeed.sim.report import write_report
from safefeed.sim.runner import PathSettings, SimResult, run_seeds, run_simulation
from safefeed.sim.seams import PopularityRecommender, RandomRecommender
from safefeed.sim.sinks import EventSink, JsonlSink, MemorySink
from safefeed.sim.world import World

__all__ = [
    "FEED_RANKERS",
    "EventSink",
    "GateConfig",
    "GateKpis",
    "GateReport",
    "Interactions",
    "JsonlSink",
    "LabelChange",
    "MemorySink",
    "PathAudit",
    "PathSettings",
    "PopularityRecommender",
    "PublishedItem",
    "RandomRecommender",
    "RecommendationGraph",
    "Recommender",
    "SimConfig",
    "SimRequest",
    "SimResult",
    "StepFeedback",
    "World",
    "audit_paths",
    "metrics_document",
    "resolve_recommender",
    "run_gate",
    "run_on_ray",
    "run_seeds",
    "run_simulation",
    "write_metrics",
    "write_report",
]
