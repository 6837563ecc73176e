"""Candidate generation: run each source within its quota, drop what the request
may not see with cheap array checks, and ask the gate about every row a source
returns — through the process's array memo of the gate's item-level verdicts
(`safefeed.feed.catalog.verdicts`) for ordinary items, through the whole gate for
the rest. Sources switched off by a kill switch, or needing a profile the request
may not use, are not run; the trace says which and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import CatalogView
from safefeed.feed.catalog.verdicts import VerdictArrays
from safefeed.feed.config import SOURCE_NAMES
from safefeed.feed.sources.base import CandidateSource, Rows, SourceContext
from safefeed.feed.sources.curated import (
    EditorialSource,
    ExplorationSource,
    FallbackSource,
    TrendingSource,
)
from safefeed.feed.sources.profile import (
    AffinityCreatorSource,
    AffinityTopicSource,
    FollowingSource,
    SessionTopicSource,
)
from safefeed.feed.sources.similar import SimilarSource
from safefeed.policy.gate import RequestContext, RequestRules, evaluate, request_rules
from safefeed.policy.rules import Action, GateDecision
from safefeed.policy.snapshot import PolicySnapshot

__all__ = ["DEFAULT_SOURCES", "CandidatePool", "excluded_mask", "generate", "prefilter"]

DEFAULT_SOURCES: tuple[CandidateSource, ...] = (
    FollowingSource(),
    AffinityTopicSource(),
    AffinityCreatorSource(),
    SessionTopicSource(),
    SimilarSource(),
    TrendingSource(),
    ExplorationSource(),
    EditorialSource(),
    FallbackSource(),
)
_SOURCE_CODE = {name: code for code, name in enumerate(SOURCE_NAMES)}
#: Kill-switch scopes that switch a whole source off.
_MECHANISM_SWITCHES = {"trending": "trending", "exploration": "exploration"}


@dataclass(slots=True)
class CandidatePool:
    """One request's candidates: rows with their first source, every source that
    proposed them (a bit mask over `SOURCE_NAMES`) and the gate's decision."""

    rows: Rows
    source: npt.NDArray[np.int8]
    provenance: npt.NDArray[np.int32]
    action: npt.NDArray[np.int8]
    decisions: dict[int, GateDecision]
    removed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def excluded_mask(view: CatalogView, excluded: Rows) -> npt.NDArray[np.bool_] | None:
    """``excluded`` (the rows a user has seen, hidden or reported) as a mask over the
    view's rows, for `prefilter`; None when there are none."""
    if not len(excluded):
        return None
    mask = np.zeros(view.n, dtype=bool)
    mask[excluded[excluded < view.n]] = True  # a row past the view is no candidate
    return mask


def prefilter(
    ctx: SourceContext,
    rows: Rows,
    excluded: npt.NDArray[np.bool_] | None,
    served: Rows,
    removed: dict[str, int],
) -> Rows:
    """Drop rows the request must not see, before the (costlier) gate: deleted or
    expired, under the surface's quality floor, seen or hidden or reported
    (``excluded``, see `excluded_mask`) or already served in this session, from
    muted creators or the user themselves, on excluded topics."""
    c = ctx.view.columns
    checks: list[tuple[str, npt.NDArray[np.bool_]]] = [
        ("deleted", c["live"].take(rows)),
        ("expired", c["expires_us"].take(rows) > ctx.now_us),
        ("quality_floor", c["quality"].take(rows) >= ctx.surface.quality_floor),
    ]
    # A lookup per row in the request's mask, where `isin` sorted the seen rows again
    # for every source (they grow with every page a user is shown).
    if excluded is not None:
        checks.append(("seen_or_feedback", ~excluded.take(rows)))
    # Skipped when empty (a first page): `isin` costs even then.
    if len(served):
        checks.append(("served_on_earlier_page", ~np.isin(c["id_hash"].take(rows), served)))
    muted = ctx.view.catalog.creator_rows(sorted(ctx.user.muted)) if ctx.user.muted else rows[:0]
    if len(muted):
        checks.append(("muted_creator", np.asarray(~np.isin(c["creator"].take(rows), muted))))
    # A creator is an account too: their own uploads are no recommendation to them.
    own = ctx.view.catalog.creator_rows([ctx.user.user_id])
    if len(own):
        checks.append(("own_item", c["creator"].take(rows) != own[0]))
    if ctx.user.controls.exclude_topics:
        on_topic = ctx.view.catalog.on_topics(rows, list(ctx.user.controls.exclude_topics))
        checks.append(("excluded_topic", ~on_topic))
    keep = np.ones(len(rows), dtype=bool)
    left = len(rows)
    for name, ok in checks:
        # What each check drops, counted from the rows still kept (no temporaries).
        keep &= ok
        now_left = int(np.count_nonzero(keep))
        if now_left < left:
            removed[name] = removed.get(name, 0) + left - now_left
        left = now_left
    return rows[keep]


def generate(
    ctx: SourceContext,
    excluded: Rows,
    served: Rows,
    gate_context: RequestContext,
    snapshot: PolicySnapshot,
    sources: Sequence[CandidateSource] = DEFAULT_SOURCES,
    verdicts: VerdictArrays | None = None,
) -> CandidatePool:
    """The candidate pool of one request. ``verdicts`` is the process's memo of the
    gate's item-level verdicts (a fresh, empty one when not given)."""
    quotas = ctx.surface.quotas
    catalog = ctx.view.catalog
    verdicts = verdicts or VerdictArrays(catalog)
    rules = request_rules(gate_context, snapshot)
    unwanted = catalog.creator_rows(sorted(rules.unwanted_creators))
    rows: list[Rows] = []
    codes: list[npt.NDArray[np.int8]] = []
    actions: list[npt.NDArray[np.int8]] = []
    decisions: dict[int, GateDecision] = {}
    # Bits of later sources that proposed a row an earlier one already contributed.
    also: dict[int, int] = {}
    removed: dict[str, int] = {}
    skipped: dict[str, str] = {}
    now = gate_context.now
    # The rows earlier sources contributed, as a mask over the catalog: one lookup per
    # proposed row, where `np.isin` against the pool so far sorted both on every source.
    in_pool = np.zeros(ctx.view.n, dtype=bool)
    seen = excluded_mask(ctx.view, excluded)
    for source in sources:
        quota = quotas.get(source.name, 0)
        if quota <= 0:
            continue
        if source.uses_profile and not ctx.personalized:
            skipped[source.name] = "non-personalized: the profile is not used"
            continue
        switch = _MECHANISM_SWITCHES.get(source.name)
        if snapshot.kill_switch("source", source.name, now) or (
            switch and snapshot.kill_switch(switch, "*", now)
        ):
            skipped[source.name] = "kill switch"
            continue
        proposed = _first_of_each(source.propose(ctx, quota * 2))
        bit = 1 << _SOURCE_CODE[source.name]
        fresh = proposed
        if rows:
            known = in_pool[proposed]
            for row in proposed[known].tolist():
                also[row] = also.get(row, 0) | bit
            fresh = proposed[~known]
        candidates = prefilter(ctx, fresh.astype(np.int64), seen, served, removed)
        kept, action = _gate(
            ctx.view, candidates, quota, gate_context, snapshot, verdicts, rules,
            unwanted, decisions, removed,
        )  # fmt: skip
        rows.append(kept)
        in_pool[kept] = True
        actions.append(action)
        codes.append(np.full(len(kept), _SOURCE_CODE[source.name], dtype=np.int8))
    all_rows = np.concatenate(rows) if rows else np.empty(0, np.int64)
    source_codes = np.concatenate(codes) if codes else np.empty(0, np.int8)
    provenance = np.left_shift(1, source_codes.astype(np.int32))
    if also:
        order = np.argsort(all_rows)  # the rows are distinct: no ties to keep stable
        keys = np.fromiter(also, np.int64, len(also))
        at = order[np.searchsorted(all_rows[order], keys)]
        provenance[at] |= np.fromiter(also.values(), np.int32, len(also))
    return CandidatePool(
        rows=all_rows,
        source=source_codes,
        provenance=provenance.astype(np.int32),
        action=np.concatenate(actions) if actions else np.empty(0, np.int8),
        decisions=decisions,
        removed=removed,
        skipped=skipped,
    )


def _first_of_each(proposed: Rows) -> Rows:
    """``proposed`` without repeats, in its order. A source may propose a row more than
    once (an item on two of the user's topics is on both topics' lists); every copy
    would join the pool, and reranking, which caps creators and topics but never
    compares rows, could put the item on a page twice."""
    _, first = np.unique(proposed, return_index=True)
    if len(first) == len(proposed):
        return proposed
    return proposed[np.sort(first)]


def _gate(
    view: CatalogView,
    candidates: Rows,
    quota: int,
    context: RequestContext,
    snapshot: PolicySnapshot,
    verdicts: VerdictArrays,
    rules: RequestRules,
    unwanted: Rows,
    decisions: dict[int, GateDecision],
    removed: dict[str, int],
) -> tuple[Rows, npt.NDArray[np.int8]]:
    """The gate over one source's candidates (each row gated once per request): the
    first ``quota`` eligible rows and their actions. Ordinary items take the item
    rules' memoized action (the request rules can only allow them), items ordinary but
    for an audience requirement that action and the audience rule's for this request;
    the others — region restrictions, an expiry, a blocked or muted creator, stale
    policy — go through the whole gate, whose decisions are kept."""
    if not len(candidates):
        return candidates, np.empty(0, np.int8)
    known = verdicts.lookup(candidates, context.surface, snapshot, context.now)
    action = known.actions.astype(np.int8)
    plain = known.ordinary & rules.fresh
    audience = known.audience_only & rules.fresh
    if len(unwanted):
        wanted = ~np.isin(view.col("creator")[candidates], unwanted)
        plain &= wanted
        audience &= wanted
    if rules.audience_action != Action.ALLOW:
        action[audience] = np.maximum(action[audience], int(rules.audience_action))
    plain |= audience
    special = np.flatnonzero(~plain)
    found: dict[int, GateDecision] = {}
    if len(special):
        rows = candidates[special].tolist()
        gated = evaluate([view.catalog.candidate(r) for r in rows], context, snapshot)
        found = dict(zip(rows, gated, strict=True))
        action[special] = [int(d.action) for d in gated]
    eligible = action < int(Action.DROP)
    positions = np.flatnonzero(eligible)
    cutoff = int(positions[quota - 1]) + 1 if len(positions) >= quota else len(candidates)
    dropped = cutoff - int(np.count_nonzero(eligible[:cutoff]))
    if dropped:
        removed["gate"] = removed.get("gate", 0) + dropped
    take = positions[:quota]
    kept = candidates[take]
    for row in kept[~plain[take]].tolist():
        decisions[row] = found[row]
    return kept, action[take]
