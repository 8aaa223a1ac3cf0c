"""Mail that cannot be delivered: given up on after the configured attempts or at a final refusal,
with the reason kept, listed by `kb mail failed` and sent again by `kb mail retry`."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from smtp_recorder import RecordingHandler
from ticket_samples import submit

from bridge.cli import main
from bridge.notify.outbox import OutboxSender
from bridge.notify.transport import SmtpTransport
from bridge.notify.models import OutboxMessage


class RefusingMailbox(RecordingHandler):
    """A real SMTP server that has no mailbox for nobody@...: 550, as a server says "no such user"."""

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def kb(database_url: str, *args: str):
    return CliRunner().invoke(main, ["mail", *args], env={"KB_DATABASE_URL": database_url})


def test_a_final_refusal_gives_up_at_once_and_kb_lists_it_with_the_reason(
    session_factory: sessionmaker, database_url: str, free_port: int,
    start_smtp_server: Callable[..., RecordingHandler],
) -> None:
    start_smtp_server(handler=RefusingMailbox())
    with session_factory() as session:
        refused = submit(session, email="nobody@example.org", subject="Lost invoice")
        submit(session, subject="Delivered fine")
    sender = OutboxSender(session_factory, SmtpTransport(f"smtp://127.0.0.1:{free_port}"), max_attempts=100)

    assert sender.send_due() == 1
    assert sender.send_due(now=datetime.now(UTC) + timedelta(days=1)) == 0

    with session_factory() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == refused.id)).one()
    assert message.attempts == 1 and message.failed_at is not None and message.next_attempt_at is None
    assert "550" in message.last_error and "No such user" in message.last_error
    listing = kb(database_url, "failed")
    assert listing.exit_code == 0, listing.output
    assert f"#{message.id} " in listing.output and "acknowledgement to nobody@example.org" in listing.output
    assert f"Subject: [{refused.reference}] We have your request: Lost invoice" in listing.output
    assert "after 1 attempt" in listing.output and "550 5.1.1 No such user here" in listing.output
    assert "Delivered fine" not in listing.output


def test_giving_up_after_the_configured_attempts_and_sending_again_after_a_fix(
    session_factory: sessionmaker, database_url: str, free_port: int,
    start_smtp_server: Callable[..., RecordingHandler],
) -> None:
    with session_factory() as session:
        ticket = submit(session)
    sender = OutboxSender(session_factory, SmtpTransport(f"smtp://127.0.0.1:{free_port}"), max_attempts=3)
    start = datetime.now(UTC)
    for hours in range(5):  # nothing listens: the relay is down
        sender.send_due(now=start + timedelta(hours=hours))
    with session_factory() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.attempts == 3 and message.failed_at is not None and "ConnectionRefusedError" in message.last_error
    assert f"#{message.id} " in kb(database_url, "failed").output

    server = start_smtp_server()
    retried = kb(database_url, "retry", str(message.id), "9999")
    assert retried.exit_code == 1
    assert f"Queued again: {message.id}." in retried.output and "not failed mail: 9999" in retried.output
    assert sender.send_due(now=start + timedelta(hours=6)) == 1

    assert [mail.rcpt_tos for mail in server.received] == [["ada@example.org"]]
    assert kb(database_url, "failed").output == "No failed mail.\n"
    with session_factory() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.sent_at is not None and message.failed_at is None and message.attempts == 1
    assert ticket.reference in message.subject
