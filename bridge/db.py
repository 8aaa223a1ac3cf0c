"""The database's one home: the declarative base, the timestamp type, engines, sessions and upgrades.

SQLite is the zero-set-up default and PostgreSQL the production choice; both
are reached through a URL so the rest of the code never asks which one it has.
Each room keeps its own tables (tickets, outbox, search log) on this one base,
so Alembic sees them all through `bridge.models`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from bridge.sqlite_writers import WRITERS_SUFFIX, connection_class

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def utc_now() -> datetime:
    """The current time as an aware UTC datetime, the only kind of datetime we store."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that always goes in and comes out as aware UTC.

    PostgreSQL keeps the offset, SQLite silently drops it; storing UTC and
    re-attaching UTC on the way out gives the same aware values on both.
    Naive datetimes are refused because their time zone is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base whose metadata Alembic compares against the migrations.

    Named constraints let later migrations drop or alter them by name, which
    SQLite's batch mode needs.
    """

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def make_engine(url: str) -> Engine:
    """Create an engine for url; SQLite gets the settings that let several processes share one file.

    Errors never carry the statement's values: they hold addresses, names and the text of messages,
    and an error's text reaches logs (the mail poller's warnings, Flask's 500 log) and the CLI's stderr.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit, so a stored ticket can be shown after its session ends."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade_database(url: str) -> None:
    """Bring the schema at url up to the newest migration; safe to run on every start."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Config values go through ConfigParser interpolation, which treats % as special.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def _sqlite_engine(url: URL) -> Engine:
    """WAL lets readers work while one process writes; writers of a database file queue for their turn
    (bridge/sqlite_writers.py), and busy_timeout makes any other writer wait instead of failing."""
    database = url.database
    connect_args = {}
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["factory"] = connection_class(Path(f"{database}{WRITERS_SUFFIX}"))
    engine = create_engine(url, connect_args=connect_args, hide_parameters=True)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
