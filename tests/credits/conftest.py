"""Every credits test runs watched: no UPDATE or DELETE statement may ever touch the ledger table.

The listener sits on SQLAlchemy's Engine class, so it sees every statement of every engine in
this process (the bridge's own, the tests' sessions, worker threads), on SQLite and PostgreSQL.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, event

from tests.conftest import free_port
from tests.tickets.smtp_recorder import RecordingHandler

LEDGER_CHANGE = re.compile(r"^\s*(UPDATE|DELETE)\b.*\bcredit_entries\b", re.IGNORECASE | re.DOTALL)


@pytest.fixture(autouse=True)
def ledger_changes() -> Iterator[list[str]]:
    """The statements that would have edited or deleted an entry; each test must leave it empty."""
    seen: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if LEDGER_CHANGE.search(statement):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", watch)
    assert seen == [], f"the ledger was edited or deleted from: {seen}"


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, str]]:
    """A real SMTP server (aiosmtpd) that keeps what it accepts, and the KB_SMTP_URL that reaches it."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()
