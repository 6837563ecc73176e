"""The simulator's math comes with examples (tests/test_doctests.py runs them all)."""

from __future__ import annotations

import doctest
import importlib


def test_the_math_pieces_have_examples() -> None:
    for name in ("stats", "paths", "population", "engagement"):
        module = importlib.import_module(f"safefeed.sim.{name}")
        assert doctest.testmod(module).attempted > 0, name
