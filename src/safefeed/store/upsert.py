"""Portable bulk upsert (``INSERT ... ON CONFLICT``) for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

__all__ = ["insert_rows", "insert_values", "upsert"]


def _insert(connection: Connection, table: Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Insert ``rows``; where a row with the same ``keys`` exists, overwrite ``update``
    columns (all non-key columns by default)."""
    if not rows:
        return
    statement = _insert(connection, table)
    columns = update if update is not None else [c for c in rows[0] if c not in keys]
    if columns:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: statement.excluded[c] for c in columns},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    connection.execute(statement, list(rows))


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows as fast as the back end allows (see `insert_values`)."""
    if not rows:
        return
    columns = list(rows[0])
    insert_values(connection, table, columns, [tuple(row[c] for c in columns) for row in rows])


def insert_values(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Insert many rows given as tuples of ``columns``' values.

    On SQLite, straight to the driver's ``executemany``: SQLAlchemy's per-row parameter
    processing costs more than SQLite's insert itself on the ingest path. On
    PostgreSQL, ``COPY FROM STDIN`` inside the same transaction. Values must be plain
    (text, numbers, booleans; no JSON columns).
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _copy(connection, table, columns, rows)
        return
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    connection.exec_driver_sql(sql, list(rows))


def _copy(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    import psycopg
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        # COPY runs on the raw driver connection, outside SQLAlchemy's error wrapping;
        # callers catch SQLAlchemy's classes (IntegrityError to retry a concurrent
        # duplicate, OperationalError for a lost server), so give them those.
        raise DBAPIError.instance(
            statement.as_string(raw), None, exc, psycopg.Error, dialect=connection.dialect
        ) from exc
