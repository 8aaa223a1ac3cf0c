"""Alembic environment: runs the migrations against the URL that bridge.db.upgrade_database put in the config.

The engine comes from bridge.db.make_engine so migrations see the same SQLite
settings (WAL, busy timeout, foreign keys) as the running bridge.
"""

from __future__ import annotations

from alembic import context

from bridge.db import make_engine
from bridge.models import Base

url = context.config.get_main_option("sqlalchemy.url")
if url is None:
    raise RuntimeError("no sqlalchemy.url in the Alembic config: run migrations with bridge.db.upgrade_database(url)")
engine = make_engine(url)
try:
    with engine.connect() as connection:
        # Batch mode lets later migrations alter columns on SQLite, which has no ALTER COLUMN.
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
finally:
    engine.dispose()
