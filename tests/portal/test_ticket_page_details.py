"""The ticket's page beyond the conversation: who made each change in its history, an upload too large
for the bridge, and raising a follow-up through the API."""
from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.db import utc_now
from bridge.tickets.lifecycle import SYSTEM, change_status
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus
from bridge.web.context import services
from tests.portal.portal_fixtures import add_organisation, add_staff, signed_in
from tests.ticket_web_fixtures import TOKEN, bridge_app, close_app, valid_ticket

ADA, AL, GRACE = "ada@acme.example", "al@acme.example", "grace@desk.example"


@pytest.fixture
def app(built_kb: Path, database_file: str, tmp_path: Path) -> Iterator[Flask]:
    app = bridge_app(built_kb, database_file, tmp_path, KB_ATTACHMENT_MAX_MB="1")
    add_organisation(app, "acme", ["ledger"], [(ADA, ["ledger"], True), (AL, ["ledger"], True)])
    add_staff(app, GRACE, ["ledger"])
    yield app
    close_app(app)


def raise_ticket(client: FlaskClient) -> str:
    answer = client.post("/api/tickets", json=valid_ticket(email=ADA))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["reference"]


def move(app: Flask, reference: str, status: TicketStatus, actor: str) -> None:
    with services(app).sessions()() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        change_status(session, ticket, status, actor=actor, now=utc_now())
        session.commit()


def history_lines(page: str) -> list[str]:
    listed = re.search(r'<ol class="kb-history">(.*?)</ol>', page, re.DOTALL).group(1)
    return [re.sub(r"^.*?: ", "", re.sub(r"<[^>]+>", "", item).strip()) for item in re.findall(r"<li>(.*?)</li>", listed, re.DOTALL)]


def test_the_history_says_who_made_each_change_without_naming_staff(app: Flask) -> None:
    ada = signed_in(app, ADA)
    reference = raise_ticket(ada)
    move(app, reference, TicketStatus.IN_PROGRESS, GRACE)
    move(app, reference, TicketStatus.WAITING_ON_CUSTOMER, SYSTEM)
    assert ada.post(f"/api/tickets/{reference}/messages", json={"body": "The log you asked for."}).status_code == 201

    mine = history_lines(ada.get(f"/account/tickets/{reference}").get_data(as_text=True))
    assert mine == ["Received, by you", "Received → Being worked on, by the support team",
                    "Being worked on → Waiting for your reply, automatically", "Waiting for your reply → Open, by you"]
    # A colleague who may see Ada's ticket reads her name where she reads "you"; staff addresses never appear.
    theirs = signed_in(app, AL).get(f"/account/tickets/{reference}").get_data(as_text=True)
    assert history_lines(theirs)[0] == "Received, by Ada" and GRACE not in theirs

    history = ada.get(f"/api/tickets/{reference}").get_json()["history"]
    assert [event["by"] for event in history if event["kind"] != "message"] == [
        {"role": "customer", "name": "Ada", "you": True}, {"role": "staff", "name": None, "you": False},
        {"role": "system", "name": None, "you": False}, {"role": "customer", "name": "Ada", "you": True}]


def test_an_upload_too_large_for_the_bridge_gets_a_page_in_the_sites_look(app: Flask) -> None:
    ada = signed_in(app, ADA)
    reference = raise_ticket(ada)
    path = f"/account/tickets/{reference}"
    token = TOKEN.search(ada.get(path).get_data(as_text=True)).group(1)
    with ada.post(f"{path}/messages", data={"csrf_token": token, "body": "Six files",
                                            "attachments": [(BytesIO(b"x" * 6_000_000), "dump.bin")]}) as answer:
        page = answer.get_data(as_text=True)
        answer.request.input_stream.close()  # the test client spools a body this large to a file of its own
    assert answer.status_code == 413
    assert 'class="md-header' in page, "the page is inside the site's shell"
    assert "up to 5 files of at most 1 MB each" in page
    assert f'<a href="{path}">Back to {reference}</a>' in page
    assert ada.get(f"/api/tickets/{reference}").get_json()["messages"][1:] == [], "nothing was added"


def test_the_api_answers_an_oversized_body_in_json(app: Flask) -> None:
    answer = app.test_client().post("/api/tickets", data=b"{" + b" " * 200_000 + b"}",
                                    content_type="application/json")
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "request_entity_too_large"


def test_a_closed_ticket_is_followed_up_through_the_api(app: Flask) -> None:
    ada = signed_in(app, ADA)
    reference = raise_ticket(ada)
    early = ada.post(f"/api/tickets/{reference}/follow-up", json={"description": "Again"})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "ticket_open"
    assert ada.post(f"/api/tickets/{reference}/close", json={"rating": 4}).status_code == 200

    empty = ada.post(f"/api/tickets/{reference}/follow-up", json={"description": " "})
    assert empty.status_code == 400 and set(empty.get_json()["error"]["fields"]) == {"description"}
    followed = ada.post(f"/api/tickets/{reference}/follow-up", json={"description": "It fails again since the update."})
    assert followed.status_code == 201, followed.get_data(as_text=True)
    new = followed.get_json()
    assert new["follows_up"] == reference and new["status"] == "new"
    assert new["url"] == f"/account/tickets/{new['reference']}"
    shown = ada.get(f"/api/tickets/{new['reference']}").get_json()
    assert (shown["follows_up"], shown["subject"], shown["messages"][0]["body"]) == (
        reference, f"Follow-up to {reference}: Invoice export fails", "It fails again since the update.")

    # Only someone who may write to the ticket may follow it up: staff get 403, anyone else the same 404 as none.
    assert signed_in(app, GRACE).post(f"/api/tickets/{reference}/follow-up", json={"description": "x"}).status_code == 403
    add_organisation(app, "brix", ["ledger"], [("bea@brix.example", ["ledger"], True)])
    assert signed_in(app, "bea@brix.example").post(f"/api/tickets/{reference}/follow-up",
                                                   json={"description": "x"}).status_code == 404
