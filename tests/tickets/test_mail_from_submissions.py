"""From a submission to what a real SMTP server receives: hostile names and subjects, international addresses.

The bridge runs on the sample build with KB_SMTP_URL pointing at aiosmtpd; each test posts to
/api/tickets as a client would and reads the mail the server was handed.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from smtp_recorder import RecordingHandler
from sqlalchemy import select

from bridge.notify.compose import parse_mail
from bridge.notify.models import OutboxMessage
from bridge.tickets.models import Ticket
from bridge.web.context import services
from tests.ticket_web_fixtures import bridge_app, close_app, valid_ticket


@pytest.fixture
def mail_app(built_kb: Path, database_file: str, tmp_path: Path, free_port: int) -> Iterator[Flask]:
    app = bridge_app(built_kb, database_file, tmp_path, KB_SMTP_URL=f"smtp://127.0.0.1:{free_port}")
    yield app
    close_app(app)


def post(app: Flask, **changes: object) -> tuple[int, dict]:
    with app.test_client().post("/api/tickets", json=valid_ticket(**changes)) as response:
        return response.status_code, response.get_json()


def deliver(app: Flask) -> int:
    """Run this bridge's outbox once, as its background sender would."""
    return services(app).outbox_sender().send_due()


def outbox(app: Flask) -> list[OutboxMessage]:
    with services(app).sessions()() as session:
        return list(session.scalars(select(OutboxMessage)))


def received(server: RecordingHandler) -> list[EmailMessage]:
    return [parse_mail(mail.content) for mail in server.received]


@pytest.mark.parametrize("field, value", [
    ("name", "=?utf-8?q?B=0D=0AContent-Type=3A_text/html=0D=0A=0D=0A=3Ch1=3EPay_now=3C/h1=3E?="),
    ("subject", "=?utf-8?q?hi=0D=0ABcc=3A_eve2=40evil=2Eexample?="),
    ("subject", "Help =?ISO-8859-1?B?DQpDYzogZXZlQGV2aWwuZXhhbXBsZQ==?="),
    ("name", "=?utf-8?b?RXZlDQpSZXBseS1UbzogZXZlQGV2aWwuZXhhbXBsZQ==?="),
    ("name", "Eve\u2028Bcc: eve@evil.example"),
    ("subject", "Hi\x85Bcc: eve@evil.example"),
    ("email", "ada@example.org\r\nBcc: eve@evil.example"),
])
def test_a_field_that_would_write_a_header_is_refused_with_400_naming_it(
    mail_app: Flask, start_smtp_server: Callable[..., RecordingHandler], field: str, value: str
) -> None:
    server = start_smtp_server()

    status, body = post(mail_app, **{field: value})

    assert status == 400
    assert list(body["error"]["fields"]) == [field]
    assert deliver(mail_app) == 0 and server.received == [] and outbox(mail_app) == []


def test_a_name_that_folds_into_two_recipients_reaches_only_the_customer(
    mail_app: Flask, start_smtp_server: Callable[..., RecordingHandler]
) -> None:
    server = start_smtp_server()
    name = "Support Team <eve@evil.example>, " + "x" * 100

    status, body = post(mail_app, name=name)

    assert status == 201
    assert deliver(mail_app) == 1
    [mail] = server.received
    [message] = received(server)
    assert mail.rcpt_tos == ["ada@example.org"]
    assert [address.addr_spec for address in message["To"].addresses] == ["ada@example.org"]
    assert message["Cc"] is None and message["Bcc"] is None
    assert message["Subject"] == f"[{body['reference']}] We have your request: Invoice export fails"
    assert f"Hello {name}," in message.get_body(("plain",)).get_content()


def test_an_international_domain_is_delivered_in_its_ascii_form(
    mail_app: Flask, start_smtp_server: Callable[..., RecordingHandler]
) -> None:
    server = start_smtp_server()

    assert post(mail_app, email="bob@bücher.example")[0] == 201
    assert deliver(mail_app) == 1

    assert server.received[0].rcpt_tos == ["bob@xn--bcher-kva.example"]
    assert received(server)[0]["To"].addresses[0].addr_spec == "bob@xn--bcher-kva.example"


def test_a_non_ascii_local_part_is_delivered_with_smtputf8(
    mail_app: Flask, start_smtp_server: Callable[..., RecordingHandler]
) -> None:
    server = start_smtp_server(smtputf8=True)

    status, body = post(mail_app, email="josé@example.com", name="José Müller")

    assert status == 201
    assert deliver(mail_app) == 1
    [mail] = server.received
    assert mail.rcpt_tos == ["josé@example.com"] and "SMTPUTF8" in mail.mail_options
    [message] = received(server)
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [("José Müller", "josé@example.com")]
    assert body["reference"] in message["Subject"]


def test_a_server_without_smtputf8_fails_that_mail_for_good_and_says_why(
    mail_app: Flask, start_smtp_server: Callable[..., RecordingHandler]
) -> None:
    server = start_smtp_server(smtputf8=False)

    assert post(mail_app, email="josé@example.com")[0] == 201
    assert deliver(mail_app) == 0

    [message] = outbox(mail_app)
    assert server.received == []
    assert message.sent_at is None and message.next_attempt_at is None and message.attempts == 1
    assert message.failed_at is not None
    assert "does not offer SMTPUTF8" in message.last_error and "josé@example.com" in message.last_error


def test_a_relay_declared_without_smtputf8_refuses_such_an_address_when_it_is_submitted(
    built_kb: Path, database_file: str, tmp_path: Path, free_port: int
) -> None:
    mail_app = bridge_app(built_kb, database_file, tmp_path, KB_SMTP_URL=f"smtp://127.0.0.1:{free_port}",
                          KB_SMTP_UTF8="no")

    status, body = post(mail_app, email="josé@example.com")

    assert status == 400
    assert list(body["error"]["fields"]) == ["email"]
    assert "before the @" in body["error"]["fields"]["email"]
    assert post(mail_app, email="bob@bücher.example")[0] == 201
    with services(mail_app).sessions()() as session:
        assert [ticket.email for ticket in session.scalars(select(Ticket))] == ["bob@bücher.example"]
    close_app(mail_app)
