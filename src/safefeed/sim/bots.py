"""Bots and brigades: coordinated fake engagement that inflates raw counts on some items.

Each step ``brigade_items_per_step`` items are targeted — with probability
``brigade_extreme_bias`` one of the not-yet-removed borderline or harmful items
(brigades push what moderation has not caught), otherwise any item — and
``brigade_size`` distinct bots open, watch nearly all of, and like each one. Bot
accounts are ordinary accounts (ids after the users'); nothing marks them as bots,
so a ranker has to discount them by behaviour (trust weighting), as in production.
"""

from __future__ import annotations

import numpy as np

from safefeed.sim.catalog import LABEL_HARMFUL, Catalog
from safefeed.sim.config import SimConfig
from safefeed.sim.feedback import Interactions

__all__ = ["brigade"]


def brigade(rng: np.random.Generator, config: SimConfig, catalog: Catalog) -> Interactions:
    """This step's bot engagement as interaction rows (``session`` is -1: no feed request)."""
    cfg = config
    size = min(cfg.brigade_size, cfg.bots)
    if cfg.brigade_items_per_step == 0 or size == 0:
        return Interactions()
    live = np.arange(catalog.n_items, dtype=np.int64)
    edgy = live[
        (catalog.extremeness[live] >= cfg.borderline_threshold)
        & (catalog.label[live] != LABEL_HARMFUL)
    ]
    targets = np.where(
        (rng.random(cfg.brigade_items_per_step) < cfg.brigade_extreme_bias) & (edgy.size > 0),
        rng.choice(edgy, size=cfg.brigade_items_per_step) if edgy.size else 0,
        rng.integers(0, catalog.n_items, size=cfg.brigade_items_per_step),
    ).astype(np.int64)
    bots = np.concatenate(
        [rng.choice(cfg.bots, size=size, replace=False) for _ in range(targets.size)]
    ).astype(np.int64)
    item = np.repeat(targets, size)
    rows = item.size
    completion = rng.uniform(0.85, 1.0, rows)
    return Interactions(
        user=cfg.users + bots,
        item=item,
        session=np.full(rows, -1, dtype=np.int64),
        position=np.zeros(rows, dtype=np.int64),
        related=np.zeros(rows, dtype=np.bool_),
        opened=np.ones(rows, dtype=np.bool_),
        watch_s=completion * catalog.duration_s[item],
        completion=completion,
        liked=np.ones(rows, dtype=np.bool_),
        hidden=np.zeros(rows, dtype=np.bool_),
        reported=np.zeros(rows, dtype=np.bool_),
    )
