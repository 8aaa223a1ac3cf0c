"""A board member works a ticket from the queue in a real browser, and the customer follows it to the end.

Grace (ledger board) signs in from the emailed link, finds Ada's new ticket at the top of the queue,
takes it, finds a help sheet from the reply form and inserts its link, replies and sets the ticket
waiting on the customer. Ada gets the reply by mail, answers from her ticket page (without
JavaScript), and the ticket is back in Grace's queue as open. Grace resolves it, Ada closes it with a
rating, and the board's figures count it. The bridge runs as `kb serve` (gunicorn) on a database of its
own, sending mail to an aiosmtpd server in this process; Grace's browser reports any breach of the
Content-Security-Policy (the `page` fixture).
"""
from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from bridge.db import make_engine
from bridge.searchlog.models import SearchEvent
from tests.served_bridge import database_with_acme, mail_to, served_with_mail, sign_in_link
from tests.tickets.smtp_recorder import RecordingHandler

pytestmark = pytest.mark.browser

ADA, GRACE = "ada@acme.example", "grace@desk.example"


@dataclass(frozen=True)
class Bridge:
    base: str
    mail: RecordingHandler
    database: str

    def mail_to(self, address: str, subject_has: str, body_has: str = "") -> EmailMessage:
        return mail_to(self.mail, address, subject_has, body_has)

    def sign_in(self, page, address: str, path: str) -> None:  # noqa: ANN001 (a Playwright page)
        """Ask for a link at path's sign-in page, open it from the mail and press "Sign in"."""
        sent = len(self.mail.received)
        page.goto(self.base + path.lstrip("/"))
        page.wait_for_url(re.compile(r"/account/sign-in\?next="))
        page.get_by_label("Email address").fill(address)
        page.get_by_role("button", name="Email me a link").click()
        page.locator("#kb-check-mail").wait_for()
        deadline = time.monotonic() + 20
        while len(self.mail.received) == sent and time.monotonic() < deadline:
            time.sleep(0.2)
        page.goto(sign_in_link(self.mail, address))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(re.escape(path) + "$"))


@pytest.fixture(scope="module")
def bridge(built_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    database = database_with_acme(tmp_path_factory.mktemp("db"), ADA, [(GRACE, "Grace Hopper")])
    with served_with_mail(built_kb, database) as (base, mail):
        yield Bridge(base, mail, database)


def raise_ticket(bridge: Bridge) -> str:
    body = {"email": ADA, "name": "Ada Lovelace", "product": "ledger", "subject": "Cannot send an invoice",
            "description": "The Send button is greyed out.", "request_type": "usage", "priority": "urgent"}
    request = urllib.request.Request(bridge.base + "api/tickets", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["reference"]


def queue_row(page, reference: str):  # noqa: ANN001, ANN201
    return page.locator(f'tr[data-reference="{reference}"]')


def test_a_board_member_works_a_ticket_and_the_customer_signs_it_off(bridge: Bridge, page, browser) -> None:  # noqa: ANN001
    reference = raise_ticket(bridge)
    bridge.sign_in(page, GRACE, "/desk")
    first = page.locator("tr[data-reference]").first
    assert first.get_attribute("data-reference") == reference
    assert "New" in first.locator(".kb-queue__status").inner_text()
    assert "URGENT" in first.inner_text() and first.locator(".kb-priority--amber").count() == 1

    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Take it myself").click()
    assert page.locator("#kb-desk-assignee").inner_text() == GRACE

    page.get_by_label("Message").fill("Hello Ada, this help sheet explains it:")
    page.get_by_label("Find a help-centre article to link").fill("send my first invoice")
    page.get_by_role("button", name="Find articles").click()
    result = page.locator(".kb-found li", has_text="Sending your first invoice")
    result.get_by_role("button", name="Insert link").click()
    reply = page.get_by_label("Message").input_value()
    link = re.search(r"Sending your first invoice: (http://\S+/ledger/quick-starts/your-first-invoice/\S*)", reply)
    assert link, reply
    page.get_by_role("button", name="Send reply").click()
    assert "Reply sent to the customer" in page.locator(".kb-desk-notice").inner_text()
    page.get_by_label("Move to").select_option("waiting_on_customer")
    page.get_by_role("button", name="Change status").click()
    assert page.locator("#kb-desk-status").inner_text() == "Waiting on customer"

    mailed = bridge.mail_to(ADA, reference, body_has="this help sheet explains it").get_body(("plain",)).get_content()
    assert link.group(1) in mailed

    customer = browser.new_context(java_script_enabled=False)
    ada = customer.new_page()
    ada.set_default_timeout(10_000)
    try:
        bridge.sign_in(ada, ADA, f"/account/tickets/{reference}")
        ada.get_by_label("Your message").fill("Thanks, but the button is still grey.")
        ada.get_by_role("button", name="Add to ticket").click()
        assert ada.locator("#kb-ticket-status").inner_text() == "Open"

        page.goto(bridge.base + "desk")
        assert queue_row(page, reference).locator(".kb-queue__status").inner_text() == "Open"
        page.get_by_role("link", name=reference).click()
        assert "Thanks, but the button is still grey." in page.locator(".kb-conversation").inner_text()
        page.get_by_label("Move to").select_option("resolved")
        page.get_by_role("button", name="Change status").click()
        assert page.locator("#kb-desk-status").inner_text() == "Resolved"

        ada.reload()
        ada.locator("label[for=kb-rating-5]").click()
        ada.get_by_role("button", name="Close ticket").click()
        assert ada.locator("#kb-ticket-status").inner_text() == "Closed"
    finally:
        customer.close()

    engine = make_engine(bridge.database)
    with engine.connect() as connection:  # the board's search for a link is not a customer's search
        assert connection.execute(select(SearchEvent).where(SearchEvent.query == "send my first invoice")).first() is None
    engine.dispose()

    page.goto(bridge.base + "desk/report")
    assert page.locator("#kb-report-raised").inner_text() == "1"
    assert page.locator("#kb-report-average").inner_text() == "5.0"
    assert "URGENT" in page.locator("#kb-report-priority").inner_text()
    met = page.locator("#kb-report-targets tr", has_text="First response").locator("td").nth(1).inner_text()
    assert met == "1"
