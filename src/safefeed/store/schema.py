"""The whole schema: every table module, imported so that `metadata` holds them all.

Alembic's environment and the schema tests read `metadata` from here. Each part of
the flow keeps its tables in a module of its own beside `tables` (the core).
"""

from safefeed.store import tables
from safefeed.store.tables import metadata

__all__ = ["metadata", "tables"]
