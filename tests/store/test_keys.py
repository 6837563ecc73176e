"""`in_keys`: ``columns IN keys`` on both back ends, one column or several."""

from __future__ import annotations

from sqlalchemy import select

from safefeed.store.database import Database
from safefeed.store.feed_tables import FeedAffinity
from safefeed.store.keys import in_keys
from safefeed.store.tables import table_of
from safefeed.store.upsert import insert_rows

_affinities = table_of(FeedAffinity)
_ROWS = [
    {"user_id": user, "kind": kind, "key": key, "weight": 1.0, "updated_us": 0}
    for user in ("u1", "u2", 'u"3 é')
    for kind in ("topic", "creator")
    for key in ("a", "b")
]


def test_one_column_finds_exactly_the_stored_keys(database: Database) -> None:
    with database.write() as conn:
        insert_rows(conn, _affinities, _ROWS)
        found = conn.execute(
            select(_affinities.c.user_id)
            .where(in_keys(conn, [_affinities.c.user_id], ["u2", 'u"3 é', "nobody"]))
            .distinct()
        ).scalars()
        assert sorted(found) == sorted(["u2", 'u"3 é'])


def test_several_columns_match_whole_tuples(database: Database) -> None:
    keys = [
        ("u1", "topic", "b"),
        ('u"3 é', "creator", "a"),
        ("u2", "topic", "zzz"),
        ("u1", "x", "a"),
    ]
    columns = [_affinities.c.user_id, _affinities.c.kind, _affinities.c.key]
    with database.write() as conn:
        insert_rows(conn, _affinities, _ROWS)
        found = conn.execute(select(*columns).where(in_keys(conn, columns, keys))).all()
        assert sorted(tuple(r) for r in found) == sorted(
            [("u1", "topic", "b"), ('u"3 é', "creator", "a")]
        )
        assert conn.execute(select(*columns).where(in_keys(conn, columns, []))).all() == []
