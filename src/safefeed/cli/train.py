"""Training commands: learn the ranker's task models, list versions, activate one,
and serve demo traffic to learn from."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer

from safefeed.cli.common import (
    ActorOption,
    console,
    default_actor,
    open_runtime,
    print_json,
    when_us,
)
from safefeed.runtime import Runtime
from safefeed.settings import Settings

__all__ = ["train_app"]

train_app = typer.Typer(
    help="Learned ranker: train task models, list and activate versions.", no_args_is_help=True
)
ReasonOption = typer.Option("--reason", help="why (recorded in the audit log)")


@train_app.command("ranker")
def ranker(
    since: Annotated[str | None, typer.Option(help="ISO 8601 start of the served window")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601 end (default: now)")] = None,
    attribution_hours: Annotated[float, typer.Option(help="outcome window after a serve")] = 24.0,
    objective: Annotated[str, typer.Option(help="ranker whose weights rank offline")] = "safety",
    activate_it: Annotated[
        bool, typer.Option("--activate", help="activate the new version")
    ] = False,
    reason: Annotated[str | None, ReasonOption] = None,
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Train task models from the served log and the event log; print the metrics."""
    from safefeed.feed.training import activate, build_dataset, save_version, train_models

    with open_runtime() as runtime:
        config = runtime.feed.config
        ranking = config.ranker(objective)
        now = runtime.clock.now()
        with runtime.database.read() as conn:
            data = build_dataset(
                conn,
                when_us(since, datetime.fromtimestamp(0, UTC)),
                when_us(until, now),
                attribution_hours=attribution_hours,
            )
        console.print(f"{len(data)} served impressions with features ({data.skipped} without)")
        trained = train_models(data, ranking, config.safety_score)
        version = save_version(runtime.settings.data_dir, data, trained, now)
        if activate_it:
            with runtime.database.write() as conn:
                activate(
                    conn,
                    runtime.audit,
                    runtime.settings.data_dir,
                    version,
                    actor=actor or default_actor(),
                    reason=reason or "trained and activated by safefeed train ranker --activate",
                )
    print_json(
        {"version": version, "active": activate_it, "seconds": trained.seconds, **trained.metrics}
    )


@train_app.command("list")
def list_command() -> None:
    """Every stored model version with its window and key metrics (JSON)."""
    from safefeed.feed.training import list_versions

    print_json(list_versions(Settings.from_env().data_dir))


@train_app.command("activate")
def activate_command(
    version: Annotated[str, typer.Argument(help="a version from 'safefeed train list'")],
    reason: Annotated[str, ReasonOption],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Make a version the one the ``learned`` ranker serves with (audited)."""
    _activate(version, reason, actor)


@train_app.command("deactivate")
def deactivate_command(
    reason: Annotated[str, ReasonOption], actor: Annotated[str | None, ActorOption] = None
) -> None:
    """Back to smoothed estimates for the ``learned`` ranker (audited)."""
    _activate(None, reason, actor)


def _activate(version: str | None, reason: str, actor: str | None) -> None:
    from safefeed.feed.training import activate

    with open_runtime() as runtime, runtime.database.write() as conn:
        previous = activate(
            conn,
            runtime.audit,
            runtime.settings.data_dir,
            version,
            actor=actor or default_actor(),
            reason=reason,
        )
    console.print(f"ranker model: {previous or 'smoothed'} -> {version or 'smoothed'}")


@train_app.command("demo-traffic")
def demo_traffic(
    pages: Annotated[int, typer.Option(min=1, help="home pages to serve")] = 3000,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="pages per engine batch")] = 100,
    seed: Annotated[int, typer.Option(help="seed of the users' responses")] = 11,
    ranker_name: Annotated[str | None, typer.Option("--ranker", help="named ranker")] = None,
) -> None:
    """Serve real pages to the demo's users and ingest how they respond (run
    'safefeed demo --no-serve' first), so there is something to train on."""
    from safefeed.demo.served import serve_demo_traffic, traffic_start

    settings = Settings.from_env()
    with open_runtime() as runtime:
        clock = traffic_start(runtime.database)
    traffic = Runtime(settings, clock=clock)
    try:
        summary = serve_demo_traffic(
            traffic, clock, pages=pages, batch=batch, seed=seed, ranker=ranker_name
        )
    finally:
        traffic.close()
    print_json(asdict(summary))
