"""Fixtures for the review board's domain: a desk on SQLite and PostgreSQL, staff, and a real SMTP server."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import make_engine, make_session_factory
from bridge.settings import PROJECT_ROOT
from tests.conftest import free_port
from tests.desk.desk_fixtures import DeskWorld, make_world
from tests.postgres import migrated_schema
from tests.tickets.smtp_recorder import RecordingHandler


@pytest.fixture(params=["sqlite", "postgresql"])
def desk_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        yield request.getfixturevalue("database_file")
        return
    yield from migrated_schema()


@pytest.fixture
def sessions(desk_database: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(desk_database)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def resolution_policy(tmp_path: Path) -> Path:
    """The shipped traffic-light policy with a resolution target of 8 business hours for critical tickets."""
    text = (PROJECT_ROOT / "site_config" / "support.yml").read_text()
    path = tmp_path / "support.yml"
    path.write_text(text.replace("    target_hours: 2\n", "    target_hours: 2\n    resolution_hours: 8\n", 1))
    return path


@pytest.fixture
def world(sessions: sessionmaker[Session], resolution_policy: Path) -> DeskWorld:
    return make_world(sessions, resolution_policy)


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    """A real SMTP server (aiosmtpd) recording what it accepts, and its port."""
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()

