"""Policy commands: state, denylist, kill switches, configuration, gate check."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from safefeed.catalog.candidates import load_candidates
from safefeed.cli.common import ActorOption, console, default_actor, open_runtime, print_json
from safefeed.documents import read_yaml_document
from safefeed.exceptions import InputError, NotFoundError
from safefeed.policy.gate import Candidate, RequestContext, evaluate
from safefeed.policy.store import MAX_KILL_SWITCH_TTL, StateChange
from safefeed.types import (
    AGE_BANDS,
    POLICY_STATES,
    SURFACES,
    Recommendability,
    Surface,
)

__all__ = ["config_app", "denylist_app", "kill_switch_app", "policy_app"]

policy_app = typer.Typer(
    help="Policy state per subject, and the eligibility gate.", no_args_is_help=True
)
denylist_app = typer.Typer(help="The denylist / tombstone set.", no_args_is_help=True)
kill_switch_app = typer.Typer(
    help="Kill switches, effective on the next request.", no_args_is_help=True
)
config_app = typer.Typer(help="Versioned policy configuration.", no_args_is_help=True)

ReasonOption = typer.Option("--reason", help="why (recorded in the audit log)")


def _subject(text: str) -> tuple[str, str]:
    kind, _, ident = text.partition(":")
    if not kind or not ident:
        raise InputError(f"subject {text!r} must be TYPE:ID, e.g. content:c42")
    return kind, ident


def _surface_overrides(values: list[str]) -> dict[Surface, Recommendability]:
    parsed: dict[Surface, Recommendability] = {}
    words: dict[str, Recommendability] = {"true": True, "false": False, "limited": "limited"}
    for item in values:
        surface, _, value = item.partition("=")
        if surface not in SURFACES or value not in words:
            raise InputError(f"--surface {item!r} must be SURFACE=true|false|limited")
        parsed[surface] = words[value]
    return parsed


@policy_app.command("show")
def show(subject: Annotated[str, typer.Argument(help="TYPE:ID")]) -> None:
    """Show a subject's policy state."""
    key = _subject(subject)
    with open_runtime() as runtime, runtime.database.read() as conn:
        record = runtime.policy.get_state(conn, key)
    if record is None:
        raise NotFoundError(
            f"no policy state for {subject} (unknown: never eligible on push or email)"
        )
    print_json(record.as_dict())


@policy_app.command("set")
def set_state(
    subject: Annotated[str, typer.Argument(help="TYPE:ID")],
    state: Annotated[str, typer.Argument(help=" | ".join(POLICY_STATES))],
    reason: Annotated[str, ReasonOption],
    version: Annotated[str, typer.Option("--version", help="policy version")] = "manual",
    surface: Annotated[
        list[str] | None, typer.Option("--surface", help="SURFACE=true|false|limited")
    ] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="policy reason label")] = None,
    review_status: Annotated[
        str | None,
        typer.Option(help="moderator_decision: a moderator decided (ends review by reach)"),
    ] = None,
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Set a subject's policy state."""
    if state not in POLICY_STATES:
        raise InputError(f"unknown policy state {state!r}; known: {', '.join(POLICY_STATES)}")
    change = StateChange(
        subject=_subject(subject),
        state=state,
        policy_version=version,
        reasons=tuple(label or ()),
        surfaces=_surface_overrides(surface or []),
        review_status=review_status,
    )
    with open_runtime() as runtime, runtime.database.write() as conn:
        record = runtime.policy.set_state(
            conn, change, actor=actor or default_actor(), reason=reason
        )
    print_json(record.as_dict())


@policy_app.command("history")
def history(subject: Annotated[str, typer.Argument(help="TYPE:ID")]) -> None:
    """Every policy change of a subject, oldest first."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        print_json(runtime.policy.history(conn, _subject(subject), limit=10_000))


@policy_app.command("check")
def check(
    content_ids: Annotated[list[str], typer.Argument(help="content ids")],
    surface: Annotated[str, typer.Option(help=" | ".join(SURFACES))] = "home",
    age_band: Annotated[str, typer.Option(help=" | ".join(AGE_BANDS))] = "unknown",
    region: Annotated[str | None, typer.Option(help="user's ISO region")] = None,
) -> None:
    """Run the eligibility gate and show every rule's outcome."""
    if surface not in SURFACES:
        raise InputError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}")
    if age_band not in AGE_BANDS:
        raise InputError(f"unknown age band {age_band!r}; known: {', '.join(AGE_BANDS)}")
    with open_runtime() as runtime:
        snapshot = runtime.policy_cache.snapshot()
        with runtime.database.read() as conn:
            known = load_candidates(conn, content_ids)
        context = RequestContext(
            surface=surface,
            now=runtime.clock.now(),
            age_band=age_band,
            region=region,
        )
        candidates = [known.get(i) or Candidate(content_id=i, creator_id=None) for i in content_ids]
        decisions = evaluate(candidates, context, snapshot)
    for decision in decisions:
        table = Table(title=f"{decision.content_id} on {surface}: {decision.action.name.lower()}")
        for column in ("rule", "status", "action", "reason"):
            table.add_column(column)
        for outcome in decision.outcomes:
            table.add_row(outcome.rule, outcome.status, outcome.action.name.lower(), outcome.reason)
        console.print(table)


# ---------------------------------------------------------------- denylist


@denylist_app.command("add")
def deny_add(
    kind: Annotated[str, typer.Argument(help="content | creator | topic | campaign")],
    value: Annotated[str, typer.Argument()],
    reason: Annotated[str, ReasonOption],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Add an entry; effective on the next request."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        entry = runtime.policy.set_denylisted(
            conn, kind, value, active=True, actor=actor or default_actor(), reason=reason
        )
    print_json(entry.as_dict())


@denylist_app.command("remove")
def deny_remove(
    kind: Annotated[str, typer.Argument()],
    value: Annotated[str, typer.Argument()],
    reason: Annotated[str, ReasonOption],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Lift an entry."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        entry = runtime.policy.set_denylisted(
            conn, kind, value, active=False, actor=actor or default_actor(), reason=reason
        )
    print_json(entry.as_dict())


@denylist_app.command("list")
def deny_list(
    all_entries: Annotated[bool, typer.Option("--all", help="include lifted entries")] = False,
) -> None:
    """The denylist."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        print_json(
            [e.as_dict() for e in runtime.policy.denylist(conn, include_inactive=all_entries)]
        )


# ---------------------------------------------------------------- kill switches


@kill_switch_app.command("set")
def kill_set(
    scope: Annotated[
        str,
        typer.Argument(
            help="item|creator|topic|category|source|trending|exploration|push|personalized_ranking"
        ),
    ],
    target: Annotated[str, typer.Argument(help="what it applies to ('*' for global scopes)")] = "*",
    reason: Annotated[str, ReasonOption] = "",
    ttl: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            max=MAX_KILL_SWITCH_TTL.total_seconds(),
            help="seconds until it lapses on its own",
        ),
    ] = None,
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Turn a kill switch on; effective on the next request, no restart."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        switch = runtime.policy.set_kill_switch(
            conn,
            scope,
            target,
            active=True,
            actor=actor or default_actor(),
            reason=reason,
            ttl=None if ttl is None else timedelta(seconds=ttl),
        )
    print_json(switch.as_dict())


@kill_switch_app.command("clear")
def kill_clear(
    scope: Annotated[str, typer.Argument()],
    reason: Annotated[str, ReasonOption],
    target: Annotated[str, typer.Argument()] = "*",
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Turn a kill switch off."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        switch = runtime.policy.set_kill_switch(
            conn, scope, target, active=False, actor=actor or default_actor(), reason=reason
        )
    print_json(switch.as_dict())


@kill_switch_app.command("list")
def kill_list(
    all_switches: Annotated[bool, typer.Option("--all", help="include cleared switches")] = False,
) -> None:
    """Kill switches."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        now = runtime.clock.now()
        print_json(
            [
                {**s.as_dict(), "in_force": s.in_force(now)}
                for s in runtime.policy.kill_switches(conn, include_inactive=all_switches)
            ]
        )


# ---------------------------------------------------------------- configuration


@config_app.command("show")
def config_show() -> None:
    """The policy configuration in force."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        print_json(runtime.policy.active_config(conn).document())


@config_app.command("versions")
def config_versions() -> None:
    """Every stored configuration version."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        print_json(runtime.policy.config_versions(conn))


@config_app.command("set")
def config_set(
    file: Annotated[Path, typer.Argument(help="YAML or JSON policy document with a new version")],
    reason: Annotated[str, ReasonOption],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Validate and activate a new policy configuration version."""
    if not file.is_file():
        raise InputError(f"no such file: {file}")
    document = read_yaml_document(file, "policy document", error=InputError)
    with open_runtime() as runtime, runtime.database.write() as conn:
        config = runtime.policy.activate_config(
            conn, document, actor=actor or default_actor(), reason=reason
        )
    console.print(f"policy configuration {config.version} is active")
