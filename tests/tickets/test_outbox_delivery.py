"""Delivering acknowledgements: to a real SMTP server, through an outage, and into .eml files."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from smtp_recorder import RecordingHandler
from ticket_samples import submit

from bridge.notify.outbox import OutboxSender
from bridge.notify.transport import DirectoryTransport, SmtpTransport, transport_from_url
from bridge.notify.models import OutboxMessage


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_acknowledgement_reaches_a_real_smtp_server(
    session_factory: sessionmaker[Session], free_port: int, start_smtp_server: Callable[[], RecordingHandler]
) -> None:
    server = start_smtp_server()
    with session_factory() as session:
        ticket = submit(session)

    sent = OutboxSender(session_factory, SmtpTransport(f"smtp://127.0.0.1:{free_port}")).send_due()

    assert sent == 1
    [mail] = server.received
    assert mail.rcpt_tos == ["ada@example.org"]
    assert mail.mail_from == "support@example.com"
    message = parse(mail.content)
    assert message["Subject"] == f"[{ticket.reference}] We have your request: Cannot export invoices"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"Your reference is {ticket.reference}; quote it when you call or write." in text
    assert "https://help.example.com/ledger/invoices/export/" in text
    assert "https://help.example.com/ledger/invoices/formats/" in text
    assert '<a href="https://help.example.com/ledger/invoices/export/">Exporting invoices</a>' in html
    assert '<a href="https://help.example.com/ledger/invoices/formats/">Invoice formats</a>' in html
    with session_factory() as session:
        stored = session.scalars(select(OutboxMessage)).one()
    assert stored.sent_at is not None and stored.attempts == 1 and stored.next_attempt_at is None


def test_mail_outage_delays_acknowledgements_but_delivers_each_exactly_once(
    session_factory: sessionmaker[Session], free_port: int, start_smtp_server: Callable[[], RecordingHandler]
) -> None:
    with session_factory() as session:
        references = {submit(session, subject=f"Request {number}").reference for number in range(3)}
    sender = OutboxSender(
        session_factory,
        SmtpTransport(f"smtp://127.0.0.1:{free_port}"),
        base_delay=timedelta(minutes=1),
        max_delay=timedelta(minutes=10),
    )
    started = datetime.now(UTC)

    assert sender.send_due() == 0  # nothing listens on the port yet
    with session_factory() as session:
        failed = session.scalars(select(OutboxMessage)).all()
    assert len(failed) == 3
    for message in failed:
        assert message.attempts == 1 and message.sent_at is None
        assert message.last_error is not None and "ConnectionRefused" in message.last_error
        # first retry after the base delay, less up to half of it as jitter
        assert message.next_attempt_at is not None
        assert started + timedelta(seconds=30) <= message.next_attempt_at <= datetime.now(UTC) + timedelta(minutes=1)

    assert sender.send_due() == 0  # still backing off: no new attempt
    assert sender.send_due(now=started + timedelta(minutes=5)) == 0  # due again, server still down
    with session_factory() as session:
        assert [message.attempts for message in session.scalars(select(OutboxMessage))] == [2, 2, 2]

    server = start_smtp_server()
    assert sender.send_due(now=started + timedelta(minutes=30)) == 3
    assert sender.send_due(now=started + timedelta(days=1)) == 0

    subjects = [parse(mail.content)["Subject"] for mail in server.received]
    assert len(subjects) == 3
    assert {subject.split("]")[0].lstrip("[") for subject in subjects} == references
    with session_factory() as session:
        for message in session.scalars(select(OutboxMessage)):
            assert message.sent_at is not None and message.attempts == 3


class RefusingTransport:
    """A mail server that is never there."""

    def send(self, recipient: str, message_bytes: bytes) -> None:
        raise ConnectionRefusedError("nothing listens")


def test_sender_can_be_told_to_give_up_after_some_attempts(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        submit(session)
    sender = OutboxSender(session_factory, RefusingTransport(), max_attempts=2, max_delay=timedelta(minutes=5))
    now = datetime.now(UTC)

    for hours in range(4):
        assert sender.send_due(now=now + timedelta(hours=hours)) == 0

    with session_factory() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.attempts == 2
    assert message.next_attempt_at is None and message.sent_at is None
    assert message.last_error == "ConnectionRefusedError: nothing listens"


class SlowRecordingTransport:
    """A mail server that takes a moment per message, so concurrent senders overlap."""

    def __init__(self) -> None:
        self.subjects: list[str] = []
        self._lock = threading.Lock()

    def send(self, recipient: str, message_bytes: bytes) -> None:
        time.sleep(0.01)
        with self._lock:
            self.subjects.append(parse(message_bytes)["Subject"])


def test_two_senders_working_at_once_send_each_message_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        for number in range(20):
            submit(session, subject=f"Request {number}")
    transport = SlowRecordingTransport()
    senders = [OutboxSender(session_factory, transport) for _ in range(2)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda sender=sender: counts.append(sender.send_due())) for sender in senders]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 20
    assert sorted(transport.subjects) == sorted(set(transport.subjects))
    assert len(transport.subjects) == 20


def test_line_breaks_in_customer_fields_cannot_add_recipients(
    session_factory: sessionmaker[Session], free_port: int, start_smtp_server: Callable[[], RecordingHandler]
) -> None:
    server = start_smtp_server()
    with session_factory() as session:
        ticket = submit(session, subject="Help\r\nBcc: evil@example.com", name="Eve\r\nCc: evil2@example.com")

    OutboxSender(session_factory, SmtpTransport(f"smtp://127.0.0.1:{free_port}")).send_due()

    [mail] = server.received
    assert mail.rcpt_tos == ["ada@example.org"]
    message = parse(mail.content)
    assert message["Bcc"] is None and message["Cc"] is None
    assert message["Subject"] == f"[{ticket.reference}] We have your request: Help Bcc: evil@example.com"
    assert [address.addr_spec for address in message["To"].addresses] == ["ada@example.org"]
    header_lines = mail.content.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert not [line for line in header_lines if line.lower().startswith((b"bcc:", b"cc:"))]


def test_without_a_relay_acknowledgements_are_written_as_eml_files(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    outbox_dir = tmp_path / "var" / "outbox"
    transport = transport_from_url(None, outbox_dir)
    assert isinstance(transport, DirectoryTransport)
    with session_factory() as session:
        first = submit(session)
        second = submit(session, subject="Another one")

    assert OutboxSender(session_factory, transport).send_due() == 2

    files = sorted(outbox_dir.iterdir())
    assert [file.suffix for file in files] == [".eml", ".eml"]
    subjects = {parse(file.read_bytes())["Subject"] for file in files}
    assert subjects == {
        f"[{first.reference}] We have your request: Cannot export invoices",
        f"[{second.reference}] We have your request: Another one",
    }
    for file in files:
        message = parse(file.read_bytes())
        assert message["To"].addresses[0].addr_spec == "ada@example.org"
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None


def test_smtp_url_selects_the_smtp_transport(tmp_path: Path) -> None:
    transport = transport_from_url("smtp://mail.internal:2525", tmp_path)
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port) == ("mail.internal", 2525)


def test_background_sender_delivers_a_new_ticket_as_soon_as_it_is_woken(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    sender = OutboxSender(session_factory, DirectoryTransport(tmp_path))
    stop = threading.Event()
    thread = sender.run_in_background(interval=3600, stop=stop)
    try:
        with session_factory() as session:
            submit(session)
        sender.wake()
        deadline = time.monotonic() + 10
        while not list(tmp_path.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(tmp_path.glob("*.eml"))) == 1
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
