"""Review priority: which case a moderator should see next.

Tier first, then how fast the case is escalating (velocity outranks absolute
strength), confidence, severity and how vulnerable the audience is; plus aging,
so that a lower-tier case that has waited long enough overtakes fresher higher
ones and nothing starves. A case past its tier's time target gets a further
boost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["TIER_BASE", "base_priority", "priority"]

TIER_BASE: dict[str, float] = {"low": 1.0, "medium": 2.0, "high": 3.0}


def base_priority(
    tier: str,
    *,
    velocity: float = 0.0,
    lower: float = 0.0,
    severity: float = 0.0,
    vulnerability: float = 0.0,
) -> float:
    """The priority of a fresh case (all factors in ``[0, 1]``).

    >>> base_priority("high") > base_priority("medium", velocity=1.0, severity=1.0)
    True
    >>> base_priority("medium", velocity=1.0) > base_priority("medium", severity=1.0)
    True
    """
    return (
        TIER_BASE.get(tier, 0.0)
        + 0.6 * velocity
        + 0.3 * lower
        + 0.3 * severity
        + (0.3 * vulnerability)
    )


def priority(
    case: Mapping[str, Any],
    *,
    waited_hours: float = 0.0,
    aging_per_hour: float = 0.02,
    target_hours: float | None = None,
) -> float:
    """The priority of a case line (EVENTS.md fields) that has waited ``waited_hours``.

    >>> line = {"tier": "low", "confidence": [0.3, 0.6], "signals": {}}
    >>> priority(line, waited_hours=100.0, target_hours=48.0) > priority({**line, "tier": "high"})
    True
    """
    signals = case.get("signals") or {}
    base = base_priority(
        str(case.get("tier")),
        velocity=float(signals.get("velocity", 0.0) or 0.0),
        lower=float((case.get("confidence") or [0.0])[0]),
        severity=float(signals.get("severity", 0.0) or 0.0),
        vulnerability=float(signals.get("audience_vulnerability", 0.0) or 0.0),
    )
    aged = base + aging_per_hour * waited_hours
    if target_hours is not None and waited_hours > target_hours:
        aged += 1.0
    return round(aged, 4)
