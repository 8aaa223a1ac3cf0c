"""Fixtures for the ticket form, API and CLI: a bridge on a migrated database of its own.

Test modules import what they use from here explicitly. The API runs on SQLite and on
PostgreSQL; each PostgreSQL test gets a schema of its own (selected through search_path).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from bridge.app import create_app
from bridge.web.context import services
from tests.postgres import migrated_schema

LONDON = ZoneInfo("Europe/London")
FRIDAY_EVENING = datetime(2026, 11, 20, 17, 30, tzinfo=LONDON)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def valid_ticket(**changes: object) -> dict[str, object]:
    """A JSON body the API accepts, with some fields changed."""
    body: dict[str, object] = {
        "email": "ada@example.org",
        "name": "Ada Lovelace",
        "product": "ledger",
        "subject": "Invoice export fails",
        "description": "The export button does nothing.\nI tried twice.",
        "request_type": "technical",
        "priority": "critical",
    }
    body.update(changes)
    return body


def bridge_app(built_kb: Path, database_url: str, tmp_path: Path, **settings: str) -> Flask:
    """The bridge on the built sample kb and the given (migrated) database, mail written to tmp_path/outbox.

    It serves anyone (KB_ENTITLEMENT), so tests of the form and the API need no customer list;
    tests/accounts/test_entitlement.py runs the shipped policy, which serves nominated contacts only.
    """
    overrides = {"KB_BUILD_DIR": str(built_kb), "KB_DATABASE_URL": database_url, "KB_ENTITLEMENT": "anyone",
                 "KB_OUTBOX_DIR": str(tmp_path / "outbox"), "KB_TICKET_RATE_LIMIT": "",
                 "KB_TICKET_RECIPIENT_RATE_LIMIT": "", **settings}
    return create_app(overrides)


def close_app(app: Flask) -> None:
    """Release what the app opened on first use: its search log writer and its database connections."""
    services(app).close()


def set_clock(app: Flask, moment: datetime) -> None:
    """Make every ticket this app takes count its targets from moment (before its first request)."""
    services(app).clock = lambda: moment


def form_token(client) -> str:
    """The CSRF token of a freshly fetched form (which also starts the session it is bound to)."""
    with client.get("/tickets/new") as response:
        return TOKEN.search(response.get_data(as_text=True)).group(1)


@pytest.fixture
def ticket_app(built_kb: Path, database_file: str, tmp_path: Path) -> Iterator[Flask]:
    """The bridge on SQLite (tests/conftest.py's database_file), without a rate limit."""
    app = bridge_app(built_kb, database_file, tmp_path)
    yield app
    close_app(app)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        yield request.getfixturevalue("database_file")
        return
    yield from migrated_schema()


@pytest.fixture
def api_app(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = bridge_app(built_kb, any_database, tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def make_app(built_kb: Path, database_file: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build bridges with other settings on the same SQLite database; all are closed afterwards."""
    apps: list[Flask] = []

    def make(**settings: str) -> Flask:
        apps.append(bridge_app(built_kb, database_file, tmp_path, **settings))
        return apps[-1]

    yield make
    for app in apps:
        close_app(app)
