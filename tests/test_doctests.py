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


#: Modules whose examples are part of their documentation, and how many at least: the
#: simulator's math, the audit chain's canonical form, the text signals, the demo.
WITH_EXAMPLES = {
    "safefeed.sim.stats": 1,
    "safefeed.sim.paths": 1,
    "safefeed.sim.population": 1,
    "safefeed.sim.engagement": 1,
    "safefeed.audit.chain": 5,
    "safefeed.signals.registry": 1,
    "safefeed.signals.text": 1,
    "safefeed.signals.thresholds": 1,
    "safefeed.demo.platform": 1,
    "safefeed.risk.decay": 1,
    "safefeed.policy.records": 1,
}


@pytest.mark.parametrize(("name", "least"), WITH_EXAMPLES.items())
def test_the_walk_finds_the_modules_with_examples(name: str, least: int) -> None:
    # A walk that silently found nothing would pass every test above.
    assert name in MODULES
    assert doctest.testmod(importlib.import_module(name)).attempted >= least, name
