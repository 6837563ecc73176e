"""What each policy state means on each surface.

Two tables: the *default* recommendability a state implies (an item's own
``surfaces`` overrides may change it), and the *ceiling* no override can lift —
the hard constraints, e.g. nothing but ``allowed`` content reaches a proactive
surface and nothing blocked or deleted reaches any surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from safefeed.types import (
    POLICY_STATES,
    PROACTIVE_SURFACES,
    SURFACES,
    PolicyState,
    Recommendability,
    Surface,
)

__all__ = [
    "CEILINGS",
    "DEFAULT_RECOMMENDABILITY",
    "LIMITED",
    "effective_recommendability",
    "strictest",
]

LIMITED: Literal["limited"] = "limited"


def _row(
    default: Recommendability, **per_surface: Recommendability
) -> dict[Surface, Recommendability]:
    return {surface: per_surface.get(surface, default) for surface in SURFACES}


DEFAULT_RECOMMENDABILITY: Mapping[PolicyState, Mapping[Surface, Recommendability]] = {
    "allowed": _row(True),
    # Unreviewed: reachable where the user asked (search, following) at reduced reach.
    "needs_review": _row(LIMITED, search=True, push=False, email=False),
    # Sensitive but permitted: adults only (see the audience rule), never pushed.
    "restricted": _row(LIMITED, search=True, following=True, push=False, email=False),
    # Audience-constrained: the audience rule decides who; never pushed.
    "age_or_region_restricted": _row(True, push=False, email=False),
    "limited_distribution": _row(LIMITED, search=True, push=False, email=False),
    "search_only": _row(False, search=True),
    # Followers chose the creator; nobody else is recommended the item.
    "not_recommendable": _row(False, search=True, following=True),
    "blocked": _row(False),
    "deleted": _row(False),
}


#: The most an override may grant, per state and surface.
def _ceiling(state: PolicyState, surface: Surface) -> Recommendability:
    if state in ("blocked", "deleted"):
        return False
    # Only content nobody restricted (or restricted to an audience the gate checks)
    # may be pushed: a proactive surface reaches people who did not ask.
    return not (surface in PROACTIVE_SURFACES and state not in _PUSHABLE)


_PUSHABLE = frozenset({"allowed", "age_or_region_restricted"})

#: The most an override may grant, per state and surface.
CEILINGS: Mapping[PolicyState, Mapping[Surface, Recommendability]] = {
    state: {surface: _ceiling(state, surface) for surface in SURFACES} for state in POLICY_STATES
}

_RANK: Mapping[Recommendability, int] = {True: 0, LIMITED: 1, False: 2}


def strictest(*values: Recommendability) -> Recommendability:
    """The most restrictive of several recommendability values.

    >>> strictest(True, "limited")
    'limited'
    >>> strictest(True, False, "limited")
    False
    """
    return max(values, key=lambda value: _RANK[value])


def effective_recommendability(
    state: PolicyState,
    surface: Surface,
    overrides: Mapping[str, Recommendability] | None = None,
) -> Recommendability:
    """Recommendability of an item in ``state`` on ``surface``: its override if it has
    one, else the state's default — never above the state's ceiling.

    >>> effective_recommendability("limited_distribution", "home")
    'limited'
    >>> effective_recommendability("limited_distribution", "push", {"push": True})
    False
    >>> effective_recommendability("not_recommendable", "related", {"related": "limited"})
    'limited'
    """
    value = DEFAULT_RECOMMENDABILITY[state][surface]
    if overrides and surface in overrides:
        value = overrides[surface]
    return strictest(value, CEILINGS[state][surface])
