"""A size-capped mapping: what keeps the funnel's memory per creator bounded.

Every per-subject table of the funnel is a `BoundedDict`: when full, the least
recently used entry is dropped, so memory stays bounded however many subjects a
platform has, and the subjects that are active keep their state.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["BoundedDict"]

_K = TypeVar("_K")
_V = TypeVar("_V")


class BoundedDict(OrderedDict[_K, _V], Generic[_K, _V]):
    """An LRU map of at most ``capacity`` entries.

    >>> seen = BoundedDict[str, int](2)
    >>> seen["a"] = 1; seen["b"] = 2; _ = seen.touch("a", int); seen["c"] = 3
    >>> list(seen)
    ['a', 'c']
    """

    def __init__(self, capacity: int) -> None:
        super().__init__()
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity

    def __setitem__(self, key: _K, value: _V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.capacity:
            self.popitem(last=False)

    def touch(self, key: _K, factory: Callable[[], _V]) -> _V:
        """The entry for ``key`` (created by ``factory`` if missing), marked as recently used."""
        value = self.get(key)
        if value is None:
            value = factory()
            self[key] = value
        else:
            self.move_to_end(key)
        return value
