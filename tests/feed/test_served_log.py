"""The served log written behind the response (a server's background mode): what a
process serves is visible to its own readers at once, shutdown loses nothing, and
pagination never needed the log — on both back ends, through the real HTTP app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from safefeed.api.app import create_app
from safefeed.clock import ManualClock
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.serving.served_log import ServedLogWriter, expand_rule_path, rule_path
from safefeed.policy.rules import RULE_NAMES, Action, RuleOutcome
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.database import Database
from safefeed.store.feed_tables import FeedRequestRow, FeedServedItem
from safefeed.store.tables import table_of
from tests.feed.platform import Platform, ids
from tests.support.runtime import auth

_requests = table_of(FeedRequestRow)
_served = table_of(FeedServedItem)


@contextmanager
def log_writes_held(database: Database) -> Iterator[None]:
    """Keep every served-log write waiting (a real lock, as a busy store would) until
    the block ends, so that what is queued stays queued while the test looks."""
    with database.write() as conn:
        if database.dialect == "postgresql":
            conn.exec_driver_sql("LOCK TABLE feed_requests, feed_served IN EXCLUSIVE MODE")
        yield  # on SQLite the open write transaction holds the one write lock


def logged(database: Database, request_id: str) -> int:
    """Rows of ``request_id`` in the store (request row plus item rows)."""
    with database.read() as conn:
        head = conn.execute(
            select(func.count()).where(_requests.c.request_id == request_id)
        ).scalar_one()
        items = conn.execute(
            select(func.count()).where(_served.c.request_id == request_id)
        ).scalar_one()
    return int(head + items)


def _one_user_thirty_items(client: TestClient, api_keys: dict[str, str]) -> Platform:
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.items(30)
    return p


def test_a_page_served_behind_the_response_is_visible_to_exposure_why_and_trace(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = _one_user_thirty_items(client, api_keys)
    runtime.feed.start_background(("home",)).join()
    with log_writes_held(runtime.database):
        page = p.feed(user_id="u1", page_size=10)  # answered while the log cannot be written
        assert page["items"]
        assert logged(runtime.database, page["request_id"]) == 0
    first = page["items"][0]["content_id"]
    auditor = auth(api_keys["auditor"])
    why = client.get(
        f"/v1/feed-requests/{page['request_id']}/why",
        params={"content_id": first},
        headers=auth(api_keys["service"]),
    )
    assert why.status_code == 200, why.text
    assert why.json()["why"] == page["items"][0]["why"]
    trace = client.get(f"/v1/feed-requests/{page['request_id']}/trace", headers=auditor)
    assert trace.status_code == 200
    assert trace.json()["trace"]["mode"] == page["mode"]
    exposure = client.get("/v1/exposure", params={"content_id": first}, headers=auditor)
    assert [e["request_id"] for e in exposure.json()["exposures"]] == [page["request_id"]]
    metrics = client.get("/v1/feed-metrics", headers=auditor).json()
    assert metrics["served_items"] == len(page["items"])


def test_shutdown_writes_every_queued_page(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.user("u2")
    p.items(30)
    runtime.feed.start_background(("home",)).join()
    with log_writes_held(runtime.database):
        pages = [p.feed(user_id=u, page_size=5) for u in ("u1", "u2", "u1")]
        assert all(logged(runtime.database, page["request_id"]) == 0 for page in pages)
    runtime.feed.close()
    for page in pages:
        assert logged(runtime.database, page["request_id"]) == 1 + len(page["items"])
    # Closed: later pages are logged before they return.
    after = runtime.feed.serve([FeedRequest(user_id="u2", page_size=5)])[0]
    assert logged(runtime.database, after.request_id) == 1 + len(after.items)


def test_the_next_page_in_another_process_never_repeats_the_first_pages_items(
    client: TestClient,
    api_keys: dict[str, str],
    runtime: Runtime,
    database: Database,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    p = Platform(client, api_keys["service"])
    p.user("u1")
    p.items(80, creators=40)
    runtime.feed.start_background(("home",)).join()
    # A second server process over the same store and the same cursor key.
    settings = Settings(data_dir=tmp_path, database_url=database.url, text_classifier="keyword")
    other = Runtime(settings, clock=clock)
    other.feed.start_background(("home",)).join()
    try:
        with TestClient(create_app(other)) as other_client:
            q = Platform(other_client, api_keys["service"])
            with log_writes_held(runtime.database):  # neither page's log is in the store
                first = p.feed(user_id="u1", page_size=10)
                second = q.feed(user_id="u1", page_size=10, cursor=first["next_cursor"])
                third = p.feed(user_id="u1", page_size=10, cursor=second["next_cursor"])
                assert logged(runtime.database, first["request_id"]) == 0
            pages = [ids(first), ids(second), ids(third)]
            assert all(pages)
            flat = [c for page in pages for c in page]
            assert len(flat) == len(set(flat))
    finally:
        other.close()
    runtime.feed.flush()
    for page in (first, second, third):
        assert logged(runtime.database, page["request_id"]) == 1 + len(page["items"])


def test_pages_served_within_the_linger_are_written_in_one_transaction(runtime: Runtime) -> None:
    pages = [runtime.feed.serve([FeedRequest(user_id="u1")], record=False)[0] for _ in range(3)]
    commits: list[int] = []
    event.listen(runtime.database.engine, "commit", lambda _: commits.append(1))
    # A linger no test outlives: only the flush below can end it.
    writer = ServedLogWriter(runtime.database, linger_seconds=3600, timeout_seconds=20)
    try:
        for page in pages:
            assert writer.put([page], 0)
        writer.flush()
        assert len(commits) == 1
        assert all(logged(runtime.database, page.request_id) for page in pages)
    finally:
        writer.close()


def test_close_writes_what_lingers(runtime: Runtime) -> None:
    writer = ServedLogWriter(runtime.database, linger_seconds=3600, timeout_seconds=20)
    page = runtime.feed.serve([FeedRequest(user_id="u1")], record=False)[0]
    assert writer.put([page], 0)
    writer.close()
    assert logged(runtime.database, page.request_id) == 1 + len(page.items)


def test_the_trace_shows_each_items_whole_rule_path_stored_in_one_line(
    client: TestClient, api_keys: dict[str, str], runtime: Runtime
) -> None:
    p = _one_user_thirty_items(client, api_keys)
    page = p.feed(user_id="u1", page_size=10)
    auditor = auth(api_keys["auditor"])
    trace = client.get(f"/v1/feed-requests/{page['request_id']}/trace", headers=auditor)
    assert trace.status_code == 200
    items = trace.json()["trace"]["items"]
    assert [i["content_id"] for i in items] == ids(page)
    for item in items:
        # Every rule the gate ran, in the policy's order, as the outcome an auditor reads.
        assert [r["rule"] for r in item["rules"]] == list(RULE_NAMES)
        assert {r["action"] for r in item["rules"]} == {"allow"}
        assert {r["status"] for r in item["rules"]} == {"applied", "not_applicable"}
        assert all(r["reason"] == "" for r in item["rules"])
    with runtime.database.read() as conn:
        stored = conn.execute(
            select(_requests.c.trace).where(_requests.c.request_id == page["request_id"])
        ).scalar_one()
    # In the store each path is one line, read back as the outcomes above.
    paths = [i["rules"] for i in stored["items"]]
    assert all(isinstance(path, str) for path in paths)
    assert [expand_rule_path(path) for path in paths] == [i["rules"] for i in items]


def test_a_rule_path_with_an_action_or_a_reason_is_stored_in_full() -> None:
    limited = [
        RuleOutcome("content_state", "applied", Action.LIMIT, "limited_distribution"),
        RuleOutcome("region", "not_applicable", Action.ALLOW),
    ]
    missing = [RuleOutcome("audience_age", "missing_data", Action.ALLOW)]
    for outcomes in (limited, missing):
        assert rule_path(outcomes) == [o.as_dict() for o in outcomes]
        assert expand_rule_path(rule_path(outcomes)) == [o.as_dict() for o in outcomes]
    assert rule_path([]) == ""
    assert expand_rule_path("") == []
