"""Loads LightGBM's native library before anything loads usearch's.

Loaded the other way round in one process, LightGBM's string formatting breaks:
feature names come out as ``Column_`` and saved models fail to parse. The feed
package imports this module first, so every process that can build the ANN index
can also load a learned ranker. Loading the shared object costs milliseconds; the
Python package (which pulls in scikit-learn) is imported only when a model is used.
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path

__all__: list[str] = []

_spec = importlib.util.find_spec("lightgbm")
if _spec is not None and _spec.origin is not None:
    _library = Path(_spec.origin).parent / "lib" / "lib_lightgbm.so"
    if _library.is_file():
        ctypes.CDLL(str(_library))
