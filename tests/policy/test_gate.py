from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safefeed.policy import Action, Candidate, RequestContext, evaluate, evaluate_one
from safefeed.types import AGE_BANDS, POLICY_STATES, PROACTIVE_SURFACES, SURFACES
from tests.support.policy import NOW, record, snapshot, stale_time

ITEM = Candidate(
    content_id="c1", creator_id="cr1", topics=("cooking",), hashtags=("#Yum",), region="US"
)


def decide(snap, surface="home", age_band="25_plus", region="US", candidate=ITEM, now=NOW, **ctx):  # type: ignore[no-untyped-def]
    context = RequestContext(surface=surface, now=now, age_band=age_band, region=region, **ctx)
    return evaluate_one(candidate, context, snap)


def outcome(decision, rule):  # type: ignore[no-untyped-def]
    return next(o for o in decision.outcomes if o.rule == rule)


def test_allowed_item_passes_everywhere_with_every_rule_reported() -> None:
    snap = snapshot([record("content", "c1", "allowed")])
    for surface in SURFACES:
        decision = decide(snap, surface)
        assert decision.action is Action.ALLOW, surface
        assert [o.rule for o in decision.outcomes] == [
            r.name for r in snap.config.surface(surface).rules
        ]


@pytest.mark.parametrize(
    ("state", "surface", "expected"),
    [
        ("limited_distribution", "home", Action.LIMIT),
        ("limited_distribution", "push", Action.DROP),
        ("limited_distribution", "email", Action.DROP),
        ("limited_distribution", "search", Action.ALLOW),
        ("search_only", "home", Action.DROP),
        ("search_only", "search", Action.ALLOW),
        ("not_recommendable", "related", Action.DROP),
        ("not_recommendable", "following", Action.ALLOW),
        ("needs_review", "home", Action.LIMIT),
        ("needs_review", "push", Action.DROP),
        ("restricted", "search", Action.LABEL),
        ("restricted", "home", Action.LIMIT),
        ("blocked", "search", Action.DROP),
        ("deleted", "following", Action.DROP),
    ],
)
def test_state_taxonomy_per_surface(state, surface, expected) -> None:  # type: ignore[no-untyped-def]
    decision = decide(snapshot([record("content", "c1", state)]), surface)
    assert decision.action is expected


def test_overrides_may_tighten_or_loosen_but_never_past_the_ceiling() -> None:
    tightened = snapshot([record("content", "c1", "allowed", {"home": "limited"})])
    assert decide(tightened, "home").action is Action.LIMIT
    loosened = snapshot([record("content", "c1", "not_recommendable", {"related": True})])
    assert decide(loosened, "related").action is Action.ALLOW
    capped = snapshot([record("content", "c1", "limited_distribution", {"push": True})])
    assert decide(capped, "push").action is Action.DROP
    blocked = snapshot([record("content", "c1", "blocked", {"search": True})])
    assert decide(blocked, "search").action is Action.DROP


def test_unknown_state_is_limited_on_pull_and_dropped_on_proactive_surfaces() -> None:
    snap = snapshot()
    assert decide(snap, "home").action is Action.LIMIT
    assert outcome(decide(snap, "home"), "content_state").status == "missing_data"
    for surface in PROACTIVE_SURFACES:
        assert decide(snap, surface).action is Action.DROP


@pytest.mark.parametrize(
    ("kind", "value"),
    [("content", "c1"), ("creator", "cr1"), ("topic", "cooking"), ("campaign", "yum")],
)
def test_denylist_matches_item_creator_topic_and_campaign(kind: str, value: str) -> None:
    snap = snapshot([record("content", "c1", "allowed")], denylist={kind: {value}})
    decision = decide(snap, "search")
    assert decision.action is Action.DROP
    assert outcome(decision, "denylist").reason == f"{kind} {value} is denylisted"


@pytest.mark.parametrize(
    ("scope", "target", "surface"),
    [
        ("item", "c1", "home"),
        ("creator", "cr1", "related"),
        ("topic", "cooking", "search"),
        ("category", "spam", "home"),
        ("push", "*", "push"),
    ],
)
def test_kill_switches_drop(scope: str, target: str, surface: str) -> None:
    snap = snapshot(
        [record("content", "c1", "allowed", reasons=("spam",))], kill_switches=[(scope, target)]
    )
    assert decide(snap, surface).action is Action.DROP


def test_push_kill_switch_leaves_other_surfaces_alone() -> None:
    snap = snapshot([record("content", "c1", "allowed")], kill_switches=[("push", "*")])
    assert decide(snap, "home").action is Action.ALLOW


def test_expired_kill_switch_lapses() -> None:
    snap = snapshot([record("content", "c1", "allowed")], kill_switches=[("item", "c1")])
    switch = snap.kill_switches[("item", "c1")]
    lapsing = type(switch)(
        switch.scope, switch.target, "a", "r", NOW, True, NOW + timedelta(seconds=5)
    )
    snap.kill_switches[("item", "c1")] = lapsing  # type: ignore[index]
    assert decide(snap, now=NOW + timedelta(seconds=4)).action is Action.DROP
    assert decide(snap, now=NOW + timedelta(seconds=6)).action is Action.ALLOW


@pytest.mark.parametrize("band", ["under_13", "13_15", "16_17", "unknown"])
def test_age_restricted_content_never_reaches_minors_or_unknown_ages(band: str) -> None:
    for state in ("restricted", "age_or_region_restricted"):
        snap = snapshot([record("content", "c1", state)])
        assert decide(snap, "search", age_band=band).action is Action.DROP


def test_region_restriction_needs_a_matching_known_region() -> None:
    snap = snapshot([record("content", "c1", "age_or_region_restricted")])
    assert decide(snap, region="US").action is Action.ALLOW
    assert decide(snap, region="DE").action is Action.DROP
    missing = decide(snap, region=None)
    assert missing.action is Action.DROP
    assert outcome(missing, "region").status == "missing_data"


def test_user_blocks_and_mutes() -> None:
    snap = snapshot([record("content", "c1", "allowed")])
    assert decide(snap, muted_creators=frozenset({"cr1"})).action is Action.DROP
    assert decide(snap, blocked_creators=frozenset({"cr1"})).action is Action.DROP


def test_expired_news_is_dropped_except_on_search() -> None:
    old = Candidate(content_id="c1", creator_id="cr1", expires_at=NOW - timedelta(hours=1))
    snap = snapshot([record("content", "c1", "allowed")])
    assert decide(snap, "home", candidate=old).action is Action.DROP
    decision = decide(snap, "search", candidate=old)
    assert decision.action is Action.ALLOW
    assert outcome(decision, "expiry").status == "disabled"


def test_creator_state_applies_to_their_items() -> None:
    snap = snapshot(
        [record("content", "c1", "allowed"), record("creator", "cr1", "limited_distribution")]
    )
    assert decide(snap, "home").action is Action.LIMIT
    assert decide(snap, "email").action is Action.DROP


@pytest.mark.parametrize("state", ["blocked", "deleted"])
def test_an_account_banned_as_a_user_takes_its_content_out_of_every_surface(state: str) -> None:
    # One account namespace: the platform may ban "user cr1", the account that creates.
    snap = snapshot([record("content", "c1", "allowed"), record("user", "cr1", state)])
    for surface in SURFACES:
        decision = decide(snap, surface)
        assert decision.action is Action.DROP, surface
        assert outcome(decision, "creator_state").reason == (
            f"creator's account is {state} ({surface}: False)"
        )


def test_an_accounts_restriction_as_a_user_keeps_its_content_from_minors() -> None:
    snap = snapshot([record("content", "c1", "allowed"), record("user", "cr1", "restricted")])
    assert decide(snap, "home", age_band="13_15").action is Action.DROP
    assert decide(snap, "home", age_band="25_plus").action is Action.LIMIT
    region = snapshot(
        [record("content", "c1", "allowed"), record("user", "cr1", "age_or_region_restricted")]
    )
    assert decide(region, "home", region="US").eligible
    assert not decide(region, "home", region="DE").eligible


def test_the_stricter_of_creator_and_account_state_applies() -> None:
    snap = snapshot(
        [
            record("content", "c1", "allowed"),
            record("creator", "cr1", "allowed"),
            record("user", "cr1", "not_recommendable"),
        ]
    )
    assert decide(snap, "home").action is Action.DROP
    assert decide(snap, "following").action is Action.ALLOW
    # Another account's state is not this creator's.
    other = snapshot([record("content", "c1", "allowed"), record("user", "cr2", "blocked")])
    assert decide(other, "home").action is Action.ALLOW


def test_missing_creator_fails_closed() -> None:
    orphan = Candidate(content_id="c1", creator_id=None)
    decision = decide(snapshot([record("content", "c1", "allowed")]), candidate=orphan)
    assert decision.action is Action.DROP
    assert outcome(decision, "creator_state").status == "missing_data"


def test_stale_snapshot_drops_everything_with_the_reason() -> None:
    snap = snapshot([record("content", "c1", "allowed")])
    decision = decide(snap, now=stale_time())
    assert decision.action is Action.DROP
    assert "over the 30s bound" in outcome(decision, "snapshot_fresh").reason


def test_batch_evaluation_matches_single_evaluation() -> None:
    snap = snapshot([record("content", "c1", "allowed"), record("content", "c2", "blocked")])
    items = [
        ITEM,
        Candidate(content_id="c2", creator_id="cr1"),
        Candidate(content_id="c3", creator_id="cr2"),
    ]
    context = RequestContext(surface="home", now=NOW, age_band="25_plus", region="US")
    assert evaluate(items, context, snap) == [evaluate_one(i, context, snap) for i in items]


# ---------------------------------------------------------------- properties

states = st.one_of(st.none(), st.sampled_from(POLICY_STATES))
recommendability = st.sampled_from([True, False, "limited"])
overrides = st.dictionaries(st.sampled_from(SURFACES), recommendability, max_size=4)
topics = st.lists(st.sampled_from(["news", "cooking", "politics", "pets"]), max_size=3, unique=True)


@st.composite
def worlds(draw):  # type: ignore[no-untyped-def]
    candidate = Candidate(
        content_id="c1",
        creator_id=draw(st.sampled_from(["cr1", "cr2"])),
        topics=tuple(draw(topics)),
        hashtags=tuple(draw(st.lists(st.sampled_from(["#a", "#b"]), max_size=2))),
        region=draw(st.sampled_from([None, "US", "DE"])),
    )
    records = []
    content_state = draw(states)
    if content_state is not None:
        records.append(record("content", "c1", content_state, draw(overrides), ("spam",)))
    creator_state = draw(states)
    if creator_state is not None:
        records.append(
            record("creator", candidate.creator_id or "", creator_state, draw(overrides))
        )
    account_state = draw(states)
    if account_state is not None:
        records.append(record("user", candidate.creator_id or "", account_state, draw(overrides)))
    denylist = {
        "content": draw(st.sets(st.sampled_from(["c1", "c9"]))),
        "creator": draw(st.sets(st.sampled_from(["cr1", "cr9"]))),
        "topic": draw(st.sets(st.sampled_from(["politics", "cars"]))),
        "campaign": draw(st.sets(st.sampled_from(["a", "z"]))),
    }
    stale = draw(st.booleans())
    snap = snapshot(records, denylist=denylist)
    context = RequestContext(
        surface=draw(st.sampled_from(SURFACES)),
        now=stale_time() if stale else NOW,
        age_band=draw(st.sampled_from(AGE_BANDS)),
        region=draw(st.sampled_from([None, "US", "DE"])),
    )
    return candidate, context, snap, content_state, (creator_state, account_state), stale


def _denylisted(candidate: Candidate, snap) -> bool:  # type: ignore[no-untyped-def]
    return (
        snap.denied("content", candidate.content_id)
        or snap.denied("creator", candidate.creator_id)
        or any(snap.denied("topic", t) for t in candidate.topics)
        or any(snap.denied("campaign", h.lstrip("#")) for h in candidate.hashtags)
    )


@settings(max_examples=600, deadline=None)
@given(worlds())
def test_property_nothing_ineligible_passes_the_gate(world) -> None:  # type: ignore[no-untyped-def]
    candidate, context, snap, content_state, account_states, stale = world
    decision = evaluate_one(candidate, context, snap)
    must_drop = (
        stale
        or content_state in ("blocked", "deleted")
        or any(state in ("blocked", "deleted") for state in account_states)
        or _denylisted(candidate, snap)
        or (
            context.surface in PROACTIVE_SURFACES
            and content_state in (None, "limited_distribution", "needs_review")
        )
    )
    if must_drop:
        assert not decision.eligible, (context.surface, content_state, account_states)
    # Whatever else happens, each rule reports an outcome the trace can show.
    assert len(decision.outcomes) == len(snap.config.surface(context.surface).rules)
    assert decision.action == max(o.action for o in decision.outcomes)


@settings(max_examples=300, deadline=None)
@given(worlds(), st.booleans(), st.sampled_from([None, "past", "future"]))
def test_property_batch_outcomes_equal_each_rules_own_definition(world, memoized, expiry) -> None:  # type: ignore[no-untyped-def]
    """Whatever shortcuts the batch path takes (memo, shared outcomes), every outcome it
    reports is exactly what the rule's own function says."""
    from dataclasses import replace

    from safefeed.policy.gate import RULES

    candidate, context, snap, *_ = world
    if expiry is not None:
        delta = timedelta(hours=-1 if expiry == "past" else 1)
        candidate = replace(candidate, expires_at=context.now + delta)
    context = replace(context, muted_creators=frozenset({"cr2"}))
    snap = replace(snap, memo={} if memoized else None)
    for _ in range(2):  # the second pass reads the memo
        decision = evaluate([candidate], context, snap)[0]
        for setting, outcome in zip(
            snap.config.surface(context.surface).rules, decision.outcomes, strict=True
        ):
            if setting.enabled:
                assert outcome == RULES[setting.name](candidate, context, snap), setting.name
            else:
                assert outcome.status == "disabled"


def test_every_rule_is_either_item_level_or_has_an_ordinary_request_outcome() -> None:
    from safefeed.policy.gate import _ORDINARY, ITEM_RULES, RULES
    from safefeed.policy.rules import RULE_NAMES

    assert set(RULES) == set(RULE_NAMES)
    assert ITEM_RULES | set(_ORDINARY) == set(RULE_NAMES)
    assert not ITEM_RULES & set(_ORDINARY)


@settings(max_examples=300, deadline=None)
@given(worlds(), st.sampled_from([None, "past", "future"]), st.booleans())
def test_property_item_verdicts_decide_ordinary_items_as_evaluate_does(
    world, expiry, muted
) -> None:  # type: ignore[no-untyped-def]
    """Where the feed's array memo decides alone (an ordinary item, fresh policy, a
    creator the user has not blocked or muted), its action is the whole gate's; so is
    the memo's action with the request's audience action for an item ordinary but for
    an audience requirement."""
    from dataclasses import replace

    from safefeed.policy.gate import item_verdicts, request_rules

    candidate, context, snap, *_ = world
    if expiry is not None:
        delta = timedelta(hours=-1 if expiry == "past" else 1)
        candidate = replace(candidate, expires_at=context.now + delta)
    if muted:
        context = replace(context, muted_creators=frozenset({candidate.creator_id}))
    found = item_verdicts([candidate], context.surface, context.now, snap)
    rules = request_rules(context, snap)
    decides = (
        found.ordinary[0] and rules.fresh and candidate.creator_id not in rules.unwanted_creators
    )
    decision = evaluate_one(candidate, context, snap)
    if decides:
        assert found.actions[0] == int(decision.action)
    audience = (
        found.audience_only[0]
        and rules.fresh
        and candidate.creator_id not in rules.unwanted_creators
    )
    if audience:
        assert max(found.actions[0], int(rules.audience_action)) == int(decision.action)
    assert not (found.ordinary[0] and found.audience_only[0])
    if candidate.expires_at is not None:
        # Expiry is checked per request, never memoized.
        assert not found.ordinary[0]
        assert not found.audience_only[0]
