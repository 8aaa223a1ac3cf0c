"""A nominated contact follows a ticket in a real browser with JavaScript turned off: signs in from the
emailed link (delivered over SMTP), raises a ticket on the form filled in from her account, finds it in
My tickets, is told plainly when her files are too large, adds information with a file, and closes it
with a rating.

The bridge runs as `kb serve` (gunicorn) on a database of its own, sending mail to an aiosmtpd
server in this process.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.served_bridge import database_with_acme, served_with_mail, sign_in_link
from tests.tickets.smtp_recorder import RecordingHandler

pytestmark = pytest.mark.browser

ADA = "ada@acme.example"


@dataclass(frozen=True)
class Portal:
    base: str
    mail: RecordingHandler

    def sign_in_link(self) -> str:
        return sign_in_link(self.mail, ADA)


@pytest.fixture(scope="module")
def portal(built_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    database = database_with_acme(tmp_path_factory.mktemp("db"), ADA)
    with served_with_mail(built_kb, database, KB_ATTACHMENT_MAX_MB="1") as (base, mail):
        yield Portal(base, mail)


def test_a_contact_signs_in_raises_follows_adds_to_and_closes_a_ticket(portal: Portal, browser, tmp_path: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(portal.base + "account/tickets")
        page.wait_for_url(re.compile(r"/account/sign-in\?next="))
        page.get_by_label("Email address").fill(ADA)
        page.get_by_role("button", name="Email me a link").click()
        assert "a link to sign in is on its way" in page.locator("#kb-check-mail").inner_text()

        page.goto(portal.sign_in_link())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/account/tickets$"))
        assert "Signed in as ada@acme.example (Acme Ltd)" in page.locator(".kb-signed-in").inner_text()
        assert "You have no tickets yet" in page.locator("article").inner_text()

        page.goto(portal.base + "tickets/new")
        # Signed in, the form is filled in from the account and cannot be changed; Ada may see only ledger.
        for label, value in (("Email address", ADA), ("Your name", "Ada Lovelace"), ("Organisation", "Acme Ltd")):
            field = page.get_by_label(label)
            assert (field.input_value(), field.is_editable()) == (value, False), label
        product = page.get_by_label("Product")
        assert product.locator("option").all_inner_texts() == ["Choose the product", "Ledger"]
        product.select_option("ledger")
        page.get_by_label("Subject").fill("Invoices will not export")
        page.get_by_label("Description").fill("The export button does nothing.")
        page.get_by_label("Technical problem").check()
        page.locator("#kb-priority-standard").check()
        page.get_by_role("button", name="Send request").click()
        reference = page.locator("#kb-reference").inner_text()

        page.goto(portal.base + "account/tickets")
        page.get_by_role("link", name=reference).click()
        page.wait_for_url(re.compile(rf"/account/tickets/{reference}$"))
        assert page.locator("#kb-ticket-status").inner_text() == "Received"

        # Files over the whole request's limit (5 files of 1 MB here) get a page in the site's look, and the way back.
        dump = tmp_path / "dump.bin"
        dump.write_bytes(b"x" * 6_000_000)
        page.get_by_label("Your message").fill("The whole dump.")
        page.get_by_label("Files (optional)").set_input_files(str(dump))
        page.get_by_role("button", name="Add to ticket").click()
        assert page.get_by_role("heading", name="Files too large").is_visible()
        assert page.locator("header.md-header").count() == 1, "in the site's look"
        page.get_by_role("link", name=f"Back to {reference}").click()
        assert "The whole dump." not in page.locator(".kb-conversation").inner_text()

        log = tmp_path / "export.log"
        log.write_text("ERROR export failed\n")
        page.get_by_label("Your message").fill("It fails for every customer, log attached.")
        page.get_by_label("Files (optional)").set_input_files(str(log))
        page.get_by_role("button", name="Add to ticket").click()
        conversation = page.locator(".kb-conversation").inner_text()
        assert "It fails for every customer, log attached." in conversation and "export.log" in conversation

        page.locator("label[for=kb-rating-5]").click()
        page.get_by_label("Comment (optional)").fill("Sorted quickly.")
        page.get_by_role("button", name="Close ticket").click()
        assert page.locator("#kb-ticket-status").inner_text() == "Closed"
        assert "Your rating: 5 out of 5." in page.locator(".kb-closed").inner_text()
        assert page.get_by_role("button", name="Raise a follow-up").count() == 1
    finally:
        context.close()
