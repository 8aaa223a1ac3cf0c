"""A ticket as the board sees it at /desk/tickets/<REF>, and each action form on it, without JavaScript."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.searchlog.models import SearchEvent
from bridge.tickets.models import Ticket, TicketEvent
from bridge.web.context import services
from tests.desk.board_fixtures import GRACE, LINUS, ROTA_ONLY, add_board, raise_at, staff_client
from tests.portal.portal_fixtures import add_organisation, sign_in
from tests.ticket_web_fixtures import LONDON, TOKEN, bridge_app, close_app, set_clock

MONDAY = datetime(2026, 11, 23, 9, tzinfo=LONDON)
INVOICE = "ledger/quick-starts/your-first-invoice/"


@pytest.fixture
def app(built_kb: Path, database_file: str, tmp_path: Path) -> Iterator[Flask]:
    app = bridge_app(built_kb, database_file, tmp_path, KB_ENTITLEMENT="nominated")
    add_board(app)
    add_organisation(app, "acme", ["ledger"], [("ada@example.org", ["ledger"], True)])
    yield app
    close_app(app)


@pytest.fixture
def ticket(app: Flask) -> str:
    """Ada searched, opened an article, came back and raised a ticket; the search log has the trail."""
    reference = raise_at(app, MONDAY, query="Export  INVOICES", page="/ledger/", subject="Export <b>fails</b>",
                         suggested_articles=[{"title": "Sending your first invoice", "url": INVOICE}])
    with services(app).sessions()() as session:
        session.add(SearchEvent(id="trail", query="export invoices", result_count=2, top_results=[INVOICE],
                                created_at=MONDAY.replace(hour=8, minute=50),
                                opened_url=f"/{INVOICE}#exporting"))
        session.commit()
    return reference


@pytest.fixture
def grace(app: Flask) -> FlaskClient:
    return staff_client(app, GRACE, MONDAY.replace(hour=10))


def desk_page(client: FlaskClient, reference: str) -> str:
    response = client.get(f"/desk/tickets/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client: FlaskClient, reference: str, route: str, **form: str):  # noqa: ANN201
    token = TOKEN.search(desk_page(client, reference)).group(1)
    return client.post(f"/desk/tickets/{reference}/{route}", data={"csrf_token": token, **form})


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:dd|p|ul|ol|div)>', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_page_shows_what_the_customer_wrote_and_how_they_got_here(app: Flask, ticket: str, grace: FlaskClient) -> None:
    ada = app.test_client()
    sign_in(ada, app, "ada@example.org")
    token = TOKEN.search(ada.get(f"/account/tickets/{ticket}").get_data(as_text=True)).group(1)
    ada.post(f"/account/tickets/{ticket}/messages", data={"csrf_token": token, "body": "Here is the log.",
                                                           "attachments": [(BytesIO(b"ERROR"), "export.log")]})
    page = desk_page(grace, ticket)
    assert "Export &lt;b&gt;fails&lt;/b&gt;" in page and "<b>fails</b>" not in page
    assert "Here is the log." in page and "export.log" in page
    assert text_of(page, "kb-desk-organisation") == "Acme (acme)"
    assert text_of(page, "kb-desk-entitlement").startswith("Nominated contact for ledger")
    assert "paid until 2099-12-31" in text_of(page, "kb-desk-plan")
    assert text_of(page, "kb-desk-query") == "Export  INVOICES"
    assert "Sending your first invoice — opened" in re.sub(r"<[^>]+>", "", page)
    assert "1 for the same words in the two hours before" in page
    assert text_of(page, "kb-desk-target").startswith("1 business hour left")
    attachment = re.search(r'href="(/account/tickets/[^"]+/attachments/\d+)"', page).group(1)
    assert grace.get(attachment).data == b"ERROR"


def test_the_page_the_customer_came_from_links_to_the_help_centre(app: Flask, grace: FlaskClient) -> None:
    """A client may send the page without its leading slash; the link must not point inside /desk/tickets/."""
    reference = raise_at(app, MONDAY.replace(hour=10), page="ledger/help-sheets/credits/")
    assert '<a href="/ledger/help-sheets/credits/">' in desk_page(grace, reference)


def test_each_action_is_done_recorded_and_shown(app: Flask, ticket: str, grace: FlaskClient) -> None:
    taken = post(grace, ticket, "update", assignee=GRACE)
    assert taken.status_code == 303
    page = grace.get(taken.location).get_data(as_text=True)
    assert "Assignee changed" in page and text_of(page, "kb-desk-assignee") == GRACE
    post(grace, ticket, "update", priority="urgent")
    post(grace, ticket, "update", request_type="usage")
    post(grace, ticket, "update", status="waiting_on_customer")
    page = desk_page(grace, ticket)
    assert text_of(page, "kb-desk-status") == "Waiting on customer"
    assert "URGENT" in text_of(page, "kb-desk-priority")
    assert text_of(page, "kb-desk-request-type") == "Usage query"
    # URGENT is 15 business hours from 09:00; waiting since 10:00, the clock stopped with 14 hours left.
    assert text_of(page, "kb-desk-target").startswith("14 business hours left (paused: waiting on the customer)")
    post(grace, ticket, "messages", body="Have a look at the export guide.", action="reply")
    post(grace, ticket, "messages", body="Customer is on the old version.", action="note")
    post(grace, ticket, "needs-article")
    page = desk_page(grace, ticket)
    assert text_of(page, "kb-desk-needs-article") == "Flagged: needs an article"
    assert "Internal note</strong> by <strong>Grace" in page
    history = re.sub(r"<[^>]+>", "", page.split('id="kb-history"')[1].split("</ol>")[0])
    assert f"{GRACE}: assignee" in history and f"{GRACE}: New → Waiting on customer" in history
    with services(app).sessions()() as session:
        kinds = session.scalars(select(TicketEvent.kind).join(Ticket).where(Ticket.reference == ticket)
                                .order_by(TicketEvent.id)).all()
    assert kinds[1:] == ["assignee", "priority", "request_type", "status", "message", "note", "needs_article"]

    # What the customer sees: the reply, not the note.
    ada = app.test_client()
    sign_in(ada, app, "ada@example.org")
    customer_page = ada.get(f"/account/tickets/{ticket}").get_data(as_text=True)
    customer_api = ada.get(f"/api/tickets/{ticket}").get_data(as_text=True)
    for shown in (customer_page, customer_api):
        assert "Have a look at the export guide." in shown and "old version" not in shown


def test_refusals_come_back_with_the_field_named_and_nothing_changed(app: Flask, ticket: str,
                                                                    grace: FlaskClient) -> None:
    wrong = post(grace, ticket, "update", assignee=ROTA_ONLY)
    assert wrong.status_code == 400 and "Assignee: must be the address of a staff member on the ledger board" in \
        wrong.get_data(as_text=True)
    empty = post(grace, ticket, "messages", body="  ", action="reply")
    assert empty.status_code == 400 and "Body: is required" in empty.get_data(as_text=True)
    post(grace, ticket, "update", status="resolved")
    refused = post(grace, ticket, "update", status="in_progress")
    assert refused.status_code == 409
    assert "a resolved ticket cannot become in_progress; it may become closed, open" in refused.get_data(as_text=True)
    forged = grace.post(f"/desk/tickets/{ticket}/update", data={"assignee": LINUS})
    assert forged.status_code == 400 and "This form has expired" in forged.get_data(as_text=True)
    assert text_of(desk_page(grace, ticket), "kb-desk-assignee") == "No one yet"


def test_articles_are_found_and_linked_from_the_reply_form_without_javascript(app: Flask, ticket: str,
                                                                              grace: FlaskClient) -> None:
    draft = "Hello Ada,\n\nthis should help:"
    found = post(grace, ticket, "messages", body=draft, find="send my first invoice", action="find")
    assert found.status_code == 200
    page = found.get_data(as_text=True)
    assert f">{draft}</textarea>" in page
    assert re.search(r'name="insert" value="/?ledger/quick-starts/your-first-invoice/[^"]*"', page)
    url = re.search(r'name="insert" value="(/?ledger/quick-starts/your-first-invoice/[^"]*)"', page).group(1)
    inserted = post(grace, ticket, "messages", body=draft, find="send my first invoice", insert=url)
    body = re.search(r'<textarea[^>]*id="kb-body"[^>]*>(.*?)</textarea>', inserted.get_data(as_text=True), re.S).group(1)
    site = services(app).settings.public_url
    assert body.startswith(draft) and f"Sending your first invoice: {site}/{url.lstrip('/')}" in body
    # Only the index's articles: a link of the sender's choosing is not inserted.
    kept = post(grace, ticket, "messages", body=draft, insert="https://evil.example/")
    assert "evil.example" not in re.search(r'id="kb-body"[^>]*>(.*?)</textarea>', kept.get_data(as_text=True), re.S).group(1)
    sent = post(grace, ticket, "messages", body=body.replace("&amp;", "&"), action="reply")
    assert sent.status_code == 303


def test_release_and_split(app: Flask, grace: FlaskClient) -> None:
    withheld = raise_at(app, MONDAY.replace(hour=10), email="walk@in.example", subject="Two questions")
    assert "Release the ticket" in desk_page(grace, withheld)
    set_clock(app, MONDAY.replace(hour=10, minute=30))
    released = post(grace, withheld, "release")
    assert released.status_code == 303
    page = desk_page(grace, withheld)
    assert text_of(page, "kb-desk-status") == "New" and "Release the ticket" not in page
    split = post(grace, withheld, "split", subject="Second question", description="How do I add a user?")
    assert split.status_code == 303
    notice = grace.get(split.location).get_data(as_text=True)
    new = re.search(r"Split off as (KB-\d{7}-\d)", notice).group(1)
    assert f">{new}</a>: Second question" in desk_page(grace, withheld)
    assert f">{withheld}</a>: Two questions" in desk_page(grace, new)
    missing = post(grace, withheld, "split", subject="", description="Kept")
    assert missing.status_code == 400 and ">Kept</textarea>" in missing.get_data(as_text=True)
    assert 'id="kb-subject-error"' in missing.get_data(as_text=True)  # the message beside the field


def test_the_boards_searches_for_a_link_are_not_counted_as_customers(app: Flask, ticket: str,
                                                                      grace: FlaskClient) -> None:
    post(grace, ticket, "messages", body="", find="payroll totals", action="find")
    from_script = grace.get("/api/search?q=bank+feed+stalled", headers={"X-KB-Desk": "1"})
    assert from_script.status_code == 200 and from_script.get_json()["search_id"] is None
    assert app.test_client().get("/api/search?q=vat+rates").get_json()["search_id"]
    # Not signed in as staff, the header changes nothing: a customer's search is logged whatever it sends.
    assert app.test_client().get("/api/search?q=sick+pay", headers={"X-KB-Desk": "1"}).get_json()["search_id"]
    services(app).search_log().flush()
    with services(app).sessions()() as session:
        logged = set(session.scalars(select(SearchEvent.query)))
    assert logged == {"export invoices", "vat rates", "sick pay"}
