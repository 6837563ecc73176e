"""Shared fixtures: a tiny world that runs in milliseconds."""

from __future__ import annotations

import pytest

from safefeed.sim.config import SimConfig


@pytest.fixture
def tiny() -> SimConfig:
    return SimConfig(
        users=200,
        steps=4,
        topics=4,
        creators=30,
        new_creators_per_step=1,
        initial_items=300,
        items_per_step=20,
        bots=20,
        brigade_items_per_step=2,
        brigade_size=5,
        homogenization_pairs=20,
    )
