"""Feed commands: a page for a user, the email digest batch job, exposure queries
and the feed's safety metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, get_args

import typer
from rich.table import Table
from sqlalchemy import select

from safefeed.cli.common import console, open_runtime, print_json, when_us
from safefeed.exceptions import InputError
from safefeed.feed.config import FeedSurface
from safefeed.feed.contracts import FeedRequest
from safefeed.feed.serving.metrics import summarize
from safefeed.feed.serving.served_log import exposure
from safefeed.feed.serving.tally import ReachTally
from safefeed.store.tables import Account, table_of

__all__ = ["feed_app", "register"]

feed_app = typer.Typer(help="The feed: pages, the email digest.", no_args_is_help=True)
_SURFACES = get_args(FeedSurface)
_accounts = table_of(Account)


def _surface(value: str) -> FeedSurface:
    if value not in _SURFACES:
        raise InputError(f"surface must be one of {', '.join(_SURFACES)}")
    return value  # type: ignore[return-value]


@feed_app.command("page")
def page(
    user_id: Annotated[str, typer.Argument(help="the user to build a page for")],
    surface: Annotated[str, typer.Option(help=" | ".join(_SURFACES))] = "home",
    page_size: Annotated[int | None, typer.Option("--page-size")] = None,
    cursor: Annotated[str | None, typer.Option(help="continuation token of the last page")] = None,
    item_id: Annotated[str | None, typer.Option("--item", help="for the related surface")] = None,
    ranker: Annotated[str | None, typer.Option(help="named ranking configuration")] = None,
    non_personalized: Annotated[bool, typer.Option("--non-personalized")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the response as JSON")] = False,
) -> None:
    """Build, validate, log and show one page of a feed surface."""
    request = FeedRequest(
        user_id=user_id,
        surface=_surface(surface),
        page_size=page_size,
        cursor=cursor,
        item_id=item_id,
        ranker=ranker,
        non_personalized=non_personalized,
    )
    with open_runtime() as runtime:
        response = runtime.feed.serve([request])[0]
    if as_json:
        print_json(response.as_dict())
        return
    table = Table(title=f"{surface} for {user_id} — {response.mode}: {response.explanation}")
    for column in ("#", "content", "creator", "source", "score", "why"):
        table.add_column(column)
    for item in response.items:
        why = " ".join(item.reasons)
        score = f"{item.score:.3f}"
        table.add_row(str(item.position), item.content_id, item.creator_id, item.source, score, why)
    console.print(table)
    console.print(f"request {response.request_id}; next cursor: {response.next_cursor}")


@feed_app.command("digest")
def digest(
    batch: Annotated[int, typer.Option(help="users per engine batch")] = 1000,
    limit: Annotated[int | None, typer.Option(help="at most this many users")] = None,
) -> None:
    """Build the email digest for every account, in batches (JSON Lines on stdout)."""
    with open_runtime() as runtime:
        with runtime.database.read() as conn:
            users = list(conn.execute(select(_accounts.c.user_id).order_by("user_id")).scalars())
        users = users[:limit] if limit is not None else users
        # One digest is one batch of pages for the reach hold, however many calls.
        tally = ReachTally()
        for start in range(0, len(users), batch):
            requests = [
                FeedRequest(user_id=u, surface="email") for u in users[start : start + batch]
            ]
            for response in runtime.feed.serve(requests, tally=tally):
                if response.items:
                    line = {
                        "user_id": response.user_id,
                        "request_id": response.request_id,
                        "items": [i.content_id for i in response.items],
                    }
                    typer.echo(json.dumps(line))


def register(app: typer.Typer) -> None:
    """Add ``feed`` and the top-level ``exposure`` and ``metrics`` commands."""
    app.add_typer(feed_app, name="feed")

    @app.command("exposure")
    def exposure_command(
        content_id: Annotated[str, typer.Argument(help="the item to scope")],
        since: Annotated[str | None, typer.Option(help="ISO 8601 (default: the epoch)")] = None,
        until: Annotated[str | None, typer.Option(help="ISO 8601 (default: now)")] = None,
    ) -> None:
        """Who was served an item between two times (JSON)."""
        with open_runtime() as runtime, runtime.database.read() as conn:
            since_us = when_us(since, datetime.fromtimestamp(0, UTC))
            served = exposure(conn, content_id, since_us, when_us(until, runtime.clock.now()) + 1)
        print_json(
            {
                "content_id": content_id,
                "users": len({s["user_id"] for s in served}),
                "exposures": served,
            }
        )

    @app.command("metrics")
    def metrics_command(
        since: Annotated[str | None, typer.Option(help="ISO 8601 (default: the epoch)")] = None,
        until: Annotated[str | None, typer.Option(help="ISO 8601 (default: now)")] = None,
    ) -> None:
        """The feed's safety and diversity metrics over a window (JSON)."""
        with open_runtime() as runtime, runtime.database.read() as conn:
            since_us = when_us(since, datetime.fromtimestamp(0, UTC))
            print_json(summarize(conn, since_us, when_us(until, runtime.clock.now()) + 1))
