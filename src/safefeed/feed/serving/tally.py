"""Viewers added by pages not yet counted in the store, per catalog row.

The reach-review hold (`safefeed.feed.state.reach_review`) reads an item's reach from
its statistics, which move only when engagement is ingested. Pages served together
are counted here at once, so that no batch of pages — one `FeedEngine.serve` call, or
a large one split into calls that share a tally (a digest, a simulated day) — can
carry a flagged item past its threshold before anyone has ingested a view.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["ReachTally"]


class ReachTally:
    """A running count of served viewers per catalog row, grown with the catalog."""

    def __init__(self) -> None:
        self._added: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)

    def viewers(self, rows: int) -> npt.NDArray[np.float64]:
        """The count for a catalog of ``rows`` rows (rows added since count zero); the
        array is the tally's own, so what a page adds to it stays counted."""
        if self._added.size < rows:
            grown = np.zeros(rows, dtype=np.float64)
            grown[: self._added.size] = self._added
            self._added = grown
        return self._added
