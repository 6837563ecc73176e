"""The gate's item-level verdicts per catalog row and surface, as arrays.

Candidate generation asks the gate about some 1,500 rows per request. What the
item rules say (kill switches, denylist, content and creator state) depends only on
the item, the surface and the policy state, so `VerdictArrays` keeps the gate's
answer (`safefeed.policy.gate.item_verdicts`) in one NumPy array per surface, next
to the catalog, and a source's candidates are filtered with a vectorised mask.

The arrays are the gate's memo, not a second copy of its rules: every value comes
from the gate, and a value is forgotten (and asked again on next use) when anything
it read may have changed — the rows of items and creators a policy revision touched
(`PolicySnapshot.changed_since`), every row when a change reaches every item
(the snapshot's ``generation``: configuration, topic or campaign denylist, broad
kill switches) or a kill switch lapses, and rows whose catalog attributes changed.
Final validation does not read them: it runs the whole gate on every served item.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from safefeed.feed.catalog.columns import FeedCatalog
from safefeed.policy.gate import item_verdicts
from safefeed.policy.snapshot import PolicySnapshot
from safefeed.types import Surface

__all__ = ["RowVerdicts", "VerdictArrays"]

_UNKNOWN = -1
# Past this many changed creators a full reset is cheaper than a scan per creator.
_CREATOR_SCANS = 64


@dataclass(frozen=True, slots=True)
class RowVerdicts:
    """The item-level verdicts of some rows on one surface."""

    #: The strictest item-rule action (`safefeed.policy.rules.Action` values).
    actions: npt.NDArray[np.int8]
    #: True where the request rules can only allow (see `ItemVerdicts.ordinary`).
    ordinary: npt.NDArray[np.bool_]
    #: True where they can say only the audience rule's outcome (see
    #: `ItemVerdicts.audience_only`).
    audience_only: npt.NDArray[np.bool_]


class VerdictArrays:
    """Per-surface arrays of item-level gate verdicts over one catalog, kept in step
    with the policy snapshot and the catalog (see the module docstring)."""

    def __init__(self, catalog: FeedCatalog) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._actions: dict[Surface, npt.NDArray[np.int8]] = {}
        self._ordinary: dict[Surface, npt.NDArray[np.bool_]] = {}
        self._audience_only: dict[Surface, npt.NDArray[np.bool_]] = {}
        self._revision = -1
        self._generation = -1
        self._edit_mark = catalog.edit_mark
        self._until: datetime | None = None

    def lookup(
        self, rows: npt.NDArray[np.int64], surface: Surface, snapshot: PolicySnapshot, now: datetime
    ) -> RowVerdicts:
        """The verdicts of ``rows`` on ``surface``, asking the gate for those unknown."""
        with self._lock:
            self._sync(snapshot, now)
            actions, ordinary, audience_only = self._arrays(surface)
            found_actions = actions.take(rows)
            unknown = rows[found_actions == _UNKNOWN]
            if len(unknown):
                unknown = np.unique(unknown)
                catalog = self._catalog
                found = item_verdicts(
                    [catalog.candidate(r) for r in unknown.tolist()], surface, now, snapshot
                )
                actions[unknown] = found.actions
                ordinary[unknown] = found.ordinary
                audience_only[unknown] = found.audience_only
                if found.until is not None and (self._until is None or found.until < self._until):
                    self._until = found.until
                found_actions = actions.take(rows)
            return RowVerdicts(found_actions, ordinary.take(rows), audience_only.take(rows))

    def warm(self, surface: Surface, snapshot: PolicySnapshot, now: datetime) -> int:
        """Ask the gate about every row not yet known on ``surface`` (at start-up, so
        the first requests find the arrays full); returns the row count."""
        rows = np.arange(len(self._catalog), dtype=np.int64)
        for start in range(0, len(rows), 50_000):
            self.lookup(rows[start : start + 50_000], surface, snapshot, now)
        return len(rows)

    def _arrays(
        self, surface: Surface
    ) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        n = len(self._catalog)
        actions = self._actions.get(surface)
        if actions is None or len(actions) < n:
            # Grown with headroom: new rows arrive one upsert at a time.
            size = max(n, 1024) if actions is None else max(n, len(actions) * 3 // 2)
            grown = np.full(size, _UNKNOWN, np.int8)
            ordinary = np.zeros(size, bool)
            audience_only = np.zeros(size, bool)
            if actions is not None:
                grown[: len(actions)] = actions
                ordinary[: len(actions)] = self._ordinary[surface]
                audience_only[: len(actions)] = self._audience_only[surface]
            self._actions[surface], self._ordinary[surface] = grown, ordinary
            self._audience_only[surface] = audience_only
        return self._actions[surface], self._ordinary[surface], self._audience_only[surface]

    def _forget(self, rows: npt.NDArray[np.int64] | None) -> None:
        """Forget the verdicts of ``rows`` (None: of every row) on every surface."""
        for actions in self._actions.values():
            if rows is None:
                actions.fill(_UNKNOWN)
            else:
                actions[rows[rows < len(actions)]] = _UNKNOWN

    def _sync(self, snapshot: PolicySnapshot, now: datetime) -> None:
        catalog = self._catalog
        if (
            catalog.edit_mark == self._edit_mark
            and snapshot.generation == self._generation
            and snapshot.revision <= self._revision
            and (self._until is None or now < self._until)
        ):
            return  # nothing they read has changed since the last call (most calls)
        edited = catalog.edited_since(self._edit_mark)
        self._edit_mark = catalog.edit_mark
        if edited is None:
            self._forget(None)
        elif len(edited):
            self._forget(edited)
        if self._until is not None and now >= self._until:
            self._forget(None)  # a kill switch lapsed: items it stopped may pass again
            self._until = None
        if snapshot.generation != self._generation:
            self._forget(None)
            self._generation, self._revision = snapshot.generation, snapshot.revision
        elif snapshot.revision > self._revision:
            changed = snapshot.changed_since(self._revision)
            self._revision = snapshot.revision
            if changed is None:
                self._forget(None)
            elif changed:
                self._forget(self._rows_of(changed))

    def _rows_of(self, changed: frozenset[tuple[str, str]]) -> npt.NDArray[np.int64] | None:
        """Catalog rows of the changed items and of every item of the changed creators
        (None: too many creators to scan, forget everything)."""
        catalog = self._catalog
        items = [s for kind, s in changed if kind == "content"]
        creators = [s for kind, s in changed if kind == "creator"]
        if len(creators) > _CREATOR_SCANS:
            return None
        return np.concatenate([catalog.rows_of(items), catalog.rows_of_creators(creators)])
