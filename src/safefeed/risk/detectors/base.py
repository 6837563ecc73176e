"""The detector seam: what every stage-3 scorer declares and does.

A detector is an estimator in the river / scikit-learn sense: its constructor
stores parameters only, learned state lives in attributes ending in ``_`` and is
created on the first `update`. It declares its ``inputs`` — the observation
fields it reads, its least context — and the signal kinds it ``consumes``;
widening either is a change that goes through review, and the least-context test
runs every registered detector over a guarded observation that raises on any
field it did not declare.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

from safefeed.risk.model import OBSERVATION_FIELDS, Assessment, Category, Observation, SignalKind

__all__ = ["Detector", "saturate"]


def saturate(x: float) -> float:
    """Map evidence ``x >= 0`` onto ``[0, 1)``: ``1 - e^-x``.

    >>> saturate(0.0), round(saturate(1.0), 3)
    (0.0, 0.632)
    """
    import math

    return 1.0 - math.exp(-max(0.0, x))


class Detector:
    """Base class of the risk detectors (one per risk category)."""

    name: ClassVar[str]
    category: ClassVar[Category]
    version: ClassVar[str]
    #: Observation fields this detector reads: nothing else is ever read.
    inputs: ClassVar[frozenset[str]]
    #: Signal kinds this detector is handed.
    consumes: ClassVar[frozenset[SignalKind]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = cls.inputs - OBSERVATION_FIELDS
        if unknown:
            raise TypeError(f"{cls.__name__} declares unknown inputs {sorted(unknown)}")

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as scikit-learn's ``get_params``."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def update(self, obs: Observation) -> Sequence[Assessment]:
        """Learn from one observation; the new assessments of the subjects it touched.

        One observation can bear on several subjects (a post with three hashtags is
        evidence about three trends); a detector with one subject per observation
        implements `update_one` instead.
        """
        found = self.update_one(obs)
        return () if found is None else (found,)

    def update_one(self, obs: Observation) -> Assessment | None:
        """Learn from one observation; its one subject's new assessment, if any."""
        raise NotImplementedError

    def versions(self) -> dict[str, str]:
        return {f"detector.{self.name}": self.version}
