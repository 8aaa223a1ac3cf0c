"""Who may raise a ticket under the shipped policy (nominated contacts only), and what everyone else is told.

Runs `POST /api/tickets` and the form on SQLite and PostgreSQL with the shipped support policy;
the customer list is written straight into the tables, as `kb accounts import` would.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from bridge.accounts.models import Contact, Organisation
from bridge.notify.models import OutboxMessage
from bridge.tickets.entitlement import WithheldReason, withheld_reason
from bridge.tickets.lifecycle import history
from bridge.tickets.models import Ticket
from bridge.web.context import services
from tests.ticket_web_fixtures import (  # noqa: F401 (fixtures)
    FRIDAY_EVENING,
    any_database,
    bridge_app,
    close_app,
    form_token,
    set_clock,
    valid_ticket,
)

TODAY = FRIDAY_EVENING.date()


@pytest.fixture
def desk(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[Flask]:  # noqa: F811
    """The bridge with the shipped policy's entitlement (KB_ENTITLEMENT unset) and two customers."""
    app = bridge_app(built_kb, any_database, tmp_path, KB_ENTITLEMENT="")
    set_clock(app, FRIDAY_EVENING)
    with services(app).sessions()() as session:
        acme = Organisation(key="acme", name="Acme Ltd", products=["ledger", "rota"], paid_until=TODAY,
                            out_of_hours_cover=False)
        acme.contacts += [
            Contact(email="ada@acme.example", name="Ada", nominated=True, products=["ledger", "rota"]),
            Contact(email="bob@acme.example", name="Bob", nominated=False, products=["ledger"]),
            Contact(email="cy@acme.example", name="Cy", nominated=True, products=["ledger"]),
        ]
        lapsed = Organisation(key="lapsed", name="Lapsed plc", products=["ledger"],
                              paid_until=TODAY - timedelta(days=1), out_of_hours_cover=False)
        lapsed.contacts.append(Contact(email="lee@lapsed.example", name="Lee", nominated=True, products=["ledger"]))
        session.add_all([acme, lapsed])
        session.commit()
    yield app
    close_app(app)


def raise_ticket(app: Flask, email: str, product: str = "ledger") -> dict:
    with app.test_client().post("/api/tickets", json=valid_ticket(email=email, product=product)) as response:
        assert response.status_code == 201, response.get_json()
        return response.get_json()


def stored(app: Flask, reference: str) -> tuple[Ticket, str, list[tuple[str | None, str | None]]]:
    """The stored ticket, the plain text of its acknowledgement, and its history (from, to)."""
    with services(app).sessions()() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).one()
        events = [(event.from_status, event.to_status) for event in history(session, ticket)]
    text = message_from_bytes(mail.message, policy=default).get_body(("plain",)).get_content()
    return ticket, text, events


def test_a_nominated_contact_is_served_and_the_ticket_is_theirs_and_their_organisations(desk: Flask) -> None:
    body = raise_ticket(desk, "ADA@acme.example", product="rota")

    assert (body["status"], body["withheld"]) == ("new", None)
    assert body["respond_by"] is not None
    assert body["url"] == f"/account/tickets/{body['reference']}"
    ticket, text, events = stored(desk, body["reference"])
    with services(desk).sessions()() as session:
        ada = session.scalars(select(Contact).where(Contact.email == "ada@acme.example")).one()
    assert (ticket.contact_id, ticket.organisation_id, ticket.withheld_reason) == (ada.id, ada.organisation_id, None)
    assert "We will respond within 2 business hours, by Monday 23 November, 10:00 UK time." in text
    assert events == [(None, "new")]


@pytest.mark.parametrize(("email", "product", "reason", "advice"), [
    ("stranger@example.org", "ledger", "unknown_contact",
     "stranger@example.org is not a contact of an organisation with a support plan"),
    ("bob@acme.example", "ledger", "not_nominated", "Ask your organisation's support plan holder to nominate you."),
    ("cy@acme.example", "rota", "product_not_in_plan",
     "Ask your organisation's support plan holder to add Rota to the plan or to your access."),
    ("lee@lapsed.example", "ledger", "contract_unpaid", "Ask your organisation's support plan holder to renew it."),
])
def test_a_request_support_is_withheld_from_is_stored_with_its_reason_and_the_customer_told_what_to_do(
        desk: Flask, email: str, product: str, reason: str, advice: str) -> None:
    body = raise_ticket(desk, email, product)

    assert (body["status"], body["withheld"]["reason"], body["respond_by"]) == ("withheld", reason, None)
    assert body["withheld"]["message"].startswith("Your request is on hold: ")
    assert advice in body["withheld"]["message"]
    ticket, text, events = stored(desk, body["reference"])
    assert (ticket.status, ticket.withheld_reason, ticket.respond_by) == ("withheld", reason, None)
    assert f"Your reference is {body['reference']}" in text
    assert advice in " ".join(text.split())
    assert "We will respond" not in text
    assert events == [(None, "withheld")]


def test_the_confirmation_page_says_why_support_is_withheld_and_links_the_tickets_page(desk: Flask) -> None:
    client = desk.test_client()
    token = form_token(client)
    form = {**valid_ticket(email="bob@acme.example"), "csrf_token": token}
    with client.post("/tickets/new", data=form, follow_redirects=True) as response:
        page = response.get_data(as_text=True)

    assert "Your request is on hold" in page
    assert "Ask your organisation&#39;s support plan holder to nominate you." in page
    assert 'href="/account/tickets/KB-' in page
    assert "We will respond" not in page


def test_a_desk_that_serves_contacts_serves_one_who_is_not_nominated(built_kb: Path, any_database: str,  # noqa: F811
                                                                     tmp_path: Path, desk: Flask) -> None:
    contacts_desk = bridge_app(built_kb, any_database, tmp_path, KB_ENTITLEMENT="contacts")
    set_clock(contacts_desk, FRIDAY_EVENING)
    try:
        assert raise_ticket(contacts_desk, "bob@acme.example")["status"] == "new"
        assert raise_ticket(contacts_desk, "stranger@example.org")["withheld"]["reason"] == "unknown_contact"
    finally:
        close_app(contacts_desk)


def test_a_contract_paid_until_today_is_paid_and_none_recorded_is_unpaid() -> None:
    plan = Organisation(key="k", name="K", products=["ledger"], paid_until=date(2026, 11, 20))
    contact = Contact(email="a@k.example", name="A", nominated=True, products=["ledger"], organisation=plan)

    assert withheld_reason("nominated", contact, "ledger", today=date(2026, 11, 20)) is None
    assert withheld_reason("nominated", contact, "ledger", today=date(2026, 11, 21)) == WithheldReason.CONTRACT_UNPAID
    plan.paid_until = None
    assert withheld_reason("contacts", contact, "ledger", today=date(2026, 11, 20)) == WithheldReason.CONTRACT_UNPAID
    assert withheld_reason("anyone", None, "ledger", today=date(2026, 11, 20)) is None
