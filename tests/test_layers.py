"""The layering rules of DESIGN.md, checked on the import statements of the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import safefeed

ROOT = Path(safefeed.__file__).parent


def imported_packages(package: str) -> set[str]:
    """The safefeed subpackages that ``package`` imports, at top level or in functions."""
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "safefeed" and len(parts) > 1:
                    found.add(parts[1])
    return found - {package}


UPPER = {"api", "cli", "sim", "runtime", "demo"}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        # the contract and the store know nothing above them
        ("events", {"store", "audit", "policy", "ingest", "feed", "risk", "review", *UPPER}),
        ("store", {"audit", "policy", "ingest", "catalog", "feed", "risk", "review", *UPPER}),
        # ingestion hands events to consumers the application wires; it imports none
        ("ingest", {"catalog", "policy", "signals", "feed", "risk", "review", *UPPER}),
        ("policy", {"feed", "risk", "review", *UPPER}),
        # the feed and the risk funnel meet only in the store and in policy state
        ("feed", {"risk", "review", *UPPER}),
        ("risk", {"feed", *UPPER}),
        ("review", {"feed", *UPPER}),
    ],
)
def test_nothing_below_imports_anything_above(package: str, forbidden: set[str]) -> None:
    assert imported_packages(package) & forbidden == set()


def test_the_scan_sees_real_imports() -> None:
    """Guards the check above against passing vacuously."""
    assert {"policy", "ingest", "store"} <= imported_packages("catalog")
    assert "policy" in imported_packages("risk")
