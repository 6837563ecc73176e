"""Context enrichment: what a flag, report or violation is about, and whose it is."""

from __future__ import annotations

from safefeed.risk.context import ContextEnricher
from safefeed.risk.model import Observation


def _live(context: ContextEnricher, session: str, creator: str, tokens: tuple[str, ...]) -> None:
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
    _live(context, "s1", "c1", ("#x", "sound:9"))
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
        _live(context, f"s{i}", f"c{i}", ())
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
