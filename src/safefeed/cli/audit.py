"""Audit commands: verify the chain, read and export records, print the head to anchor it."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from safefeed.audit import GENESIS, AuditEntry, parse_anchor
from safefeed.cli.common import console, open_runtime, print_json

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    anchor: Annotated[
        str | None, typer.Option(help="SEQ:HASH from an earlier 'audit head'")
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 and name each tampered record if it is broken."""
    parsed = None if anchor is None else parse_anchor(anchor)
    with open_runtime() as runtime, runtime.database.read() as conn:
        report = runtime.audit.verify(conn, anchor=parsed)
    if report.ok:
        # Plain echo: the console would wrap the head, and it is there to be copied whole.
        typer.echo(
            f"audit log intact: {report.checked} records, head {report.head_seq}:{report.head_hash}"
        )
        return
    for line in report.summary().splitlines():
        console.print(f"[red]TAMPERED[/] {line}", highlight=False)
    raise typer.Exit(1)


@audit_app.command("head")
def head() -> None:
    """Print SEQ:HASH of the newest record; keep it elsewhere to anchor later checks."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        seq, digest = runtime.audit.head(conn)
    typer.echo(f"{seq}:{digest}")


@audit_app.command("log")
def log(
    after_seq: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    action: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Audit records in order."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        entries = runtime.audit.entries(conn, after_seq=after_seq, limit=limit, action=action)
    print_json([e.as_dict() for e in entries])


@audit_app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option(help="write here instead of stdout", dir_okay=False)
    ] = None,
) -> None:
    """Every record as JSON Lines (canonical JSON), for verification outside safefeed."""
    with open_runtime() as runtime, runtime.database.read() as conn:
        if out is None:
            count, last = _write_export(runtime.audit.export(conn), sys.stdout.buffer)
        else:
            with out.open("wb") as sink:
                count, last = _write_export(runtime.audit.export(conn), sink)
    # On stderr so that stdout stays pure JSON Lines.
    typer.echo(f"exported {count} records, last {last}", err=True)


def _write_export(entries: Iterable[AuditEntry], sink: BinaryIO) -> tuple[int, str]:
    count, last = 0, f"0:{GENESIS}"
    for entry in entries:
        sink.write(entry.export_line())
        count, last = count + 1, f"{entry.seq}:{entry.hash}"
    return count, last
