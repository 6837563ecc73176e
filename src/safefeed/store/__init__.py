"""The store: SQLAlchemy tables and Alembic migrations over SQLite or PostgreSQL,
and the event log."""

from safefeed.store.database import Database, sqlite_url
from safefeed.store.event_log import EventLog, StoredEvent

__all__ = ["Database", "EventLog", "StoredEvent", "sqlite_url"]
