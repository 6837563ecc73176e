"""Feed state from events: affinities, one hide, trust weighting, sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from safefeed.clock import to_us
from safefeed.feed.catalog.loader import REVISION_QUERY as CATALOG_REVISION
from safefeed.feed.catalog.loader import store_revision
from safefeed.feed.state.controls import mute_creator
from safefeed.feed.state.user import UserState, UserStateReader, load_user_states
from safefeed.ingest.pipeline import IngestContext
from safefeed.policy.store import REVISION_QUERY as POLICY_REVISION
from safefeed.runtime import Runtime
from safefeed.store.feed_tables import FeedItemStats
from safefeed.store.tables import table_of

TS = "2026-05-01T11:00:00Z"


def send(runtime: Runtime, events: list[dict[str, Any]], tag: str) -> None:
    for n, event in enumerate(events):
        event.setdefault("ts", TS)
        event["event_id"] = f"{tag}{n}"
    result = runtime.ingestor.ingest_records(events, IngestContext("test"))
    assert result.rejected == []


def setup(runtime: Runtime) -> None:
    send(
        runtime,
        [
            {
                "type": "account.created",
                "user_id": "u1",
                "age_band": "25_plus",
                "ts": "2026-01-01T00:00:00Z",
            },
            *(
                {
                    "type": "content.published",
                    "content_id": f"c{i}",
                    "creator_id": "cr1",
                    "format": "short",
                    "topics": ["pets"],
                }
                for i in range(5)
            ),
        ],
        "setup",
    )


def state(runtime: Runtime) -> Any:
    with runtime.database.read() as conn:
        return load_user_states(
            conn, ["u1"], to_us(runtime.clock.now()), affinity_half_life_days=30
        )["u1"]


def test_one_hide_dampens_a_topic_without_wiping_it(runtime: Runtime) -> None:
    setup(runtime)
    send(runtime, [{"type": "like", "user_id": "u1", "content_id": f"c{i}"} for i in range(4)], "l")
    liked = state(runtime).topic_affinity["pets"]
    send(runtime, [{"type": "hide", "user_id": "u1", "content_id": "c4"}], "h")
    after = state(runtime)
    assert 0 < after.topic_affinity["pets"] < liked
    assert after.topic_affinity["pets"] > 0.5 * liked
    assert after.hidden == {"c4"}


def test_engagement_of_unknown_users_counts_less(runtime: Runtime) -> None:
    setup(runtime)
    send(runtime, [{"type": "open", "user_id": "u1", "content_id": "c0"}], "known")
    send(runtime, [{"type": "open", "user_id": "ghost", "content_id": "c1"}], "ghost")
    stats = table_of(FeedItemStats)
    with runtime.database.read() as conn:
        rows = {r.content_id: r for r in conn.execute(select(stats))}
    assert rows["c0"].w_opens == 1.0
    assert rows["c1"].w_opens < 0.5
    assert rows["c1"].n_opens == 1.0


def test_a_looped_item_counts_one_trusted_view_per_viewer(runtime: Runtime) -> None:
    setup(runtime)

    def loop(n: int, start: int) -> list[dict[str, Any]]:
        return [
            {"type": kind, "user_id": "u1", "content_id": "c0", **extra,
             "ts": f"2026-05-01T11:{(start + k) // 60:02d}:{(start + k) % 60:02d}Z"}
            for k in range(n)
            for kind, extra in (("impression", {}), ("open", {}), ("dwell", {"dwell_ms": 9000.0}))
        ]  # fmt: skip

    send(runtime, loop(1, 0), "first")
    send(runtime, loop(5, 30), "again")  # a later batch: the stored views count too
    send(runtime, [{"type": "hide", "user_id": "u1", "content_id": "c0"}], "h")
    stats = table_of(FeedItemStats)
    with runtime.database.read() as conn:
        row = conn.execute(select(stats).where(stats.c.content_id == "c0")).one()
    assert (row.w_impressions, row.w_opens, row.w_dwells) == (1.0, 1.0, 1.0)
    assert (row.n_impressions, row.n_opens) == (6.0, 6.0)  # raw counts keep every loop
    assert row.w_hides == 1.0  # negative feedback always counts


def test_session_follows_positive_engagement_and_ends(runtime: Runtime) -> None:
    setup(runtime)
    send(runtime, [{"type": "open", "user_id": "u1", "content_id": "c2", "session_id": "s1"}], "o")
    assert state(runtime).session.items == ["c2"]
    send(runtime, [{"type": "session_end", "user_id": "u1", "session_id": "s1"}], "e")
    assert state(runtime).session.items == []


def test_one_statement_reads_every_part_of_the_state_and_the_revisions(runtime: Runtime) -> None:
    setup(runtime)
    send(
        runtime,
        [
            {"type": "open", "user_id": "u1", "content_id": "c1", "session_id": "s1"},
            {"type": "impression", "user_id": "u1", "content_id": "c2"},
            {"type": "hide", "user_id": "u1", "content_id": "c3"},
            {"type": "report", "user_id": "u1", "content_id": "c4", "reason": "spam"},
            {"type": "follow", "user_id": "u1", "creator_id": "cr1"},
        ],
        "mix",
    )
    with runtime.database.write() as conn:
        mute_creator(conn, "u1", "cr9", to_us(runtime.clock.now()))
        runtime.policy.set_denylisted(conn, "creator", "cr7", active=True, actor="a", reason="r")
    reader = UserStateReader({"policy": POLICY_REVISION, "catalog": CATALOG_REVISION})
    with runtime.database.read() as conn:
        states, revisions = reader.read(
            conn, ["u1", "nobody"], to_us(runtime.clock.now()), affinity_half_life_days=30
        )
        catalog_revision = store_revision(conn)
    u1 = states["u1"]
    assert u1.age_band == "25_plus"
    assert u1.follows == ("cr1",)
    assert u1.muted == {"cr9"}
    assert u1.session.items == ["c1"]
    assert "pets" in u1.topic_affinity
    assert {"c2"} <= u1.seen
    assert u1.hidden == {"c3"}
    assert u1.reported == {"c4"}
    assert states["nobody"] == UserState("nobody")
    assert revisions == {
        "policy": runtime.policy.current_revision(),
        "catalog": catalog_revision,
    }
    assert revisions["policy"] > 0
    with runtime.database.read() as conn:
        assert reader.read(conn, [], 0, affinity_half_life_days=30)[1] == revisions


def test_each_users_item_history_reads_back_exactly_whatever_the_ids(runtime: Runtime) -> None:
    # The store aggregates a user's history as JSON arrays: ids that JSON must escape
    # (quotes, backslashes, separators, non-ASCII) come back as they went in.
    odd = ['c"quoted"', "c\\slash", "c,comma", "c space", "ç-é-\U0001f600", "c]x["]
    plain = [f"p{i}" for i in range(40)]
    published = [
        {"type": "content.published", "content_id": c, "creator_id": "cr1", "format": "short",
         "topics": ["pets"]}
        for c in odd + plain
    ]  # fmt: skip
    seen_u1 = odd + plain[:30]
    send(
        runtime,
        [
            *published,
            *({"type": "impression", "user_id": "u1", "content_id": c} for c in seen_u1),
            {"type": "impression", "user_id": "u2", "content_id": plain[0]},
            {"type": "hide", "user_id": "u1", "content_id": odd[0]},
            {"type": "report", "user_id": "u1", "content_id": odd[4], "reason": "spam"},
            # Hidden without an impression on record: hidden, not seen.
            {"type": "hide", "user_id": "u2", "content_id": plain[39]},
        ],
        "odd",
    )
    with runtime.database.read() as conn:
        states = load_user_states(
            conn, ["u1", "u2", "u3"], to_us(runtime.clock.now()), affinity_half_life_days=30
        )
    assert states["u1"].seen == frozenset(seen_u1)
    assert states["u1"].hidden == {odd[0]}
    assert states["u1"].reported == {odd[4]}
    assert states["u2"].seen == {plain[0]}
    assert states["u2"].hidden == {plain[39]}
    assert states["u2"].reported == frozenset()
    assert (states["u3"].seen, states["u3"].hidden) == (frozenset(), frozenset())
