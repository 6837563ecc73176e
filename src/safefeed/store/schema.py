"""The whole schema: every table module, imported so that `metadata` holds them all.

Alembic's environment and the schema tests read `metadata` from here. Each part of
the flow keeps its tables in a module of its own beside `tables` (the core).
"""

from safefeed.store import feed_tables, risk_tables, tables
from safefeed.store.tables import metadata

__all__ = ["feed_tables", "metadata", "risk_tables", "tables"]
