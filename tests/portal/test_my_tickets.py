"""My tickets: the list and its search, adding information (with files), closing with a rating, a follow-up."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.tickets.lifecycle import change_status
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus
from bridge.db import utc_now
from bridge.web.context import services
from tests.portal.portal_fixtures import add_organisation, sign_in
from tests.ticket_web_fixtures import TOKEN, bridge_app, close_app, valid_ticket

ADA = "ada@example.org"


@pytest.fixture
def app(built_kb: Path, database_file: str, tmp_path: Path) -> Iterator[Flask]:
    app = bridge_app(built_kb, database_file, tmp_path, KB_ATTACHMENT_MAX_MB="1")
    add_organisation(app, "acme", ["ledger", "rota"], [(ADA, ["ledger", "rota"], True)])
    yield app
    close_app(app)


@pytest.fixture
def ada(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client, app, ADA)
    return client


def raise_ticket(client: FlaskClient, **changes: object) -> str:
    response = client.post("/api/tickets", json=valid_ticket(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["reference"]


def set_status(app: Flask, reference: str, status: TicketStatus) -> None:
    with services(app).sessions()() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        change_status(session, ticket, status, actor="grace@desk.example.com", now=utc_now())
        session.commit()


def token_of(client: FlaskClient, path: str) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def test_the_list_is_newest_first_and_searchable_by_words_and_status(app: Flask, ada: FlaskClient) -> None:
    invoices = raise_ticket(ada, subject="Invoices will not export")
    rota = raise_ticket(ada, subject="Rota shows the wrong week", product="rota", description="Mondays are missing")
    set_status(app, rota, TicketStatus.WAITING_ON_CUSTOMER)

    listed = ada.get("/api/tickets").get_json()["tickets"]
    assert [ticket["reference"] for ticket in listed] == [rota, invoices]
    assert set(listed[0]) == {"reference", "subject", "status", "priority", "product", "created_at", "updated_at",
                              "respond_by"}
    assert [t["reference"] for t in ada.get("/api/tickets?q=mondays").get_json()["tickets"]] == [rota]
    assert [t["reference"] for t in ada.get("/api/tickets?q=EXPORT invoices").get_json()["tickets"]] == [invoices]
    assert [t["reference"] for t in ada.get("/api/tickets?status=waiting_on_customer").get_json()["tickets"]] == [rota]
    assert ada.get("/api/tickets?q=100%").get_json()["tickets"] == []
    bad = ada.get("/api/tickets?status=pending")
    assert bad.status_code == 400 and "status" in bad.get_json()["error"]["fields"]

    page = ada.get("/account/tickets?status=waiting_on_customer").get_data(as_text=True)
    assert rota in page and invoices not in page and "Waiting for your reply" in page
    assert 'class="md-header' in page or "Help Centre" in page, "the page is inside the site's shell"


def test_adding_information_moves_a_ticket_waiting_on_the_customer_back_to_open(app: Flask, ada: FlaskClient) -> None:
    reference = raise_ticket(ada)
    set_status(app, reference, TicketStatus.WAITING_ON_CUSTOMER)
    added = ada.post(f"/api/tickets/{reference}/messages", json={"body": "Here is the log you asked for."})
    assert added.status_code == 201
    assert added.get_json()["author"] == {"name": "Ada", "role": "customer"}
    ticket = ada.get(f"/api/tickets/{reference}").get_json()
    assert ticket["status"] == "open"
    assert [m["body"] for m in ticket["messages"]] == [valid_ticket()["description"], "Here is the log you asked for."]
    assert [(h["from_status"], h["to_status"]) for h in ticket["history"] if h["kind"] == "status"] == [
        ("new", "waiting_on_customer"), ("waiting_on_customer", "open")]
    empty = ada.post(f"/api/tickets/{reference}/messages", json={"body": "  "})
    assert empty.status_code == 400 and "body" in empty.get_json()["error"]["fields"]


def test_files_are_kept_within_the_limit_and_served_only_as_downloads(app: Flask, ada: FlaskClient) -> None:
    reference = raise_ticket(ada)
    page = f"/account/tickets/{reference}"
    with ada.post(f"{page}/messages", data={"csrf_token": token_of(ada, page), "body": "Screenshot attached",
                                            "attachments": [(_bytes(1_000_001), "screen.png", "image/png")]}) as too_big:
        assert too_big.status_code == 400
        assert "screen.png: each file must be at most 1 MB" in too_big.get_data(as_text=True)
        assert "Screenshot attached" in too_big.get_data(as_text=True), "the customer's typing is kept"
        too_big.request.input_stream.close()  # the test client spools a body this large to a file of its own

    sent = ada.post(f"{page}/messages", data={"csrf_token": token_of(ada, page), "body": "Two files",
                                              "attachments": [(_bytes(10), "..\\..\\evil.html", "text/html"),
                                                              (_bytes(20), "log.txt", "text/plain")]})
    assert sent.status_code == 303
    files = ada.get(f"/api/tickets/{reference}").get_json()["messages"][1]["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("evil.html", "application/octet-stream", 10), ("log.txt", "text/plain", 20)]
    download = ada.get(files[0]["url"])
    assert download.status_code == 200 and download.data == _bytes(10).getvalue()
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"] == "attachment; filename=evil.html"
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    stranger = app.test_client()
    add_organisation(app, "other", ["ledger"], [("bob@example.net", ["ledger"], True)])
    sign_in(stranger, app, "bob@example.net")
    assert stranger.get(files[0]["url"]).status_code == 404
    assert app.test_client().get(files[0]["url"]).status_code == 303, "not signed in: sign in first"


def test_closing_with_a_rating_is_the_customers_sign_off_and_ends_the_conversation(app: Flask, ada: FlaskClient) -> None:
    reference = raise_ticket(ada)
    assert ada.post(f"/api/tickets/{reference}/close", json={"rating": 6}).get_json()["error"]["fields"] == {
        "rating": "must be a whole number from 1 to 5, or left out"}
    closed = ada.post(f"/api/tickets/{reference}/close", json={"rating": 5, "comment": "Quick and clear."})
    assert closed.status_code == 200
    ticket = closed.get_json()
    assert (ticket["status"], ticket["rating"], ticket["rating_comment"]) == ("closed", 5, "Quick and clear.")
    assert ticket["history"][-1]["to_status"] == "closed"
    late = ada.post(f"/api/tickets/{reference}/messages", json={"body": "One more thing"})
    assert late.status_code == 409 and "follow-up" in late.get_json()["error"]["message"]
    assert ada.post(f"/api/tickets/{reference}/close", json={}).status_code == 409

    page = ada.get(f"/account/tickets/{reference}").get_data(as_text=True)
    assert "Your rating: 5 out of 5." in page and "Raise a follow-up" in page and "Add to ticket" not in page


def test_a_closed_ticket_is_followed_up_by_a_new_ticket_that_links_back(app: Flask, ada: FlaskClient) -> None:
    reference = raise_ticket(ada)
    page = f"/account/tickets/{reference}"
    ada.post(f"{page}/close", data={"csrf_token": token_of(ada, page), "rating": "4"})
    assert ada.get(f"/api/tickets/{reference}").get_json()["rating"] == 4
    followed = ada.post(f"{page}/follow-up", data={"csrf_token": token_of(ada, page),
                                                   "description": "The export fails again since the update."})
    assert followed.status_code == 303
    new_reference = followed.headers["Location"].rpartition("/")[2]
    new = ada.get(f"/api/tickets/{new_reference}").get_json()
    assert new["follows_up"] == reference and new["subject"].startswith(f"Follow-up to {reference}")
    assert new["messages"][0]["body"] == "The export fails again since the update."
    assert re.search(rf'Follows up</dt><dd><a href="/account/tickets/{reference}"',
                     ada.get(f"/account/tickets/{new_reference}").get_data(as_text=True))


def test_forms_without_the_pages_token_change_nothing(app: Flask, ada: FlaskClient) -> None:
    reference = raise_ticket(ada)
    refused = ada.post(f"/account/tickets/{reference}/close", data={"rating": "1"})
    assert refused.status_code == 400
    assert ada.get(f"/api/tickets/{reference}").get_json()["status"] == "new"


def test_a_refused_message_says_why_above_the_form_and_beside_the_field(app: Flask, ada: FlaskClient) -> None:
    reference = raise_ticket(ada)
    token = TOKEN.search(ada.get(f"/account/tickets/{reference}").get_data(as_text=True)).group(1)
    refused = ada.post(f"/account/tickets/{reference}/messages", data={"csrf_token": token, "body": " "})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert '<li><a href="#kb-body">Body: ' in text and 'id="kb-body-error"' in text


def _bytes(size: int):
    from io import BytesIO
    return BytesIO(b"x" * size)
