"""Fixtures for mail in: a real desk on SQLite and PostgreSQL, a real SMTP server for what goes out,
a real IMAP server (Dovecot) for `kb mail poll`, and emails written the way mail clients write them."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bridge.accounts.models import Contact, Organisation
from bridge.db import upgrade_database
from bridge.mailin.receive import Received
from bridge.notify.models import OutboxMessage
from bridge.services import Services
from bridge.settings import load_settings
from bridge.tickets.models import Ticket
from tests.conftest import skip_or_fail
from tests.mailin.dovecot import DOVECOT, Dovecot
from tests.postgres import migrated_schema
from tests.tickets.smtp_recorder import RecordingHandler

SUPPORT = "support@example.com"
# A Tuesday morning in office hours (UK), so targets and acknowledgements are the same on every run.
IN_HOURS = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/kb.sqlite3"
        upgrade_database(url)
        yield url
        return
    yield from migrated_schema()


@pytest.fixture
def smtp() -> Iterator[Controller]:
    """A real SMTP server (aiosmtpd); its handler keeps what the desk sends."""
    controller = Controller(RecordingHandler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@dataclass
class Desk:
    """The bridge as `kb mail ingest` and `kb mail poll` build it, with helpers to read what it did."""

    services: Services
    smtp: RecordingHandler
    env: dict[str, str]
    clock: list[datetime]  # the desk's "now", which a test may move

    def receive(self, message: EmailMessage | bytes, recipients: tuple[str, ...] = ()) -> Received:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        return self.services.mail_desk().receive(raw, envelope_recipients=recipients)

    def send_mail(self) -> list[EmailMessage]:
        """Deliver the outbox to the SMTP server; the messages it received this time, parsed."""
        before = len(self.smtp.received)
        self.services.outbox_sender().send_due(now=datetime(2100, 1, 1, tzinfo=UTC))
        return [message_from_bytes(mail.content, policy=policy.default) for mail in self.smtp.received[before:]]

    def tickets(self) -> list[Ticket]:
        with self.services.sessions()() as session:
            return list(session.scalars(select(Ticket).order_by(Ticket.id)))

    def outbox(self) -> list[OutboxMessage]:
        with self.services.sessions()() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def desk(database_url: str, smtp: Controller, tmp_path: Path) -> Iterator[Desk]:
    env = {"KB_DATABASE_URL": database_url, "KB_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
           "KB_SMTP_UTF8": "no", "KB_OUTBOX_DIR": str(tmp_path / "outbox"), "KB_MAIL_FROM": SUPPORT,
           "KB_MAIL_DEAD_LETTER_DIR": str(tmp_path / "dead-letter"), "KB_BUILD_DIR": str(tmp_path / "no-build"),
           "KB_ATTACHMENT_MAX_MB": "1", "KB_SITE_URL": "https://help.example.com"}
    clock = [IN_HOURS]
    services = Services(load_settings(environ={}, overrides=env), clock=lambda: clock[0])
    with services.sessions()() as session:
        acme = Organisation(key="acme", name="Acme Ltd", products=["ledger", "rota"], paid_until=date(2099, 12, 31),
                            out_of_hours_cover=False)
        session.add(acme)
        session.flush()
        session.add_all([
            Contact(email="ada@acme.example", name="Ada Lovelace", organisation_id=acme.id, nominated=True,
                    products=["ledger"]),
            Contact(email="bob@acme.example", name="Bob Smith", organisation_id=acme.id, nominated=True,
                    products=["ledger", "rota"]),
        ])
        session.commit()
    yield Desk(services, smtp.handler, env, clock)
    services.close()


def email(*, sender: str = "Ada Lovelace <ada@acme.example>", to: str = SUPPORT, subject: str = "Invoices print blank",
          text: str | None = "When I print an invoice the page is blank.\n\nAda", html: str | None = None,
          message_id: str | None = None, **headers: str) -> EmailMessage:
    """An email as a mail client writes it; headers given as Python names (In_Reply_To=...)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(IN_HOURS)
    message["Message-ID"] = message_id or make_msgid(domain="acme.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists():
        skip_or_fail("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot()
    server.start()
    yield server
    server.close()
