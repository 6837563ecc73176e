"""API key commands (local operators only: there is no HTTP route that makes keys)."""

from __future__ import annotations

from typing import Annotated

import typer

from safefeed.access.roles import ROLES
from safefeed.cli.common import ActorOption, console, default_actor, open_runtime, print_json

__all__ = ["keys_app"]

keys_app = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument()],
    role: Annotated[list[str], typer.Option("--role", help=" | ".join(ROLES))],
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            help="the person the key belongs to (default: NAME); one owner's keys count "
            "as one person: none approves a change made with another",
        ),
    ] = None,
    reason: Annotated[str, typer.Option("--reason")] = "issued from the command line",
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Issue a key; the secret is printed once."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        issued = runtime.keys.issue(
            conn, name, role, owner=owner, actor=actor or default_actor(), reason=reason
        )
    made = issued.principal
    console.print(
        f"key {made.key_id} of {made.owner} ({', '.join(sorted(made.roles))})",
        markup=False,
        highlight=False,
    )
    typer.echo(issued.token)


@keys_app.command("list")
def list_keys() -> None:
    """Keys with their owners (never their secrets)."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        print_json(runtime.keys.list(conn))


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason")],
    actor: Annotated[str | None, ActorOption] = None,
) -> None:
    """Revoke a key at once."""
    with open_runtime() as runtime, runtime.database.write() as conn:
        runtime.keys.revoke(conn, key_id, actor=actor or default_actor(), reason=reason)
    console.print(f"revoked {key_id}")
