"""The early-risk funnel: signals -> context -> detectors -> tiers -> routing.

Risk indicators, never determinations of wrongdoing. The same `RiskFunnel` runs
live (`RiskConsumer`, an ingest consumer) and in replay (`replay`).
"""

from safefeed.risk.config import RiskConfig, load_risk_config
from safefeed.risk.consumer import RiskConsumer
from safefeed.risk.funnel import RiskFunnel
from safefeed.risk.model import CATEGORIES, TIERS, Assessment, Judgement, Observation
from safefeed.risk.replay import replay

__all__ = [
    "CATEGORIES",
    "TIERS",
    "Assessment",
    "Judgement",
    "Observation",
    "RiskConfig",
    "RiskConsumer",
    "RiskFunnel",
    "load_risk_config",
    "replay",
]
