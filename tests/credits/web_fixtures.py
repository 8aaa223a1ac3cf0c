"""The bridge on the credits desk's policy, with an organisation that has its grant, its contacts and the board."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.accounts.directory import organisation_by_key
from bridge.notify.compose import parse_mail
from bridge.tickets.models import Ticket
from bridge.web.context import services
from tests.credits.ledger_fixtures import CREDITS_POLICY
from tests.portal.portal_fixtures import add_organisation, add_staff
from tests.tickets.smtp_recorder import RecordingHandler
from tests.ticket_web_fixtures import bridge_app, valid_ticket

ADA = "ada@acme.example"
LED = "led@desk.example"  # on the ledger board
ROT = "rot@desk.example"  # on the rota board only


def credits_bridge(built_kb, database: str, tmp_path, **settings: str) -> Flask:
    """The bridge on the credits desk: Acme (ledger) with 40 credits and Ada, a nominated contact; two staff."""
    app = bridge_app(built_kb, database, tmp_path, KB_SUPPORT_POLICY=str(CREDITS_POLICY),
                     KB_SIGN_IN_CLIENT_RATE_LIMIT="", KB_SIGN_IN_ADDRESS_RATE_LIMIT="", **settings)
    add_organisation(app, "acme", ["ledger"], [(ADA, ["ledger"], True), ("bob@acme.example", ["ledger"], False)])
    with services(app).sessions()() as session:
        services(app).credits().grant(session, organisation_by_key(session, "acme"), actor="system",
                                      now=services(app).clock())
        session.commit()
    add_staff(app, LED, ["ledger"])
    add_staff(app, ROT, ["rota"])
    return app


def raise_ticket(client: FlaskClient, consent: str = "agree", **changes: object) -> str:
    response = client.post("/api/tickets", json=valid_ticket(credit_consent=consent, **changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["reference"]


def ticket_row(app: Flask, reference: str) -> Ticket:
    with services(app).sessions()() as session:
        return session.scalar(select(Ticket).where(Ticket.reference == reference))


def set_clock(app: Flask, moment: datetime) -> None:
    services(app).clock = lambda: moment


def delivered(app: Flask, server: RecordingHandler, word: str) -> list[EmailMessage]:
    """Send what the outbox holds to the real SMTP server; every message it got whose subject has word."""
    services(app).outbox_sender().send_due(now=datetime.now(UTC) + timedelta(days=3))
    return [mail for mail in (parse_mail(m.content) for m in server.received) if word in mail["Subject"]]
