"""Email to the credits desk raises a ticket that asks for the cost first: mail asks no question about credits."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bridge.services import Services
from bridge.settings import load_settings
from bridge.tickets.models import Ticket
from tests.credits.ledger_fixtures import CREDITS_POLICY, organisation, credit_desk
from tests.mailin.conftest import email


def test_an_emailed_request_is_quoted_before_anything_is_charged(database_file: str, tmp_path: Path) -> None:
    services = Services(load_settings(environ={}, overrides={
        "KB_DATABASE_URL": database_file, "KB_SUPPORT_POLICY": str(CREDITS_POLICY),
        "KB_OUTBOX_DIR": str(tmp_path / "outbox"), "KB_BUILD_DIR": str(tmp_path / "no-build"),
        "KB_MAIL_DEAD_LETTER_DIR": str(tmp_path / "dead-letter")}))
    try:
        with services.sessions()() as session:
            organisation(session, credit_desk())
            session.commit()
        received = services.mail_desk().receive(email(sender="Ada Lovelace <ada@acme.example>").as_bytes())
        assert received.reference is not None, received.describe()
        with services.sessions()() as session:
            ticket = session.scalar(select(Ticket))
            assert (ticket.reference.startswith("CR-"), ticket.credit_consent) == (True, "quote_first")
    finally:
        services.close()
