"""Stage 3: one detector per risk category, and the registry of them."""

from safefeed.risk.detectors.age_exposure import AgeExposureDetector
from safefeed.risk.detectors.base import Detector, saturate
from safefeed.risk.detectors.escalation import EscalationDetector
from safefeed.risk.detectors.trends import TrendDetector
from safefeed.risk.detectors.vulnerability import VulnerabilityDetector

__all__ = [
    "DETECTORS",
    "AgeExposureDetector",
    "Detector",
    "EscalationDetector",
    "TrendDetector",
    "VulnerabilityDetector",
    "default_detectors",
    "saturate",
]

#: Every registered detector class; the contract and least-context tests run over these.
DETECTORS: tuple[type[Detector], ...] = (
    AgeExposureDetector,
    EscalationDetector,
    VulnerabilityDetector,
    TrendDetector,
)


def default_detectors() -> list[Detector]:
    """A fresh instance of every registered detector, with default parameters."""
    return [cls() for cls in DETECTORS]
