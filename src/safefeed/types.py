"""Shared vocabulary: the enumerations of the v1 event contract and common aliases.

Enumerations are `Literal` aliases rather than `Enum` classes so that the wire value
*is* the Python value: validation stays strict and fast, and JSON Schema shows the
allowed strings.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "AGE_BANDS",
    "MINOR_AGE_BANDS",
    "POLICY_STATES",
    "PROACTIVE_SURFACES",
    "SEVERITIES",
    "SUBJECT_TYPES",
    "SURFACES",
    "AgeBand",
    "ContentFormat",
    "FlagSource",
    "InteractionKind",
    "PolicyState",
    "Recommendability",
    "Severity",
    "SubjectKey",
    "SubjectType",
    "Surface",
]

AgeBand = Literal["under_13", "13_15", "16_17", "18_24", "25_plus", "unknown"]
Surface = Literal["home", "following", "related", "push", "email", "search", "live"]
PolicyState = Literal[
    "allowed",
    "needs_review",
    "restricted",
    "age_or_region_restricted",
    "limited_distribution",
    "search_only",
    "not_recommendable",
    "blocked",
    "deleted",
]
SubjectType = Literal["content", "creator", "user", "live_session"]
Severity = Literal["low", "medium", "high"]
ContentFormat = Literal["post", "article", "video", "short", "live_replay", "podcast"]
FlagSource = Literal["classifier", "rule", "viewer_report", "moderator"]
InteractionKind = Literal["chat_mention", "gift", "dm_request", "follow", "private_invite"]

#: Per-surface recommendability: recommendable, recommendable with limited reach, or not.
Recommendability = bool | Literal["limited"]

#: A subject of the event log or the policy store, e.g. ``("content", "c42")``.
SubjectKey = tuple[str, str]

AGE_BANDS: tuple[AgeBand, ...] = get_args(AgeBand)
SURFACES: tuple[Surface, ...] = get_args(Surface)
POLICY_STATES: tuple[PolicyState, ...] = get_args(PolicyState)
SUBJECT_TYPES: tuple[SubjectType, ...] = get_args(SubjectType)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

#: Bands that are, or may be, under 18. ``unknown`` counts: age checks fail closed.
MINOR_AGE_BANDS: frozenset[AgeBand] = frozenset({"under_13", "13_15", "16_17", "unknown"})

#: Surfaces the platform pushes to a user unasked; held to the strictest policy.
PROACTIVE_SURFACES: frozenset[Surface] = frozenset({"push", "email"})
