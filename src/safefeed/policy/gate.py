"""The safety eligibility gate: one deterministic check that candidate generation,
ranking features and final validation all call.

Per surface the policy configuration lists an ordered set of rules, each with its
own enable switch. Every rule yields an action from a fixed severity order
(allow < downrank < limit < label < drop) and the strictest wins. Every rule's
outcome is kept for the debug trace; a rule that lacks the data it needs fails
closed (drop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from safefeed.policy.records import PolicyRecord, topic_key
from safefeed.policy.rules import Action, GateDecision, RuleOutcome
from safefeed.policy.snapshot import PolicySnapshot
from safefeed.policy.taxonomy import LIMITED, effective_recommendability
from safefeed.types import MINOR_AGE_BANDS, PROACTIVE_SURFACES, AgeBand, Surface

__all__ = [
    "ITEM_RULES",
    "RULES",
    "Candidate",
    "ItemVerdicts",
    "RequestContext",
    "RequestRules",
    "evaluate",
    "evaluate_one",
    "item_verdicts",
    "request_rules",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the gate needs to know about one item (from the catalog)."""

    content_id: str
    creator_id: str | None
    topics: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    region: str | None = None
    expires_at: datetime | None = None
    #: Moderation or live categories the item belongs to (matched by category switches).
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking, where, and when."""

    surface: Surface
    now: datetime
    age_band: AgeBand = "unknown"
    region: str | None = None
    blocked_creators: frozenset[str] = field(default_factory=frozenset)
    muted_creators: frozenset[str] = field(default_factory=frozenset)


Rule = Callable[[Candidate, RequestContext, PolicySnapshot], RuleOutcome]

_RECOMMENDABILITY_ACTION = {True: Action.ALLOW, LIMITED: Action.LIMIT, False: Action.DROP}


def _applied(rule: str, action: Action, reason: str = "") -> RuleOutcome:
    return RuleOutcome(rule, "applied", action, reason)


# Outcomes of the common cases, shared rather than allocated per candidate.
_FRESH = _applied("snapshot_fresh", Action.ALLOW)
_NOT_BLOCKED = _applied("user_blocks", Action.ALLOW)
_NO_EXPIRY = RuleOutcome("expiry", "not_applicable", Action.ALLOW)
_NO_KILL_SWITCH = _applied("kill_switch", Action.ALLOW)
_NOT_DENIED = _applied("denylist", Action.ALLOW)
_CONTENT_ALLOWED = _applied("content_state", Action.ALLOW)
_NO_CREATOR_STATE = RuleOutcome("creator_state", "not_applicable", Action.ALLOW)
_CREATOR_ALLOWED = _applied("creator_state", Action.ALLOW)
_NO_AUDIENCE_LIMIT = RuleOutcome("audience_age", "not_applicable", Action.ALLOW)
_ADULT_AUDIENCE = _applied("audience_age", Action.ALLOW)
_NO_REGION_LIMIT = RuleOutcome("region", "not_applicable", Action.ALLOW)
_IN_REGION = _applied("region", Action.ALLOW)
_NOT_EXPIRED = _applied("expiry", Action.ALLOW)
_NO_CANDIDATE = Candidate(content_id="", creator_id=None)


def _snapshot_fresh(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    if snap.is_fresh(ctx.now):
        return _FRESH
    age = snap.age(ctx.now).total_seconds()
    return RuleOutcome(
        "snapshot_fresh",
        "missing_data",
        Action.DROP,
        f"policy state is {age:.0f}s old, over the {snap.config.freshness_seconds:.0f}s bound",
    )


def _kill_switch(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    checks: list[tuple[str, str]] = [("item", c.content_id)]
    if c.creator_id is not None:
        checks.append(("creator", c.creator_id))
    checks += [("topic", topic_key(t)) for t in c.topics]
    checks += [("category", topic_key(k)) for k in c.categories]
    content_state = snap.state_of("content", c.content_id)
    if content_state is not None:
        checks += [("category", topic_key(r)) for r in content_state.reasons]
    if ctx.surface == "push":
        checks.append(("push", "*"))
    for scope, target in checks:
        switch = snap.kill_switch(scope, target, ctx.now)
        if switch is not None:
            return _applied("kill_switch", Action.DROP, f"kill switch {scope}:{target} is on")
    return _NO_KILL_SWITCH


def _denylist(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    checks: list[tuple[str, str]] = [("content", c.content_id)]
    if c.creator_id is not None:
        checks.append(("creator", c.creator_id))
    checks += [("topic", topic_key(t)) for t in c.topics]
    checks += [("campaign", h.lstrip("#").lower()) for h in c.hashtags]
    for kind, value in checks:
        if snap.denied(kind, value):
            return _applied("denylist", Action.DROP, f"{kind} {value} is denylisted")
    return _NOT_DENIED


def _content_state(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    record = snap.state_of("content", c.content_id)
    if record is None:
        action = snap.config.surface(ctx.surface).unknown_state_action
        if ctx.surface in PROACTIVE_SURFACES:
            action = Action.DROP  # unknown state never reaches a proactive surface
        return RuleOutcome("content_state", "missing_data", action, "no policy state for the item")
    value = effective_recommendability(record.state, ctx.surface, record.surfaces)
    action = _RECOMMENDABILITY_ACTION[value]
    if action is Action.ALLOW and record.state == "restricted":
        action = Action.LABEL  # sensitive content shows behind an interstitial
    if action is Action.ALLOW:
        return _CONTENT_ALLOWED
    return _applied("content_state", action, f"item is {record.state} ({ctx.surface}: {value})")


def _account_records(c: Candidate, snap: PolicySnapshot) -> list[PolicyRecord]:
    """The creator's own policy records: as a creator, and as the account it is.

    Creators and users share one account namespace (EVENTS.md), and a platform that
    bans or restricts an account may say so of the ``user``: the account's content
    must not outlive that in feeds."""
    if c.creator_id is None:
        return []
    records = (snap.state_of("creator", c.creator_id), snap.state_of("user", c.creator_id))
    return [r for r in records if r is not None]


_ACCOUNT_NAMES = {"creator": "creator", "user": "creator's account"}


def _creator_state(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    if c.creator_id is None:
        return RuleOutcome("creator_state", "missing_data", Action.DROP, "item has no creator")
    records = _account_records(c, snap)
    if not records:
        return _NO_CREATOR_STATE
    outcome = _CREATOR_ALLOWED
    for record in records:
        value = effective_recommendability(record.state, ctx.surface, record.surfaces)
        action = _RECOMMENDABILITY_ACTION[value]
        if action > outcome.action:
            who = _ACCOUNT_NAMES[record.subject[0]]
            reason = f"{who} is {record.state} ({ctx.surface}: {value})"
            outcome = _applied("creator_state", action, reason)
    return outcome


_AUDIENCE_STATES = frozenset({"restricted", "age_or_region_restricted"})


def _audience_requirement(c: Candidate, snap: PolicySnapshot) -> str | None:
    """The restricting state (of the item, else its creator's account) that limits who may see
    the item, if any: the item-level half of the audience rule, memoized."""
    record = snap.state_of("content", c.content_id)
    if record is not None and record.state in _AUDIENCE_STATES:
        return record.state
    for record in _account_records(c, snap):
        if record.state in _AUDIENCE_STATES:
            return record.state
    return None


def _audience_check(restricting: str | None, ctx: RequestContext) -> RuleOutcome:
    """The request-level half: does this user's age band meet the requirement?"""
    if restricting is None:
        return _NO_AUDIENCE_LIMIT
    if ctx.age_band in MINOR_AGE_BANDS:
        return _applied(
            "audience_age",
            Action.DROP,
            f"{restricting} content for a user in age band {ctx.age_band}",
        )
    return _ADULT_AUDIENCE


def _audience_age(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    return _audience_check(_audience_requirement(c, snap), ctx)


def _region_requirement(c: Candidate, snap: PolicySnapshot) -> bool:
    """Whether the item is shown only in its own region (item-level half, memoized):
    the item or its creator's account is region-restricted, as the audience rule reads."""
    records = [snap.state_of("content", c.content_id), *_account_records(c, snap)]
    return any(r is not None and r.state == "age_or_region_restricted" for r in records)


def _region_check(restricted: bool, c: Candidate, ctx: RequestContext) -> RuleOutcome:
    """The request-level half: is the user in the item's region?"""
    if not restricted:
        return _NO_REGION_LIMIT
    # A region-restricted item is shown only in the region it was published for.
    if c.region is None or ctx.region is None:
        return RuleOutcome(
            "region", "missing_data", Action.DROP, "region unknown for a region-restricted item"
        )
    if c.region != ctx.region:
        return _applied("region", Action.DROP, f"restricted to {c.region}, user in {ctx.region}")
    return _IN_REGION


def _region(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    return _region_check(_region_requirement(c, snap), c, ctx)


def _user_blocks(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    if c.creator_id is None:
        return RuleOutcome("user_blocks", "missing_data", Action.DROP, "item has no creator")
    if c.creator_id in ctx.blocked_creators:
        return _applied("user_blocks", Action.DROP, f"user blocked creator {c.creator_id}")
    if c.creator_id in ctx.muted_creators:
        return _applied("user_blocks", Action.DROP, f"user muted creator {c.creator_id}")
    return _NOT_BLOCKED


def _expiry(c: Candidate, ctx: RequestContext, snap: PolicySnapshot) -> RuleOutcome:
    if c.expires_at is None:
        return _NO_EXPIRY
    if c.expires_at <= ctx.now:
        return _applied("expiry", Action.DROP, f"expired at {c.expires_at.isoformat()}")
    return _NOT_EXPIRED


RULES: dict[str, Rule] = {
    "snapshot_fresh": _snapshot_fresh,
    "kill_switch": _kill_switch,
    "denylist": _denylist,
    "content_state": _content_state,
    "creator_state": _creator_state,
    "audience_age": _audience_age,
    "region": _region,
    "user_blocks": _user_blocks,
    "expiry": _expiry,
}

#: Rules whose outcome depends only on the item, the surface and the policy state:
#: memoized per process and policy revision. The rest read the request too (the
#: user's age band, region and blocks, freshness, the clock) and run on every call;
#: they are cheap lookups that return shared outcomes in the common case.
ITEM_RULES: frozenset[str] = frozenset(
    {"kill_switch", "denylist", "content_state", "creator_state"}
)

# Verdicts are a few hundred bytes; this bounds the memo near half a gigabyte. Keys are
# (item, surface), so a million-item catalog on two or three surfaces fits.
_MEMO_LIMIT = 2_000_000
_ORDINARY: dict[str, RuleOutcome] = {
    "snapshot_fresh": _FRESH,
    "audience_age": _NO_AUDIENCE_LIMIT,
    "region": _NO_REGION_LIMIT,
    "user_blocks": _NOT_BLOCKED,
    "expiry": _NO_EXPIRY,
}
# When full, the oldest quarter goes (dicts keep insertion order): evicting everything
# at once made a large catalog thrash — every request found a cold memo.
_MEMO_EVICT = _MEMO_LIMIT // 4


@dataclass(frozen=True, slots=True)
class _Verdict:
    """An item's memoized rule outcomes for one surface, valid while nothing they read
    has changed. ``slots`` follows the surface's rule order; None marks a request rule."""

    candidate: Candidate
    generation: int
    content_revision: int
    creator_revision: int
    until: datetime | None
    slots: tuple[RuleOutcome | None, ...]
    action: Action
    #: The item-level halves of the audience and region rules.
    audience: str | None
    region_restricted: bool


def _item_outcomes(
    candidate: Candidate, context: RequestContext, snapshot: PolicySnapshot
) -> tuple[tuple[RuleOutcome | None, ...], Action]:
    """The item rules' outcomes in the surface's rule order (None where a request rule
    goes) and the strictest of their actions."""
    slots: list[RuleOutcome | None] = []
    action = Action.ALLOW
    for setting in snapshot.config.surface(context.surface).rules:
        if not setting.enabled:
            slots.append(RuleOutcome(setting.name, "disabled", Action.ALLOW))
        elif setting.name in ITEM_RULES:
            outcome = RULES[setting.name](candidate, context, snapshot)
            action = max(action, outcome.action)
            slots.append(outcome)
        else:
            slots.append(None)
    return tuple(slots), action


@dataclass(frozen=True, slots=True)
class ItemVerdicts:
    """What the item rules say about a batch of candidates on one surface, in the
    form a vectorised memo can hold: the strictest item-level action per candidate,
    and whether its request rules can say anything but ALLOW (``ordinary`` False:
    an audience or region restriction, an expiry, or no creator). Valid until
    ``until`` (the next kill switch to lapse) and while nothing the rules read changed.
    """

    actions: tuple[int, ...]
    ordinary: tuple[bool, ...]
    until: datetime | None
    #: True where an audience requirement is all that keeps a candidate from being
    #: ordinary: its request rules then say only what the audience rule says for the
    #: user's age band (`RequestRules.audience_action`).
    audience_only: tuple[bool, ...]


def item_verdicts(
    candidates: Sequence[Candidate], surface: Surface, now: datetime, snapshot: PolicySnapshot
) -> ItemVerdicts:
    """The item-level half of the gate for a batch, not memoized here: the caller
    keeps the result per catalog row (see `safefeed.feed.catalog.verdicts`)."""
    context = RequestContext(surface=surface, now=now)
    actions: list[int] = []
    ordinary: list[bool] = []
    audience_only: list[bool] = []
    for candidate in candidates:
        actions.append(int(_item_outcomes(candidate, context, snapshot)[1]))
        plain = (
            candidate.creator_id is not None
            and candidate.expires_at is None
            and not _region_requirement(candidate, snapshot)
        )
        audience = _audience_requirement(candidate, snapshot) is not None
        ordinary.append(plain and not audience)
        audience_only.append(plain and audience)
    return ItemVerdicts(
        tuple(actions), tuple(ordinary), snapshot.next_switch_expiry(now), tuple(audience_only)
    )


@dataclass(frozen=True, slots=True)
class RequestRules:
    """The request half of the gate for one request: when it lets an ordinary item
    (see `ItemVerdicts`) through on the item rules' action alone."""

    #: False when policy is stale: every item then goes through `evaluate` (and drops).
    fresh: bool
    #: Creators whose items always go through `evaluate` (blocked or muted ones).
    unwanted_creators: frozenset[str]
    #: The request rules' action for an item that is ordinary but for an audience
    #: requirement (`ItemVerdicts.audience_only`), from another creator: the audience
    #: rule's for this user's age band (ALLOW where the surface does not run it).
    audience_action: Action


def request_rules(context: RequestContext, snapshot: PolicySnapshot) -> RequestRules:
    """What the request rules need checked per item for this request: ordinary items
    from other creators take every request rule's shared ALLOW, and items ordinary but
    for an audience requirement the audience rule's outcome, as in `evaluate`."""
    fresh = _snapshot_fresh(_NO_CANDIDATE, context, snapshot) is _FRESH
    rules = snapshot.config.surface(context.surface).rules
    audience = Action.ALLOW
    if any(r.enabled and r.name == "audience_age" for r in rules):
        # The audience rule's action reads the user's age band, not which restricting
        # state the item is in.
        audience = _audience_check("restricted", context).action
    return RequestRules(fresh, context.blocked_creators | context.muted_creators, audience)


def _verdict(candidate: Candidate, context: RequestContext, snapshot: PolicySnapshot) -> _Verdict:
    """The item rules' outcomes, from the snapshot's memo when still valid."""
    memo = snapshot.memo
    revisions = snapshot.subject_revisions
    content_revision = revisions.get(("content", candidate.content_id), 0)
    creator = candidate.creator_id
    creator_revision = 0 if creator is None else revisions.get(("creator", creator), 0)
    key = (candidate.content_id, context.surface)
    if memo is not None:
        found: _Verdict | None = memo.get(key)
        if (
            found is not None
            and found.generation == snapshot.generation
            and found.content_revision == content_revision
            and found.creator_revision == creator_revision
            and (found.until is None or context.now < found.until)
            and (found.candidate is candidate or found.candidate == candidate)
        ):
            return found
    slots, action = _item_outcomes(candidate, context, snapshot)
    verdict = _Verdict(
        candidate,
        snapshot.generation,
        content_revision,
        creator_revision,
        snapshot.next_switch_expiry(context.now),
        slots,
        action,
        _audience_requirement(candidate, snapshot),
        _region_requirement(candidate, snapshot),
    )
    if memo is not None:
        if len(memo) >= _MEMO_LIMIT:
            for stale in list(islice(memo, _MEMO_EVICT)):
                del memo[stale]
        memo[key] = verdict
    return verdict


def evaluate(
    candidates: Iterable[Candidate], context: RequestContext, snapshot: PolicySnapshot
) -> list[GateDecision]:
    """Run the surface's rules over a batch of candidates for one request context."""
    rules = snapshot.config.surface(context.surface).rules
    request_rules = [r.name for r in rules if r.enabled and r.name not in ITEM_RULES]
    # Freshness is a property of the request, not the item: decided once per batch.
    fresh = _snapshot_fresh(_NO_CANDIDATE, context, snapshot)
    # What every request rule says for an ordinary item (fresh policy, no audience or
    # region restriction, a known creator the user has not blocked, no expiry): the
    # same shared outcomes each rule's own function returns in that case.
    ordinary = tuple(_ORDINARY[name] for name in request_rules)
    # An otherwise ordinary item with an audience requirement differs only in the
    # audience rule, whose outcome reads the requirement and the user's age band:
    # the request outcomes are built once per requirement in the batch.
    by_audience: dict[str, tuple[tuple[RuleOutcome, ...], Action]] = {}
    audience_rule = "audience_age" in request_rules
    unwanted = context.blocked_creators | context.muted_creators
    revision, version = snapshot.revision, snapshot.config.version
    decisions = []
    for candidate in candidates:
        verdict = _verdict(candidate, context, snapshot)
        action = verdict.action
        request: tuple[RuleOutcome, ...]
        if (
            fresh is _FRESH
            and not verdict.region_restricted
            and candidate.expires_at is None
            and candidate.creator_id is not None
            and candidate.creator_id not in unwanted
        ):
            audience = verdict.audience
            # With the audience rule disabled on this surface, nothing reads the
            # requirement, exactly as in the general path below.
            if audience is None or not audience_rule:
                request = ordinary
            else:
                found = by_audience.get(audience)
                if found is None:
                    check = _audience_check(audience, context)
                    found = by_audience[audience] = (
                        tuple(check if o.rule == "audience_age" else o for o in ordinary),
                        check.action,
                    )
                request, audience_action = found
                if audience_action > action:
                    action = audience_action
        else:
            request = tuple(
                _request_outcome(name, candidate, context, snapshot, verdict, fresh)
                for name in request_rules
            )
            for outcome in request:
                if outcome.action > action:
                    action = outcome.action
        decisions.append(
            GateDecision(
                candidate.content_id,
                action,
                policy_revision=revision,
                config_version=version,
                parts=(verdict.slots, request),
            )
        )
    return decisions


def _request_outcome(
    name: str,
    candidate: Candidate,
    context: RequestContext,
    snapshot: PolicySnapshot,
    verdict: _Verdict,
    fresh: RuleOutcome,
) -> RuleOutcome:
    """One request rule's outcome, using what the verdict already knows of the item."""
    if name == "snapshot_fresh":
        return fresh
    if name == "audience_age":
        return _audience_check(verdict.audience, context)
    if name == "region":
        return _region_check(verdict.region_restricted, candidate, context)
    return RULES[name](candidate, context, snapshot)


def evaluate_one(
    candidate: Candidate, context: RequestContext, snapshot: PolicySnapshot
) -> GateDecision:
    """Run the surface's rules over one candidate."""
    return evaluate((candidate,), context, snapshot)[0]
