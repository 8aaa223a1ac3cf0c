"""The board's JSON routes on a real bridge, signed in through the emailed link, on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.notify.models import OutboxMessage
from bridge.web.context import services
from tests.desk.desk_fixtures import london
from tests.portal.portal_fixtures import add_organisation, add_staff, sign_in
from tests.ticket_web_fixtures import TOKEN, any_database, bridge_app, close_app, set_clock, valid_ticket  # noqa: F401

NOTE = "INTERNAL-NOTE-7731: the customer's account is overdue"


@pytest.fixture
def bridge(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[Flask]:  # noqa: F811
    """The shipped desk (nominated contacts only): Ada is nominated at Acme; Lena and Rory sit on two boards."""
    app = bridge_app(built_kb, any_database, tmp_path, KB_ENTITLEMENT="nominated", KB_SIGN_IN_CLIENT_RATE_LIMIT="")
    set_clock(app, london(23, 9))
    add_organisation(app, "acme", ["ledger", "rota"], [("ada@acme.example", ["ledger", "rota"], True)])
    add_staff(app, "lena@desk.example", ["ledger"])
    add_staff(app, "rory@desk.example", ["rota"])
    yield app
    close_app(app)


def client_of(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, app, email)
    return client


def raised(app: Flask, **changes: object) -> str:
    answer = app.test_client().post("/api/tickets", json=valid_ticket(**changes))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["reference"]


def mails_to(app: Flask, email: str) -> list[str]:
    with services(app).sessions()() as session:
        rows = session.scalars(select(OutboxMessage.message).where(OutboxMessage.recipient == email)
                               .order_by(OutboxMessage.id)).all()
    return [message_from_bytes(raw, policy=policy.default).as_string() for raw in rows]


def test_changes_are_checked_by_field_and_by_the_lifecycle(bridge: Flask) -> None:
    reference = raised(bridge, email="ada@acme.example")
    lena = client_of(bridge, "lena@desk.example")
    path = f"/api/tickets/{reference}"
    assert f"Subject: [{reference}] New ticket: Invoice export fails" in mails_to(bridge, "lena@desk.example")[0]
    assert not any(reference in mail for mail in mails_to(bridge, "rory@desk.example"))  # another board

    bad = lena.patch(path, json={"priority": "p9", "assignee": "rory@desk.example", "owner": "x"})
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["fields"]) == {"priority", "assignee", "owner"}
    assert lena.patch(path, data="priority=urgent", content_type="application/x-www-form-urlencoded").status_code == 415

    done = lena.patch(path, json={"assignee": "lena@desk.example", "status": "resolved", "priority": "urgent"})
    assert done.status_code == 200, done.get_data(as_text=True)
    ticket = done.get_json()
    assert (ticket["assignee"], ticket["status"], ticket["priority"]) == ("lena@desk.example", "resolved", "urgent")
    assert ticket["requester"]["nominated"] and ticket["requester"]["organisation"]["paid_until"] == "2099-12-31"
    assert ticket["targets"]["resolved_at"] is not None and ticket["allowed_statuses"] == ["closed", "open"]
    assert [(e["kind"], e["actor"]) for e in ticket["history"]][1:] == [
        ("priority", "lena@desk.example"), ("assignee", "lena@desk.example"), ("status", "lena@desk.example")]

    refused = lena.patch(path, json={"status": "in_progress"})
    assert refused.status_code == 409
    assert "it may become closed, open" in refused.get_json()["error"]["message"]
    assert refused.get_json()["error"]["fields"]["status"].endswith("closed, open")


def test_release_split_and_needs_article(bridge: Flask) -> None:
    withheld = raised(bridge, email="walk@in.example", name="Walk In")  # not a contact: withheld
    set_clock(bridge, london(24, 10))  # the next day
    lena = client_of(bridge, "lena@desk.example")

    released = lena.post(f"/api/tickets/{withheld}/release", json={})
    assert released.status_code == 200
    assert (released.get_json()["status"], released.get_json()["targets"]["respond_by"]) == (
        "new", london(24, 12).isoformat())  # critical: 2 business hours from the release
    assert lena.post(f"/api/tickets/{withheld}/release", json={}).status_code == 409

    split = lena.post(f"/api/tickets/{withheld}/split", json={"subject": "Rota export", "description": "And rotas?"})
    assert split.status_code == 201
    new = split.get_json()
    assert new["split_from"] == withheld and new["requester"]["email"] == "walk@in.example"
    assert lena.get(f"/api/tickets/{withheld}").get_json()["splits"] == [new["reference"]]
    assert lena.post(f"/api/tickets/{withheld}/split", json={"subject": ""}).get_json()["error"]["fields"] == {
        "subject": "is required: the subject of the new ticket",
        "description": "is required: the description of the new ticket"}

    flagged = lena.post(f"/api/tickets/{withheld}/needs-article", json={})
    assert flagged.status_code == 200 and flagged.get_json()["needs_article"] is True


def test_internal_notes_never_reach_a_customer_by_json_page_or_mail(bridge: Flask) -> None:
    reference = raised(bridge, email="ada@acme.example", subject="Invoice export fails")
    lena, ada = client_of(bridge, "lena@desk.example"), client_of(bridge, "ada@acme.example")
    messages = f"/api/tickets/{reference}/messages"

    assert lena.post(messages, json={"body": NOTE, "internal": True}).status_code == 201
    assert lena.post(messages, json={"body": "Please try the Export tab.", "internal": False}).status_code == 201
    assert lena.patch(f"/api/tickets/{reference}", json={"status": "waiting_on_customer"}).status_code == 200
    refused = ada.post(messages, json={"body": "Sneaky " + NOTE, "internal": True})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "notes_are_for_staff")
    assert ada.post(messages, json={"body": "That worked."}).status_code == 201

    staff_view = lena.get(f"/api/tickets/{reference}").get_json()
    assert [(m["body"], m["internal"]) for m in staff_view["messages"][1:]] == [
        (NOTE, True), ("Please try the Export tab.", False), ("That worked.", False)]
    customer_json = ada.get(f"/api/tickets/{reference}")
    customer_page = ada.get(f"/account/tickets/{reference}")
    customer_list = ada.get("/api/tickets")
    customer_mail = mails_to(bridge, "ada@acme.example")
    assert "Please try the Export tab." in customer_json.get_data(as_text=True)
    assert "Please try the Export tab." in customer_page.get_data(as_text=True)
    assert any("Please try the Export tab." in mail for mail in customer_mail)
    for seen in (customer_json.get_data(as_text=True), customer_page.get_data(as_text=True),
                 customer_list.get_data(as_text=True), *customer_mail):
        assert "INTERNAL-NOTE-7731" not in seen
        assert '"note"' not in seen  # not even that a note exists, in the history
    assert customer_json.get_json()["status"] == "open"  # Ada's answer reopened it


def test_a_customer_turns_status_mail_off_on_their_account_page_and_still_gets_replies(bridge: Flask) -> None:
    assert bridge.test_client().get("/account").status_code == 303  # signed out: sign in first
    reference = raised(bridge, email="ada@acme.example", subject="Invoice export fails")
    ada, lena = client_of(bridge, "ada@acme.example"), client_of(bridge, "lena@desk.example")
    page = ada.get("/account").get_data(as_text=True)
    assert 'name="status_mail" checked' in page
    assert ada.post("/account/mail", data={"status_mail": "on"}).status_code == 400  # no CSRF token

    saved = ada.post("/account/mail", data={"csrf_token": TOKEN.search(page).group(1)})
    assert saved.status_code == 303
    assert 'name="status_mail" checked' not in ada.get(saved.headers["Location"]).get_data(as_text=True)
    lena.patch(f"/api/tickets/{reference}", json={"status": "in_progress"})
    lena.post(f"/api/tickets/{reference}/messages", json={"body": "On it."})
    subjects = [line for mail in mails_to(bridge, "ada@acme.example") for line in mail.splitlines()
                if line.startswith(f"Subject: [{reference}]")]
    assert subjects == [f"Subject: [{reference}] We have your request: Invoice export fails",
                        f"Subject: [{reference}] Re: Invoice export fails"]
