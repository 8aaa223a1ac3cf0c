"""Fixtures for the ticket store and the mail outbox, run against SQLite and PostgreSQL.

Each PostgreSQL test gets its own schema (selected through search_path in the
URL), so tests never see each other's tables, even when several test runs
share one server.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from smtp_recorder import RecordingHandler

from bridge.db import make_engine, make_session_factory, upgrade_database
from tests.postgres import migrated_schema

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The server URL, checked once: unreachable fails the run in CI and skips the PostgreSQL cases elsewhere."""
    url = os.environ.get("KB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    probe = make_engine(make_url(url).update_query_dict({"connect_timeout": "5"}).render_as_string(hide_password=False))
    try:
        with probe.connect():
            pass
    except OperationalError as error:
        first_line = str(error.orig).splitlines()[0]
        reason = f"PostgreSQL at {make_url(url).render_as_string()} is unreachable: {first_line}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        print(reason)
        pytest.skip(reason)
    finally:
        probe.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/var/kb.sqlite3"
        upgrade_database(url)
        yield url
        return
    yield from migrated_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_smtp_server(free_port: int) -> Iterator[Callable[..., RecordingHandler]]:
    """Starts a real SMTP server on free_port when called, so a test can have the server down first.

    smtputf8 is whether it offers SMTPUTF8 (aiosmtpd does not unless asked, like some relays)."""
    controllers: list[Controller] = []

    def start(smtputf8: bool = False, handler: RecordingHandler | None = None) -> RecordingHandler:
        handler = handler or RecordingHandler()
        controller = Controller(handler, hostname="127.0.0.1", port=free_port, enable_SMTPUTF8=smtputf8)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()
