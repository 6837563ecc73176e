"""``column IN (many keys)`` for the store's bulk reads, as one bound parameter on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, String, bindparam, func, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from safefeed.store.database import json_text

__all__ = ["in_keys"]


def in_keys(
    conn: Connection, columns: Sequence[ColumnElement[Any]], keys: Sequence[Any]
) -> ColumnElement[bool]:
    """``columns IN keys``: ``keys`` are values of the one column, or tuples of values
    of several (text or integer values).

    SQLAlchemy renders a list of N keys as N bound parameters on every execution (its
    "expanding" parameters), which cost the ingest path more than SQLite's index
    lookups for the keys themselves. On SQLite the keys go as one JSON array read back
    with ``json_each``: the same index search, one parameter and a statement compiled
    once. On PostgreSQL, the plain ``IN``.
    """
    target = columns[0] if len(columns) == 1 else tuple_(*columns)
    if conn.dialect.name != "sqlite":
        return target.in_(keys)
    each = func.json_each(bindparam(None, json_text(list(keys)), String())).table_valued("value")
    if len(columns) == 1:
        return target.in_(select(each.c.value))
    fields = [func.json_extract(each.c.value, f"$[{i}]") for i in range(len(columns))]
    return target.in_(select(*fields))
