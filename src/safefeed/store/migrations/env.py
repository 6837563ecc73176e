"""Alembic environment: runs migrations on the engine handed over by `Database`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from safefeed.store.schema import metadata

config = context.config
engine: Engine | None = config.attributes.get("engine")
if engine is None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no engine and no sqlalchemy.url given to the migrations")
    engine = create_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
