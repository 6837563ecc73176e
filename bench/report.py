"""What every benchmark prints and writes: a right-aligned table of its results, and JSON
carrying its name, the machine it ran on and its results."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def write_report(
    console: Console, out: Path, benchmark: str, results: list[dict[str, Any]]
) -> None:
    """Write ``results`` with the machine's description to ``out`` and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": benchmark,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "results": results,
    }
    out.write_text(json.dumps(report, indent=2))
    console.print(f"wrote {out}")


def print_table(
    console: Console, title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]
) -> None:
    """Print the results as a table, every column right-aligned (they are figures)."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
