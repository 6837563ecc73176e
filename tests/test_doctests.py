"""The runnable examples in every module's docstrings.

The default test paths do not collect src/, so the examples run here: every module of
the package, found by walking it, so that a new module's examples cannot go unrun.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import safefeed

# Alembic's migration environment runs only inside Alembic (it reads alembic.context).
_NOT_IMPORTABLE = ("safefeed.store.migrations.",)

MODULES = [
    m.name
    for m in pkgutil.walk_packages(safefeed.__path__, "safefeed.")
    if not m.name.startswith(_NOT_IMPORTABLE)
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_walk_finds_the_modules_with_examples() -> None:
    # A walk that silently found nothing would pass every test above.
    for name in ("safefeed.sim.stats", "safefeed.risk.decay", "safefeed.policy.records"):
        assert name in MODULES
        assert doctest.testmod(importlib.import_module(name)).attempted > 0, name
