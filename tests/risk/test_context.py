"""Context enrichment: the baselines a live's audience is judged against, and what a
flag, report or violation is about and whose it is."""

from __future__ import annotations

from safefeed.risk.context import ContextEnricher
from safefeed.risk.model import Observation

HOUR = 3600.0


def _live(context: ContextEnricher, session: str, t: float, teens: int, adults: int) -> None:
    """A live of ``creator`` starting at ``t``: its viewers join over the first hour."""
    start = Observation("session_start", t)
    start.session_id, start.creator_id, start.category = session, "creator", "gaming"
    context.learn(start)
    for i in range(teens + adults):
        join = Observation("join", t + 60.0 * (i + 1))
        join.session_id, join.user_id = session, f"{session}-viewer{i}"
        join.age_band = "13_15" if i < teens else "25_plus"
        context.learn(join)


def test_a_live_without_an_end_joins_the_baseline_when_its_creator_goes_live_again() -> None:
    # A platform that never sends live.ended: four daily lives, half the audience teens.
    context = ContextEnricher()
    for day in range(4):
        _live(context, f"live{day}", day * 24 * HOUR, teens=10, adults=10)
    baseline = context.creators_["creator"]
    assert baseline.sessions == 3  # the fourth is still going on
    assert abs(baseline.minor_share.value - 0.5) < 1e-9
    assert context.categories_["gaming"].sessions == 3
    # Its end, if it comes late, does not count a live twice.
    for day in range(3):
        end = Observation("session_end", 4 * 24 * HOUR)
        end.session_id = f"live{day}"
        context.learn(end)
    assert context.creators_["creator"].sessions == 3


def test_a_live_still_going_on_is_not_ended_by_its_creators_next_one() -> None:
    # Two lives of one creator at once (another platform's converter, a restream):
    # the first is still drawing viewers, so it ends on its own, with all of them.
    context = ContextEnricher()
    _live(context, "first", 0.0, teens=2, adults=8)
    _live(context, "second", 0.5 * HOUR, teens=5, adults=5)
    assert context.creators_["creator"].sessions == 0
    end = Observation("session_end", 3 * HOUR)
    end.session_id = "first"
    context.learn(end)
    baseline = context.creators_["creator"]
    assert baseline.sessions == 1
    assert abs(baseline.minor_share.value - 0.2) < 1e-9


def _flagged_live(
    context: ContextEnricher, session: str, creator: str, tokens: tuple[str, ...]
) -> None:
    start = Observation("session_start", 0.0)
    start.session_id, start.creator_id = session, creator
    context.learn(start)
    chat = Observation("chat", 60.0)
    chat.session_id, chat.tokens = session, tokens
    context.learn(chat)


def test_a_flag_on_a_live_that_has_ended_is_still_about_its_creator_and_tokens() -> None:
    # Viewer reports and reviews of a replay arrive after the live ends: the flag
    # used to find no session, so it counted for no account and no trend.
    context = ContextEnricher()
    _flagged_live(context, "s1", "c1", ("#x", "sound:9"))
    end = Observation("session_end", 3600.0)
    end.session_id = "s1"
    context.learn(end)
    late = Observation("report", 7200.0)
    late.subject_type, late.subject_id, late.severity = "live_session", "s1", 2
    context.enrich(late)
    assert late.creator_id == "c1"
    assert late.tokens == ("#x", "sound:9")
    assert context.creator_of("live_session", "unknown") is None


def test_ended_sessions_are_remembered_within_a_bound() -> None:
    context = ContextEnricher(max_content=3)
    for i in range(10):
        _flagged_live(context, f"s{i}", f"c{i}", ())
        end = Observation("session_end", 100.0 + i)
        end.session_id = f"s{i}"
        context.learn(end)
    assert len(context.ended_) <= 3
    assert context.creator_of("live_session", "s9") == "c9"


def test_without_account_events_an_account_is_known_from_its_first_post() -> None:
    context = ContextEnricher()
    post = Observation("content", 0.0)
    post.subject_id, post.creator_id, post.tokens = "p1", "c1", ()
    context.learn(post)
    flag = Observation("flag", 3 * 86400.0)
    flag.subject_type, flag.subject_id = "content", "p1"
    context.enrich(flag)
    assert flag.creator_id == "c1"
    assert flag.account_age_days == 3.0
    # A post says nothing of the account's age band: it stays unknown, not "unknown".
    assert flag.creator_band is None
