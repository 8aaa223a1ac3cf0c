"""A database error says what went wrong without the values the statement carried.

Those values are customers' addresses and the text of their messages, and an error's text goes
to logs (the mail poller's warnings, Flask's log of a 500) and to the CLI's stderr.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bridge.db import make_engine
from tests.ticket_web_fixtures import any_database  # noqa: F401


def test_an_error_does_not_repeat_the_values_it_was_given(any_database: str) -> None:  # noqa: F811
    engine = make_engine(any_database)
    try:
        insert = text("INSERT INTO inbound_messages (message_key, sender, subject, size, raw, status, received_at) "
                      "VALUES (:key, :sender, :subject, 1, :raw, 'received', CURRENT_TIMESTAMP)")
        values = {"key": "k1", "sender": "ada@example.org", "subject": "My password is hunter2", "raw": b"x"}
        with engine.begin() as connection:
            connection.execute(insert, values)
        with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
            connection.execute(insert, values)
        said = str(raised.value)
        assert "INSERT INTO inbound_messages" in said
        assert "ada@example.org" not in said and "hunter2" not in said
    finally:
        engine.dispose()
