"""The contact form and `POST /api/tickets` when signed in: the ticket is raised as the account.

The address, name and organisation come from the account whatever was posted, so a visitor
cannot raise a ticket as a nominated contact by typing their address; only the products the
contact may see are offered, and any other is refused naming the field. The shipped policy
(nominated contacts only) runs here, so a ticket raised as the account is served, not withheld.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.accounts.models import Contact
from bridge.tickets.models import Ticket
from bridge.web.context import services
from tests.portal.portal_fixtures import add_organisation, add_staff, signed_in
from tests.ticket_web_fixtures import TOKEN, any_database, bridge_app, close_app, valid_ticket  # noqa: F401

ADA = "ada@acme.example"
FORM = {"email": "mallory@evil.example", "name": "Mallory", "product": "rota", "subject": "Rota is wrong",
        "description": "Mondays are missing.", "request_type": "technical", "priority": "standard"}


@pytest.fixture
def app(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[Flask]:  # noqa: F811
    app = bridge_app(built_kb, any_database, tmp_path, KB_ENTITLEMENT="nominated")
    # Acme's plan covers ledger and rota; Ada may see only rota.
    add_organisation(app, "acme", ["ledger", "rota"], [(ADA, ["rota"], True)])
    add_staff(app, "grace@desk.example", ["ledger"])
    yield app
    close_app(app)


def form(client: FlaskClient) -> str:
    return client.get("/tickets/new?page=/ledger/").get_data(as_text=True)


def control(page: str, id_: str) -> str:
    """The opening tag of the form control with this id."""
    return re.search(rf'<(?:input|select|textarea)[^>]*\bid="{id_}"[^>]*>', page).group(0)


def offered(page: str) -> list[str]:
    select_ = re.search(r'<select[^>]*id="kb-product".*?</select>', page, re.DOTALL).group(0)
    return [value for value in re.findall(r'<option value="([^"]*)"', select_) if value]


def tickets(app: Flask) -> list[Ticket]:
    with services(app).sessions()() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def test_the_form_shows_the_account_fixed_and_offers_only_the_contacts_products(app: Flask) -> None:
    page = form(signed_in(app, ADA))
    email, name, organisation = (control(page, id_) for id_ in ("kb-email", "kb-name", "kb-organisation"))
    assert f'value="{ADA}"' in email and "readonly" in email
    assert 'value="Ada"' in name and "readonly" in name
    assert 'value="Acme"' in organisation and "readonly" in organisation and "name=" not in organisation
    # Ledger is in the plan but not Ada's; the page she came from (a ledger page) does not choose it for her.
    assert offered(page) == ["rota"]
    assert "selected" not in re.search(r'<option value="rota"[^>]*>', page).group(0)
    assert f"Signed in as <strong>{ADA}</strong> (Acme)" in page


def test_a_contact_without_products_is_told_so_and_cannot_name_one(app: Flask) -> None:
    add_organisation(app, "brix", ["ledger"], [("bea@brix.example", [], True)])
    bea = signed_in(app, "bea@brix.example")
    page = form(bea)
    assert offered(page) == []
    assert "Your account may not raise tickets for any product yet" in page
    sent = bea.post("/api/tickets", json=valid_ticket(product="ledger"))
    assert sent.get_json()["error"]["fields"] == {"product": "Choose the product: there are none to choose from"}
    assert tickets(app) == []


def test_a_visitor_gets_an_open_form_with_every_product(app: Flask) -> None:
    page = form(app.test_client())
    assert "readonly" not in control(page, "kb-email") and "readonly" not in control(page, "kb-name")
    assert 'id="kb-organisation"' not in page
    assert offered(page) == ["support", "ledger", "rota"]
    assert 'value="ledger" selected' in page


def test_staff_send_as_themselves_and_may_choose_any_product(app: Flask) -> None:
    page = form(signed_in(app, "grace@desk.example"))
    assert 'value="grace@desk.example"' in control(page, "kb-email") and "readonly" in control(page, "kb-email")
    assert 'id="kb-organisation"' not in page
    assert offered(page) == ["support", "ledger", "rota"]


def test_a_posted_form_raises_the_ticket_as_the_account_whatever_was_typed(app: Flask) -> None:
    ada = signed_in(app, ADA)
    token = TOKEN.search(form(ada)).group(1)
    sent = ada.post("/tickets/new", data={"csrf_token": token, **FORM})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    [ticket] = tickets(app)
    with services(app).sessions()() as session:
        contact = session.scalars(select(Contact).where(Contact.email == ADA)).one()
    assert (ticket.email, ticket.name, ticket.contact_id, ticket.organisation_id) == (
        ADA, "Ada", contact.id, contact.organisation_id)
    assert (ticket.status, ticket.withheld_reason) == ("new", None)
    assert ada.get(sent.headers["Location"]).status_code == 200


def test_the_form_refuses_a_product_the_contact_may_not_see(app: Flask) -> None:
    ada = signed_in(app, ADA)
    token = TOKEN.search(form(ada)).group(1)
    sent = ada.post("/tickets/new", data={"csrf_token": token, **FORM, "product": "ledger"})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 400
    assert re.search(r'<a href="#kb-product">Product: Choose the product: one of rota</a>', page)
    assert offered(page) == ["rota"] and f'value="{ADA}"' in control(page, "kb-email")
    assert tickets(app) == []


def test_the_api_raises_the_ticket_as_the_signed_in_account(app: Flask) -> None:
    ada = signed_in(app, ADA)
    # Another address in the body changes nothing; a signed-in client may leave email and name out.
    for body in (valid_ticket(email="mallory@evil.example", name="Mallory", product="rota"),
                 {key: value for key, value in valid_ticket(product="rota").items() if key not in ("email", "name")}):
        answer = ada.post("/api/tickets", json=body)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        assert answer.get_json()["status"] == "new"
    assert [(ticket.email, ticket.name) for ticket in tickets(app)] == [(ADA, "Ada"), (ADA, "Ada")]


def test_another_site_cannot_raise_a_ticket_with_the_session_cookie(app: Flask) -> None:
    """A cross-site page can post a form (text/plain, no preflight) carrying the cookie, but never JSON."""
    ada = signed_in(app, ADA)
    forged = ada.post("/api/tickets", data=str(valid_ticket(product="rota")), content_type="text/plain")
    assert forged.status_code == 415
    assert tickets(app) == []


def test_the_api_refuses_a_product_the_contact_may_not_see(app: Flask) -> None:
    answer = signed_in(app, ADA).post("/api/tickets", json=valid_ticket(product="ledger"))
    assert answer.status_code == 400
    assert answer.get_json()["error"]["fields"] == {"product": "Choose the product: one of rota"}
    assert tickets(app) == []


def test_without_a_session_the_api_takes_the_posted_address_as_before(app: Flask) -> None:
    answer = app.test_client().post("/api/tickets", json=valid_ticket(email=ADA, name="Someone", product="ledger"))
    assert answer.status_code == 201
    # Typing a contact's address without signing in is served by the entitlement rules (Ada may not see ledger).
    assert answer.get_json()["withheld"]["reason"] == "product_not_in_plan"
