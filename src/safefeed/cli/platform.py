"""Commands that run the platform: demo, serve, init, ingest, schema, events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from safefeed.access.roles import ROLES
from safefeed.cli.common import (
    ActorOption,
    console,
    default_actor,
    default_owner,
    err_console,
    open_runtime,
)
from safefeed.events.parsing import LineError, parse_json_lines
from safefeed.events.schema import events_json_schema
from safefeed.exceptions import InputError
from safefeed.ingest.pipeline import IngestContext, IngestResult
from safefeed.runtime import Runtime
from safefeed.settings import Settings
from safefeed.store.event_log import EventLog

__all__ = ["ingest_lines", "register"]

DEMO_KEY_NAME = "local-admin"


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def _chunks(path: Path, lines_per_chunk: int) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) chunks of a JSON Lines file, split on line ends."""
    with path.open("rb") as handle:
        first, buffer = 1, []
        for number, line in enumerate(handle, start=1):
            buffer.append(line)
            if len(buffer) == lines_per_chunk:
                yield first, b"".join(buffer)
                first, buffer = number + 1, []
        if buffer:
            yield first, b"".join(buffer)


def ingest_lines(runtime: Runtime, path: Path, actor: str, chunk: int = 5000) -> IngestResult:
    """Ingest a JSON Lines file in chunks with a progress bar; line numbers are the file's."""
    with path.open("rb") as handle:
        total_lines = sum(1 for _ in handle)
    total = IngestResult()
    with _progress() as progress:
        task = progress.add_task(f"ingest {path.name}", total=total_lines)
        for first_line, data in _chunks(path, chunk):
            batch = parse_json_lines(data)
            batch.errors = [
                LineError(e.line + first_line - 1, e.error, e.event_id) for e in batch.errors
            ]
            result = runtime.ingestor.ingest_parsed(batch, IngestContext(actor=actor))
            total.merge(result)
            progress.advance(task, data.count(b"\n") or 1)
    return total


def register(app: typer.Typer) -> None:
    """Add the platform commands to the top-level app."""

    @app.command()
    def init(
        admin_key: Annotated[
            bool, typer.Option(help="issue a local admin key (all roles) if none exists")
        ] = True,
    ) -> None:
        """Create or upgrade the store and print a local admin key (once)."""
        with open_runtime() as runtime:
            console.print(f"store ready: {runtime.settings.database_url}")
            if admin_key:
                _ensure_admin_key(runtime)

    @app.command()
    def ingest(
        file: Annotated[Path, typer.Argument(help="JSON Lines event log (v1 contract)")],
        actor: Annotated[str | None, ActorOption] = None,
    ) -> None:
        """Ingest an event log; rejected lines are listed and make the exit non-zero."""
        if not file.is_file():
            raise InputError(f"no such file: {file}")
        with open_runtime() as runtime:
            result = ingest_lines(runtime, file, actor or default_actor())
        rejected = len(result.rejected)
        console.print(
            f"accepted {result.accepted}, duplicates {result.duplicates}, rejected {rejected}"
        )
        for error in result.rejected[:50]:
            err_console.print(f"line {error.line}: {error.error}", markup=False, highlight=False)
        if len(result.rejected) > 50:
            err_console.print(f"... and {len(result.rejected) - 50} more rejected lines")
        if result.rejected:
            raise typer.Exit(3)

    @app.command()
    def schema(
        what: Annotated[str, typer.Argument(help="which schema: events")] = "events",
    ) -> None:
        """Print the JSON Schema of the event contract."""
        if what != "events":
            raise InputError(f"unknown schema {what!r}: the only one is 'events'")
        typer.echo(json.dumps(events_json_schema(), indent=2))

    @app.command()
    def events(
        subject: Annotated[str | None, typer.Option(help="TYPE:ID, e.g. content:c42")] = None,
        since: Annotated[datetime | None, typer.Option(help="RFC 3339 start (inclusive)")] = None,
        until: Annotated[datetime | None, typer.Option(help="RFC 3339 end (exclusive)")] = None,
        type: Annotated[list[str] | None, typer.Option("--type", help="event type(s)")] = None,
        limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    ) -> None:
        """Read the event log back in time order, as JSON Lines."""
        key = None
        if subject is not None:
            kind, _, ident = subject.partition(":")
            if not kind or not ident:
                raise InputError("--subject must be TYPE:ID, e.g. content:c42")
            key = (kind, ident)
        for bound in (since, until):
            if bound is not None and bound.tzinfo is None:
                raise InputError(
                    "--since/--until need a time zone offset, e.g. 2026-05-01T00:00:00Z"
                )
        with open_runtime() as runtime, runtime.database.read() as conn:
            for event in EventLog.read(
                conn, subject=key, since=since, until=until, types=type, limit=limit
            ):
                typer.echo(orjson.dumps(event.payload).decode())

    @app.command()
    def serve(
        host: Annotated[
            str | None, typer.Option(help="default: SAFEFEED_HOST or 127.0.0.1")
        ] = None,
        port: Annotated[int | None, typer.Option(help="default: SAFEFEED_PORT or 8000")] = None,
        workers: Annotated[
            int | None, typer.Option(min=1, help="server processes (default: one per core)")
        ] = None,
    ) -> None:
        """Serve the HTTP API."""
        import os

        settings = Settings.from_env()
        with open_runtime():
            pass  # migrate once before workers start
        processes = workers or os.cpu_count() or 1
        _serve(settings, host or settings.host, port or settings.port, processes)

    @app.command()
    def demo(
        seed: Annotated[int, typer.Option(help="seed of the generated demo platform")] = 7,
        serve_api: Annotated[
            bool, typer.Option("--serve/--no-serve", help="serve the API afterwards")
        ] = True,
        host: Annotated[str | None, typer.Option()] = None,
        port: Annotated[int | None, typer.Option()] = None,
    ) -> None:
        """Generate a demo platform into the embedded store (once) and serve the API."""
        from safefeed.demo import generate_demo_events

        settings = Settings.from_env()
        with open_runtime() as runtime:
            with runtime.database.read() as conn:
                stored = EventLog.count(conn)
            if stored == 0:
                events = generate_demo_events(seed)
                _ingest_records(runtime, events, actor="demo:generator")
            else:
                console.print(f"demo platform already in the store ({stored} events)")
            _ensure_admin_key(runtime)
        bind_host, bind_port = host or settings.host, port or settings.port
        base = f"http://{bind_host}:{bind_port}"
        console.print(f"\n[bold]API[/]        {base}/v1  (OpenAPI: {base}/docs)")
        console.print(f"[bold]health[/]     {base}/healthz  {base}/readyz")
        console.print(f"[bold]metrics[/]    {base}/metrics")
        auth = '"Authorization: Bearer $SAFEFEED_KEY"'
        example = f"curl -H {auth} {base}/v1/policy/content/c002222"
        console.print(f"[bold]try[/]        {example}", soft_wrap=True, highlight=False)
        if serve_api:
            _serve(settings, bind_host, bind_port, 1)


def _ingest_records(runtime: Runtime, events: list[dict[str, Any]], actor: str) -> None:
    step = 5000
    with _progress() as progress:
        task = progress.add_task("generate demo platform", total=len(events))
        for start in range(0, len(events), step):
            batch = events[start : start + step]
            result = runtime.ingestor.ingest_records(batch, IngestContext(actor=actor))
            if result.rejected:
                raise InputError(
                    f"demo generator produced an invalid event: {result.rejected[0].error}"
                )
            progress.advance(task, len(batch))


def _ensure_admin_key(runtime: Runtime) -> None:
    with runtime.database.write() as conn:
        existing = [
            k for k in runtime.keys.list(conn) if k["name"] == DEMO_KEY_NAME and not k["revoked"]
        ]
        if existing:
            console.print(
                f"admin key '{DEMO_KEY_NAME}' exists (shown once when made); "
                "make another with: safefeed keys create NAME --role ..."
            )
            return
        issued = runtime.keys.issue(
            conn,
            DEMO_KEY_NAME,
            list(ROLES),
            # The person running the demo, as the command line knows them.
            owner=default_owner(),
            actor=default_actor(),
            reason="local admin key of the embedded demo",
        )
    console.print(f"[bold]admin key[/]  {issued.token}")
    console.print(
        f"           (all roles, owner {issued.principal.owner}; "
        "shown only now: export SAFEFEED_KEY=<key>)",
        markup=False,
        highlight=False,
    )


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import os

    import uvicorn

    # Workers re-read settings from the environment in their own processes.
    os.environ.setdefault("SAFEFEED_DATABASE_URL", settings.database_url)
    uvicorn.run(
        "safefeed.api.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
