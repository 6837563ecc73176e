"""What every benchmark's JSON carries: its name, the machine it ran on, its results."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from rich.console import Console


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
