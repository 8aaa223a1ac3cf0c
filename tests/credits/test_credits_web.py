"""Consent, assessment, approval and the statement through the bridge's routes, with the mail a real SMTP server gets."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from tests.tickets.smtp_recorder import RecordingHandler
from tests.credits.web_fixtures import ADA, LED, ROT, credits_bridge, delivered, raise_ticket, set_clock, ticket_row
from tests.portal.portal_fixtures import add_staff, signed_in
from tests.ticket_web_fixtures import TOKEN, any_database, bridge_app, close_app, valid_ticket  # noqa: F401

MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def mailed(smtp_server: tuple[RecordingHandler, str]) -> RecordingHandler:
    return smtp_server[0]


@pytest.fixture
def app(built_kb: Path, any_database: str, tmp_path: Path,  # noqa: F811
        smtp_server: tuple[RecordingHandler, str]) -> Iterator[Flask]:
    app = credits_bridge(built_kb, any_database, tmp_path, KB_SMTP_URL=smtp_server[1])
    set_clock(app, MONDAY)
    yield app
    close_app(app)


def test_the_policy_publishes_credits_and_a_ticket_needs_a_consent(app: Flask) -> None:
    client = app.test_client()
    credits = client.get("/api/support-policy").get_json()["credits"]
    assert (credits["grant"], [c["credits"] for c in credits["categories"]]) == (40, [5, 10, 20, 0])
    for sent, problem in ((None, "Choose whether we may charge"), ("maybe", "one of agree, quote_first")):
        body = valid_ticket(email=ADA, **({"credit_consent": sent} if sent else {}))
        refused = client.post("/api/tickets", json=body)
        assert refused.status_code == 400
        assert problem in refused.get_json()["error"]["fields"]["credit_consent"]
    reference = raise_ticket(client, "quote_first", email=ADA)
    assert ticket_row(app, reference).credit_consent == "quote_first"


def test_a_desk_without_credits_refuses_the_field_and_has_no_credit_routes(built_kb: Path, database_file: str,
                                                                           tmp_path: Path) -> None:
    app = bridge_app(built_kb, database_file, tmp_path)
    client = app.test_client()
    refused = client.post("/api/tickets", json=valid_ticket(credit_consent="agree"))
    assert refused.get_json()["error"]["fields"] == {"credit_consent": "this desk does not charge credits: leave it out"}
    reference = client.post("/api/tickets", json=valid_ticket()).get_json()["reference"]
    assert client.get("/api/support-policy").get_json()["credits"] is None
    assert "Credits" not in client.get("/tickets/new").get_data(as_text=True)
    answers = (client.get("/account/credits").status_code,
               client.post(f"/api/tickets/{reference}/assessment", json={"category": "standard"}).status_code)
    close_app(app)
    assert answers == (303, 401)  # sign in first; then:
    app = bridge_app(built_kb, database_file, tmp_path)
    add_staff(app, "boss@desk.example", [], admin=True)
    boss = signed_in(app, "boss@desk.example")
    assert boss.get("/account/credits").status_code == 404
    assert boss.post(f"/api/tickets/{reference}/assessment", json={"category": "standard"}).status_code == 404
    close_app(app)


def test_agreed_in_advance_the_assessment_is_charged_at_once_and_mailed(app: Flask, mailed: RecordingHandler) -> None:
    ada = signed_in(app, ADA)
    reference = raise_ticket(ada)
    led = signed_in(app, LED)
    answer = led.post(f"/api/tickets/{reference}/assessment",
                      json={"category": "standard", "note": "A setting was wrong"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"reference": reference, "status": "new", "category": "standard",
                                 "category_credits": 10, "charged": 10, "balance": 30}
    again = led.post(f"/api/tickets/{reference}/assessment", json={"category": "standard"}).get_json()
    assert (again["charged"], again["balance"]) == (10, 30)
    [mail] = delivered(app, mailed, "credits charged")
    assert mail["To"].addresses[0].addr_spec == ADA
    assert mail["Subject"] == f"[{reference}] Assessed as Standard: 10 credits charged"
    body = mail.get_body(("plain",)).get_content()
    assert "Why: A setting was wrong" in body and "Your organisation now has 30 credits." in body

    statement = ada.get("/api/credits").get_json()
    assert statement["balance"] == 30
    assert [(e["kind"], e["amount"], e["ticket"]) for e in statement["entries"]] == [
        ("grant", 40, None), ("charge", -10, reference)]
    # Who charged it is the support team, as on the ticket's history: never the member of staff's address.
    assert [e["by"] for e in statement["entries"]] == [{"role": "system", "name": None, "you": False},
                                                        {"role": "staff", "name": None, "you": False}]
    assert LED not in ada.get("/api/credits").get_data(as_text=True)
    page = ada.get("/account/credits").get_data(as_text=True)
    assert '<strong id="kb-balance">30</strong>' in page and f"{reference} assessed as Standard" in page

    changed = led.post(f"/api/tickets/{reference}/assessment",
                       json={"category": "investigation", "note": "Modified files on the server"}).get_json()
    assert (changed["charged"], changed["balance"]) == (20, 20)
    [mail] = delivered(app, mailed, "Category changed")
    assert mail["Subject"] == f"[{reference}] Category changed to Investigation: 10 more credits charged"
    assert "Why: Modified files on the server" in mail.get_body(("plain",)).get_content()


def test_cost_first_waits_with_the_clock_stopped_and_approval_charges_and_reopens(
        app: Flask, mailed: RecordingHandler) -> None:
    ada = signed_in(app, ADA)
    reference = raise_ticket(ada, "quote_first")
    due = ticket_row(app, reference).respond_by
    led = signed_in(app, LED)
    quoted = led.post(f"/api/tickets/{reference}/assessment", json={"category": "standard"}).get_json()
    assert (quoted["status"], quoted["charged"], quoted["balance"]) == ("awaiting_approval", 0, 40)
    [mail] = delivered(app, mailed, "for your approval")
    assert mail["Subject"] == f"[{reference}] The cost of your request: 10 credits, for your approval"
    assert "Nothing is charged and no work starts until you approve" in mail.get_body(("plain",)).get_content()

    page = ada.get(f"/account/tickets/{reference}").get_data(as_text=True)
    assert "Waiting for your approval of the cost" in page and "Approve 10 credits" in page
    credits = {"consent": "quote_first", "quote": None, "charging": {
        "reference": reference, "status": "awaiting_approval", "category": "standard", "category_credits": 10,
        "charged": 0, "balance": 40}}
    assert ada.get(f"/api/tickets/{reference}").get_json()["credits"] == credits
    assert led.get(f"/api/tickets/{reference}").get_json()["credits"] == credits
    assert led.post(f"/api/tickets/{reference}/approval", json={"approve": True}).status_code == 403
    assert ada.post(f"/api/tickets/{reference}/approval", json={"approve": "yes"}).status_code == 400

    set_clock(app, MONDAY + timedelta(hours=2))
    approved = ada.post(f"/api/tickets/{reference}/approval", json={"approve": True}).get_json()
    assert (approved["status"], approved["charging"]["charged"], approved["charging"]["balance"]) == ("open", 10, 30)
    assert approved["quote"] is None
    ticket = ticket_row(app, reference)
    assert ticket.respond_by == due + timedelta(hours=2) and ticket.waiting_since is None
    assert ada.post(f"/api/tickets/{reference}/approval", json={"approve": True}).status_code == 409
    assert delivered(app, mailed, "credits charged")[0]["Subject"] == f"[{reference}] Assessed as Standard: 10 credits charged"


def test_declining_the_cost_closes_the_ticket_without_a_charge(app: Flask, mailed: RecordingHandler) -> None:
    ada = signed_in(app, ADA)
    reference = raise_ticket(ada, "quote_first")
    signed_in(app, LED).post(f"/api/tickets/{reference}/assessment", json={"category": "investigation"})
    page = ada.get(f"/account/tickets/{reference}").get_data(as_text=True)
    declined = ada.post(f"/account/tickets/{reference}/approval",
                        data={"csrf_token": TOKEN.search(page).group(1), "approve": "no"})
    assert declined.status_code == 303
    assert ticket_row(app, reference).status == "closed"
    assert ada.get("/api/credits").get_json() == {"balance": 40, "entries": [
        {**ada.get("/api/credits").get_json()["entries"][0]}]}
    [mail] = delivered(app, mailed, "declined")
    assert "no credits were charged" in mail.get_body(("plain",)).get_content()
    follow_up = ada.post(f"/api/tickets/{reference}/follow-up", json={"description": "I do want it after all."})
    assert follow_up.status_code == 201, follow_up.get_data(as_text=True)
    assert ticket_row(app, follow_up.get_json()["reference"]).credit_consent == "quote_first"


def test_too_few_credits_hold_the_ticket_and_offer_the_packages(app: Flask, mailed: RecordingHandler) -> None:
    ada = signed_in(app, ADA)
    led = signed_in(app, LED)
    first, second, third = (raise_ticket(ada) for _ in range(3))
    for reference in (first, second):
        led.post(f"/api/tickets/{reference}/assessment", json={"category": "investigation"})
    held = led.post(f"/api/tickets/{third}/assessment", json={"category": "explanation"}).get_json()
    assert (held["status"], held["charged"], held["balance"]) == ("awaiting_credits", 0, 0)
    [mail] = delivered(app, mailed, "Waiting for credits")
    body = mail.get_body(("plain",)).get_content()
    assert "- 25 credits: 125.00 USD" in body and "needs 5 credits, and your organisation has 0" in body
    assert "Waiting for credits" in ada.get(f"/account/tickets/{third}").get_data(as_text=True)


def test_only_staff_on_the_products_board_may_assess(app: Flask) -> None:
    ada = signed_in(app, ADA)
    reference = raise_ticket(ada)
    body = {"category": "standard"}
    assert app.test_client().post(f"/api/tickets/{reference}/assessment", json=body).status_code == 401
    assert ada.post(f"/api/tickets/{reference}/assessment", json=body).status_code == 404
    assert signed_in(app, ROT).post(f"/api/tickets/{reference}/assessment", json=body).status_code == 404
    led = signed_in(app, LED)
    wrong = led.post(f"/api/tickets/{reference}/assessment", json={"category": "huge"})
    assert wrong.status_code == 400 and "huge" in wrong.get_json()["error"]["fields"]["category"]
    assert led.post(f"/api/tickets/{reference}/assessment", data="category=standard").status_code == 415


def test_the_form_shows_the_categories_and_balance_and_asks_for_a_consent(app: Flask) -> None:
    ada = signed_in(app, ADA)
    form = ada.get("/tickets/new").get_data(as_text=True)
    assert '<strong id="kb-form-balance">40</strong>' in form
    assert "<strong>Standard</strong>: 10 credits." in form and "Tell me the cost first" in form
    fields = {"csrf_token": TOKEN.search(form).group(1), "product": "ledger", "subject": "Export fails",
              "description": "Nothing happens.", "request_type": "technical", "priority": "standard"}
    refused = ada.post("/tickets/new", data=fields)
    assert refused.status_code == 400 and 'id="kb-credit_consent-error"' in refused.get_data(as_text=True)
    sent = ada.post("/tickets/new", data={**fields, "credit_consent": "quote_first"})
    assert sent.status_code == 303
    assert ada.get("/api/tickets").get_json()["tickets"][0]["status"] == "new"
    led = signed_in(app, LED)
    reference = ada.get("/api/tickets").get_json()["tickets"][0]["reference"]
    page = led.get(f"/account/tickets/{reference}").get_data(as_text=True)
    assert "Assess in credits" in page and "Cost first, then approval" in page
    assessed = led.post(f"/account/tickets/{reference}/assessment",
                        data={"csrf_token": TOKEN.search(page).group(1), "category": "explanation"})
    assert assessed.status_code == 303
    assert ticket_row(app, reference).status == "awaiting_approval"


def test_the_board_assesses_from_the_desks_ticket_page(app: Flask) -> None:
    reference = raise_ticket(signed_in(app, ADA), "quote_first")
    led = signed_in(app, LED)
    page = led.get(f"/desk/tickets/{reference}").get_data(as_text=True)
    assert "Assess in credits" in page and 'name="back" value="desk"' in page
    token = TOKEN.search(page).group(1)
    wrong = led.post(f"/account/tickets/{reference}/assessment", data={"csrf_token": token, "back": "desk"})
    assert wrong.status_code == 400 and "Review board" in wrong.get_data(as_text=True)
    assessed = led.post(f"/account/tickets/{reference}/assessment",
                        data={"csrf_token": token, "back": "desk", "category": "standard"})
    assert assessed.status_code == 303 and assessed.headers["Location"].startswith(f"/desk/tickets/{reference}")
    assert '<dd id="kb-desk-status">Awaiting approval</dd>' in led.get(f"/desk/tickets/{reference}").get_data(as_text=True)
