"""The database handle: one engine, SQLite or PostgreSQL, chosen by URL.

SQLite runs in WAL mode with ``synchronous=FULL`` so that an acknowledged write
survives a crash (a scratch store, deleted after its run, may give that up with
``durable=False``: ``synchronous=OFF``, no fsync per commit), and write
transactions start with ``BEGIN IMMEDIATE`` so that two writers queue on the busy
timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from safefeed.exceptions import ConfigError, StoreError

__all__ = ["Database", "json_text", "sqlite_url"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def json_text(value: Any) -> str:
    """A JSON column's value as the store keeps it (what the engine's serializer
    writes), for bulk inserts that bypass SQLAlchemy's per-row processing."""
    # orjson: several times faster than json for the JSON columns written on ingest.
    return orjson.dumps(value).decode()


def sqlite_url(path: Path | str) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{Path(path).resolve()}"


class Database:
    """An engine plus the two ways to use it: `read()` and `write()` transactions."""

    def __init__(self, url: str, *, echo: bool = False, durable: bool = True) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigError(f"invalid database URL {url!r}: {exc}") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = self._sqlite_engine(url, echo, durable)
        elif self.dialect == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            self.engine = create_engine(
                parsed,
                echo=echo,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                json_serializer=json_text,
                json_deserializer=orjson.loads,
            )
        else:
            raise ConfigError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")
        # PostgreSQL's default READ COMMITTED gives every statement a new view; a
        # read that spans several statements must see one state of the store.
        self._reader = (
            self.engine.execution_options(isolation_level="REPEATABLE READ")
            if self.dialect == "postgresql"
            else self.engine
        )

    @staticmethod
    def _sqlite_engine(url: str, echo: bool, durable: bool) -> Engine:
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30, "check_same_thread": False},
            json_serializer=json_text,
            json_deserializer=orjson.loads,
            # Pooled, so each connection keeps its warm page cache across transactions.
            pool_size=8,
            max_overflow=8,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # 64 MiB page cache: index inserts keyed by subject land on random pages.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            immediate = connection.get_execution_options().get("sqlite_immediate", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    # ------------------------------------------------------------ transactions

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: a consistent snapshot on both back ends (WAL read
        transactions on SQLite, REPEATABLE READ on PostgreSQL)."""
        try:
            with self._reader.connect() as connection, connection.begin():
                yield connection
        except OperationalError as exc:
            raise StoreError(f"the store cannot be read: {exc.orig}") from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; committed when the block ends without an exception."""
        try:
            with (
                self.engine.connect().execution_options(sqlite_immediate=True) as connection,
                connection.begin(),
            ):
                yield connection
        except OperationalError as exc:
            raise StoreError(f"the store cannot be written: {exc.orig}") from exc

    # ------------------------------------------------------------ schema

    def alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        # BEGIN IMMEDIATE on SQLite, so two processes migrating at once queue on the lock.
        config.attributes["engine"] = self.engine.execution_options(sqlite_immediate=True)
        return config

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        command.upgrade(self.alembic_config(), "head")

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at, or None before the first migration."""
        with self.engine.connect() as connection:
            try:
                row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
            except (OperationalError, ProgrammingError):  # no alembic_version table yet
                return None
        return None if row is None else str(row[0])

    def ping(self) -> bool:
        """True when the store answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
