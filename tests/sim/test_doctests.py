"""The default test paths do not collect src/, so the simulator's doctests run here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import safefeed.sim

MODULES = [m.name for m in pkgutil.iter_modules(safefeed.sim.__path__, "safefeed.sim.")]


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_math_pieces_have_examples() -> None:
    for name in ("stats", "paths", "population", "engagement"):
        module = importlib.import_module(f"safefeed.sim.{name}")
        assert doctest.testmod(module).attempted > 0, name
