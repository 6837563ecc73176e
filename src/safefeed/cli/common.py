"""What CLI commands share: the runtime from the environment, the actor, output."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console

from safefeed.clock import to_us
from safefeed.exceptions import InputError
from safefeed.runtime import Runtime
from safefeed.settings import Settings

__all__ = [
    "ActorOption",
    "console",
    "default_actor",
    "default_owner",
    "err_console",
    "open_runtime",
    "print_json",
    "when_us",
]

console = Console()
err_console = Console(stderr=True)


def default_owner() -> str:
    """The person at this terminal: their login name."""
    try:
        return getpass.getuser().strip() or "unknown"
    except Exception:
        return "unknown"


def default_actor() -> str:
    return f"cli:{default_owner()}"


ActorOption = typer.Option("--actor", help="who is acting (default: cli:<login name>)")


@contextmanager
def open_runtime(migrate: bool = True) -> Iterator[Runtime]:
    """A runtime over the store the environment names (migrated unless told not to)."""
    runtime = Runtime(Settings.from_env())
    try:
        if migrate:
            runtime.migrate()
        yield runtime
    finally:
        runtime.close()


def print_json(value: Any) -> None:
    """Machine-readable output on stdout."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def when_us(value: str | None, default: datetime) -> int:
    """An ISO 8601 option as microseconds (UTC when it has no offset); ``default`` if unset."""
    if value is None:
        return to_us(default)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"bad time {value!r}: {exc}") from None
    return to_us(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
