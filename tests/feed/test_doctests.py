"""The runnable examples in the feed's docstrings (scoring, decay, dwell, trust)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "safefeed.feed.catalog.columns",
    "safefeed.feed.catalog.dwell",
    "safefeed.feed.catalog.embedding",
    "safefeed.feed.catalog.estimates",
    "safefeed.feed.ranking.learned",
    "safefeed.feed.training.metrics",
    "safefeed.feed.ranking.prior_risk",
    "safefeed.feed.rerank.slate",
    "safefeed.feed.serving.explain",
    "safefeed.feed.serving.metrics",
    "safefeed.feed.sources.base",
    "safefeed.feed.state.reach_review",
    "safefeed.feed.state.session",
    "safefeed.feed.state.trust",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
