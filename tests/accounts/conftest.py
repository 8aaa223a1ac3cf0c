"""A session on a freshly migrated database, on SQLite and on PostgreSQL, for the accounts tables."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from bridge.db import make_engine, make_session_factory
from tests.ticket_web_fixtures import any_database  # noqa: F401 (fixture)


@pytest.fixture
def session(any_database: str) -> Iterator[Session]:  # noqa: F811
    engine = make_engine(any_database)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()
