"""In a real browser, on the credits desk served by `kb serve`: a contact with 40 credits raises a ticket asking
for the cost first, the board assesses it at 10 credits from its ticket page, the contact approves from hers, and
her statement shows 30. Both sign in from the links mailed to a real SMTP server.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.accounts.directory import organisation_by_key
from bridge.db import make_engine, make_session_factory
from tests.credits.ledger_fixtures import CREDITS_POLICY, NOW, credit_desk
from tests.served_bridge import database_with_acme, served_with_mail, sign_in_link
from tests.tickets.smtp_recorder import RecordingHandler

pytestmark = pytest.mark.browser

ADA, LED = "ada@acme.example", "led@desk.example"


@dataclass(frozen=True)
class Desk:
    base: str
    mail: RecordingHandler

    def sign_in(self, page, email: str) -> None:  # noqa: ANN001 (a Playwright page)
        """Ask for a link as the person would, open it from the mail, press Sign in."""
        page.goto(self.base + "account/sign-in")
        page.get_by_label("Email address").fill(email)
        page.get_by_role("button", name="Email me a link").click()
        page.goto(sign_in_link(self.mail, email))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/account/tickets$"))


@pytest.fixture(scope="module")
def desk(built_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    database = database_with_acme(tmp_path_factory.mktemp("db"), ADA, [(LED, "Lee Dent")])
    engine = make_engine(database)
    with make_session_factory(engine)() as session:
        credit_desk().grant(session, organisation_by_key(session, "acme"), actor="system", now=NOW)
        session.commit()
    engine.dispose()
    with served_with_mail(built_kb, database, KB_SUPPORT_POLICY=str(CREDITS_POLICY)) as (base, mail):
        yield Desk(base, mail)


def test_cost_first_assessed_at_10_approved_from_the_ticket_page_leaves_30(desk: Desk, browser, page) -> None:
    desk.sign_in(page, ADA)
    page.goto(desk.base + "tickets/new")
    assert page.locator("#kb-form-balance").inner_text() == "40"
    page.get_by_label("Product").select_option("ledger")
    page.get_by_label("Subject").fill("Invoices will not export")
    page.get_by_label("Description").fill("The export button does nothing.")
    page.get_by_label("Technical problem").check()
    page.locator("#kb-priority-standard").check()
    page.get_by_label("Tell me the cost first").check()
    page.get_by_role("button", name="Send request").click()
    reference = page.locator("#kb-reference").inner_text()

    staff = browser.new_context()
    board = staff.new_page()
    board.set_default_timeout(10_000)
    try:
        desk.sign_in(board, LED)
        board.goto(desk.base + f"desk/tickets/{reference}")
        board.get_by_label("Standard (10 credits)").check()
        board.get_by_label("Reason (mailed to the customer)").fill("A setting on the export screen")
        board.get_by_role("button", name="Save assessment").click()
        board.wait_for_url(re.compile(rf"/desk/tickets/{reference}"))
        assert board.locator("#kb-desk-status").inner_text() == "Awaiting approval"
    finally:
        staff.close()

    page.goto(desk.base + f"account/tickets/{reference}")
    assert page.locator("#kb-ticket-status").inner_text() == "Waiting for your approval of the cost"
    page.get_by_role("button", name="Approve 10 credits").click()
    page.wait_for_url(re.compile(rf"/account/tickets/{reference}"))
    assert page.locator("#kb-ticket-status").inner_text() == "Open"
    assert page.locator("#kb-charged").inner_text() == "10 credits"

    page.goto(desk.base + "account/credits")
    assert page.locator("#kb-balance").inner_text() == "30"
    rows = page.locator("table.kb-statement tbody tr").all_inner_texts()
    assert len(rows) == 2 and "-10" in rows[1] and reference in rows[1]
