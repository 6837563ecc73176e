"""The store's plumbing on both back ends: migrations, the schema, transactions, SQLite pragmas."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, column, func, insert, inspect, select, table

from safefeed.access.keys import ApiKeyStore, Principal, hash_key
from safefeed.store.database import Database, sqlite_url
from safefeed.store.risk_tables import RiskCase
from safefeed.store.schema import metadata
from safefeed.store.tables import Account
from tests.review.helpers import seed_cases
from tests.support.postgres import ThrowawayCluster


class DeliberateError(Exception):
    pass


def head_revision(database: Database) -> str | None:
    return ScriptDirectory.from_config(database.alembic_config()).get_current_head()


def schema_of(database: Database) -> dict[str, Any]:
    """Every table with its columns and indexes, as the database reports them."""
    with database.engine.connect() as connection:
        inspector = inspect(connection)
        return {
            table: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                sorted(str(sorted(index.items())) for index in inspector.get_indexes(table)),
            )
            for table in inspector.get_table_names()
        }


def add_account(connection: Connection, user_id: str) -> None:
    connection.execute(
        insert(Account).values(user_id=user_id, age_band="18+", is_creator=False, created_us=1)
    )


def count_accounts(database: Database) -> int:
    with database.read() as connection:
        return connection.execute(select(func.count()).select_from(Account)).scalar_one()


@pytest.fixture
def empty_database(
    back_end: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Database]:
    """A database never migrated, once per back end."""
    if back_end == "sqlite":
        database = Database(sqlite_url(tmp_path / "empty.db"))
        yield database
        database.dispose()
        return
    cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()  # a copy of template1: no tables at all
    database = Database(cluster.url(name))
    yield database
    database.dispose()
    cluster.drop_database(name)


def test_a_new_database_migrates_from_nothing_to_head(empty_database: Database) -> None:
    assert empty_database.schema_revision() is None

    empty_database.migrate()

    assert empty_database.schema_revision() == head_revision(empty_database)


def test_postgres_url_is_a_fresh_migrated_database(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        assert database.schema_revision() == head_revision(database)
        assert count_accounts(database) == 0
    finally:
        database.dispose()


def test_migrations_reach_the_newest_head(database: Database) -> None:
    head = head_revision(database)

    assert head is not None
    assert database.schema_revision() == head


def test_migrating_twice_changes_nothing(database: Database) -> None:
    with database.write() as connection:
        add_account(connection, "u1")
    schema = schema_of(database)

    database.migrate()

    assert schema_of(database) == schema
    assert database.schema_revision() == head_revision(database)
    assert count_accounts(database) == 1


def test_a_claim_made_before_claim_leases_gets_the_default_lease(
    empty_database: Database,
) -> None:
    command.upgrade(empty_database.alembic_config(), "0006")
    claimed_us = 1_000_000
    (held,) = seed_cases(empty_database, 1, status="claimed", claimed_by="m", claimed_us=claimed_us)

    empty_database.migrate()

    with empty_database.read() as connection:
        leases = dict(connection.execute(select(RiskCase.case_id, RiskCase.claim_expires_us)).all())
    assert leases == {held: claimed_us + 30 * 60 * 1_000_000}


def test_the_models_match_the_migrated_schema(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_keys_made_before_owners_keep_working_and_belong_to_themselves(
    empty_database: Database,
) -> None:
    """Migration 0005 on keys issued under the schema before it."""
    command.upgrade(empty_database.alembic_config(), "0004")
    names = ("key_id", "name", "key_hash", "created_by", "created_us", "revoked_us")
    keys = table("api_keys", *(column(n) for n in names), column("roles", JSON))
    token = "sf_k1_" + "s" * 43
    made = {"created_by": "cli:root", "created_us": 1}
    with empty_database.write() as connection:
        connection.execute(
            keys.insert(),
            [
                {
                    **made,
                    "key_id": "k1",
                    "name": "alice-laptop",
                    "key_hash": hash_key(token),
                    "roles": ["moderator"],
                    "revoked_us": None,
                },
                {
                    **made,
                    "key_id": "k2",
                    "name": "alice-ci",
                    "key_hash": hash_key("sf_k2_x"),
                    "roles": ["service"],
                    "revoked_us": 5,
                },
            ],
        )

    empty_database.migrate()

    with empty_database.read() as connection:
        principal = ApiKeyStore.authenticate(connection, token)
        listed = {k["name"]: k["owner"] for k in ApiKeyStore.list(connection)}
    assert principal == Principal("k1", "alice-laptop", "alice-laptop", frozenset({"moderator"}))
    assert listed == {"alice-laptop": "alice-laptop", "alice-ci": "alice-ci"}


def test_a_change_waiting_from_before_owners_belongs_to_the_person_behind_its_actor(
    empty_database: Database,
) -> None:
    """Migration 0006: a key's change is its name's (0005), the command line's its login's."""
    command.upgrade(empty_database.alembic_config(), "0005")
    case: dict[str, Any] = {
        "category": "c",
        "subject_type": "user",
        "subject_id": "u1",
        "tier": "low",
        "peak_tier": "low",
        "status": "waiting",
        "config_version": "v",
        **dict.fromkeys(("score", "lower", "upper", "base_priority"), 0.0),
        **dict.fromkeys(("first_surfaced_us", "updated_us"), 0),
    }
    names = ("case_id", "changed_by", *case)
    cases = table("risk_cases", column("line", JSON), *(column(n) for n in names))
    changed_by = {"1": "key:alice-laptop", "2": "cli:dana", "3": "oncall", "4": None}
    with empty_database.write() as connection:
        connection.execute(
            cases.insert(),
            [case | {"case_id": k, "changed_by": v, "line": {}} for k, v in changed_by.items()],
        )

    empty_database.migrate()

    owners = table("risk_cases", column("case_id"), column("changed_by_owner"))
    with empty_database.read() as connection:
        found = dict(connection.execute(select(owners).order_by(owners.c.case_id)).all())
    assert found == {"1": "alice-laptop", "2": "dana", "3": "oncall", "4": None}


def test_a_write_that_raises_is_rolled_back(database: Database) -> None:
    with database.write() as connection:
        add_account(connection, "kept")

    def write_then_fail() -> None:
        with database.write() as connection:
            add_account(connection, "lost")
            raise DeliberateError

    with pytest.raises(DeliberateError):
        write_then_fail()

    with database.read() as connection:
        users = connection.execute(select(Account.user_id)).scalars().all()
    assert users == ["kept"]


def test_sqlite_is_durable_and_checks_foreign_keys(sqlite_database: Database) -> None:
    with sqlite_database.read() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys")
        }

    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}  # 2 is FULL


def test_a_scratch_sqlite_store_gives_up_fsync_only(tmp_path: Path) -> None:
    scratch = Database(sqlite_url(tmp_path / "scratch.db"), durable=False)
    try:
        with scratch.read() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys")
            }
    finally:
        scratch.dispose()

    assert pragma == {"journal_mode": "wal", "synchronous": 0, "foreign_keys": 1}  # 0 is OFF


def test_a_sqlite_write_takes_the_write_lock_when_it_begins(sqlite_database: Database) -> None:
    path = sqlite_database.engine.url.database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        # BEGIN IMMEDIATE: a second writer waits at its own BEGIN, not at a lock upgrade.
        with sqlite_database.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once the write transaction ends
        other.execute("ROLLBACK")
    finally:
        other.close()
