"""Shared fixtures: real stores only, a SQLite file and a throwaway PostgreSQL cluster.

``database`` runs a test once per back end (ids ``sqlite`` and ``postgres``). The PostgreSQL
side needs server binaries (see ``tests/support/postgres.py``; ``SAFEFEED_TEST_PG_BIN``
overrides where they are looked for). When the cluster cannot start, every test that needs
it errors with the reason: nothing is skipped. ``-m "not postgres"`` leaves them out on
purpose; any test using a PostgreSQL fixture carries that marker automatically.

Under pytest-xdist each worker starts its own cluster on its own free port, only when its
first PostgreSQL test asks for one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safefeed.store.database import Database, sqlite_url
from tests.support.postgres import ClusterError, ThrowawayCluster

TEMPLATE = "safefeed_template"
_POSTGRES_FIXTURES = {"postgres_cluster", "postgres_url", "postgres_database"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file in the test's own directory."""
    database = Database(sqlite_url(tmp_path / "safefeed.db"))
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[ThrowawayCluster]:
    """This worker's PostgreSQL cluster, holding the migrated template ``safefeed_template``."""
    cluster = ThrowawayCluster()
    try:
        try:
            cluster.start()
        except ClusterError as exc:
            message = f"the PostgreSQL test cluster cannot start: {exc}"
            raise pytest.fail.Exception(message, pytrace=False) from None
        # Migrating once and copying the result per test is much cheaper than migrating per test.
        template = Database(cluster.url(cluster.create_database(TEMPLATE)))
        template.migrate()
        template.dispose()  # CREATE DATABASE ... TEMPLATE needs the template unused
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: ThrowawayCluster) -> Iterator[str]:
    """The URL of a fresh, migrated PostgreSQL database of its own, dropped after the test
    (with whatever is still connected to it, such as a server the test spawned)."""
    name = postgres_cluster.create_database(template=TEMPLATE)
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[Database]:
    """A `Database` on a fresh, migrated PostgreSQL database."""
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def back_end(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` then ``"postgres"``: what `database` (and any fixture using this) runs on."""
    name: str = request.param
    return name


@pytest.fixture
def database(back_end: str, request: pytest.FixtureRequest) -> Database:
    """The migrated store under test, once per back end."""
    fixture: Database = request.getfixturevalue(f"{back_end}_database")
    return fixture
