"""safefeed: a safety-first content platform engine.

Three loops over one store — serve a feed in which safety is part of every stage,
detect early risk and intervene proportionately with humans deciding, and govern
every change through a tamper-evident audit log. See ``DESIGN.md``.

The engine is assembled by `safefeed.runtime.Runtime`; importing this package
stays light (no store, no web framework, no model).
"""

from safefeed.clock import Clock, ManualClock, SystemClock
from safefeed.events import EVENT_ADAPTER, Event, events_json_schema
from safefeed.exceptions import (
    BatchTooLargeError,
    ConfigError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    SafefeedError,
    StoreError,
)
from safefeed.version import __version__

__all__ = [
    "EVENT_ADAPTER",
    "BatchTooLargeError",
    "Clock",
    "ConfigError",
    "Event",
    "InputError",
    "ManualClock",
    "NotFoundError",
    "PermissionDeniedError",
    "SafefeedError",
    "StoreError",
    "SystemClock",
    "__version__",
    "events_json_schema",
]
