"""Final validation: the last check before a response, never skipped.

With a fresh policy snapshot every picked item goes through the gate again (policy
state, surface recommendability, denylist, kill switches, the user's blocks and
mutes, age band, region, expiry), and through the feed's own checks: the item still
exists and is unexpired in the catalog, the user has not hidden or reported it or
seen it on an earlier page, and the source that found it is not switched off.

When the policy snapshot is stale nothing is checked against it: only items on
the vetted fallback list (vetted by the gate, for every audience, while policy
was fresh, and not longer ago than the configured bound) can pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from safefeed.feed.catalog.columns import CatalogView
from safefeed.feed.config import SOURCE_NAMES
from safefeed.policy.gate import RequestContext, evaluate
from safefeed.policy.rules import Action, GateDecision
from safefeed.policy.snapshot import PolicySnapshot
from safefeed.types import PROACTIVE_SURFACES

__all__ = ["Verdict", "VettedFallback", "validate", "validate_fallback", "vet_fallback"]

_MECHANISMS = {"trending": "trending", "exploration": "exploration"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Final validation's word on one row."""

    row: int
    ok: bool
    reason: str
    decision: GateDecision | None = None


@dataclass(frozen=True, slots=True)
class VettedFallback:
    """Fallback rows the gate allowed (ALLOW, nothing softer) for the strictest
    audience on every pull surface, at ``vetted_at`` under ``revision``."""

    rows: frozenset[int]
    vetted_at: datetime
    revision: int


def vet_fallback(
    view: CatalogView, rows: Sequence[int], snapshot: PolicySnapshot, now: datetime
) -> VettedFallback:
    """Vet fallback rows with a fresh snapshot. The audience is the strictest one
    (age band unknown, region unknown), so what passes is safe for anyone."""
    catalog = view.catalog
    allowed = set(rows)
    for surface in ("home", "following", "related"):
        context = RequestContext(surface=surface, now=now)
        decisions = evaluate([catalog.candidate(r) for r in rows], context, snapshot)
        allowed &= {r for r, d in zip(rows, decisions, strict=True) if d.action == Action.ALLOW}
    return VettedFallback(frozenset(allowed), now, snapshot.revision)


def _feed_checks(
    view: CatalogView,
    row: int,
    now_us: int,
    muted: frozenset[str],
    excluded: frozenset[int],
    served: frozenset[int],
) -> str:
    c = view.columns
    catalog = view.catalog
    if row >= view.n or not c["live"][row]:
        return "deleted"
    if c["expires_us"][row] <= now_us:
        return "expired"
    if row in excluded:
        return "seen, hidden or reported"
    if int(c["id_hash"][row]) in served:
        return "served on an earlier page"
    if catalog.creator_ids[int(c["creator"][row])] in muted:
        return "muted creator"
    return ""


def validate(
    view: CatalogView,
    rows: Sequence[int],
    sources: Sequence[int],
    context: RequestContext,
    snapshot: PolicySnapshot,
    excluded: frozenset[int],
    served: frozenset[int],
    now_us: int,
) -> list[Verdict]:
    """Validate picked rows against a fresh snapshot (the caller checked freshness;
    a stale one fails every row through the gate's own freshness rule)."""
    decisions = evaluate([view.catalog.candidate(r) for r in rows], context, snapshot)
    verdicts = []
    for row, code, decision in zip(rows, sources, decisions, strict=True):
        reason = _feed_checks(
            view, row, now_us, context.muted_creators | context.blocked_creators, excluded, served
        )
        source = SOURCE_NAMES[code]
        mechanism = _MECHANISMS.get(source)
        if not reason and not decision.eligible:
            reason = "; ".join(decision.reasons) or "policy gate"
        if not reason and context.surface in PROACTIVE_SURFACES and decision.action >= Action.LIMIT:
            reason = f"{decision.action.name.lower()} item on {context.surface}"
        if not reason and (
            snapshot.kill_switch("source", source, context.now)
            or (mechanism and snapshot.kill_switch(mechanism, "*", context.now))
        ):
            reason = f"kill switch on source {source}"
        verdicts.append(Verdict(row, not reason, reason, decision))
    return verdicts


def validate_fallback(
    view: CatalogView,
    rows: Sequence[int],
    vetted: VettedFallback | None,
    max_age_seconds: float,
    now: datetime,
    now_us: int,
    muted: frozenset[str],
    blocked: frozenset[str],
    excluded: frozenset[int],
    served: frozenset[int],
) -> list[Verdict]:
    """Validate rows while policy is stale: only vetted fallback rows pass."""
    fresh_enough = (
        vetted is not None and (now - vetted.vetted_at).total_seconds() <= max_age_seconds
    )
    verdicts = []
    for row in rows:
        reason = _feed_checks(view, row, now_us, muted | blocked, excluded, served)
        if not reason and not fresh_enough:
            reason = "policy is stale and the vetted fallback list is too old"
        elif not reason and vetted is not None and row not in vetted.rows:
            reason = "policy is stale: not on the vetted fallback list"
        verdicts.append(Verdict(row, not reason, reason))
    return verdicts
