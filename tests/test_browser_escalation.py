"""A customer whose search did not help raises a ticket in a real browser, and the acknowledgement arrives by SMTP.

The bridge runs as `kb serve` (gunicorn, two workers, each with its own outbox sender) on a
database of its own, sending mail to an aiosmtpd server in this process.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from tests.served_bridge import served_with_mail
from tests.tickets.smtp_recorder import RecordingHandler

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"KB-\d{7}-\d")


@dataclass(frozen=True)
class Desk:
    base: str
    mail: RecordingHandler

    def acknowledgement(self, reference: str, seconds: float = 20) -> EmailMessage:
        """The mail quoting reference, once the server has accepted it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for received in self.mail.received:
                message = message_from_bytes(received.content, policy=policy.default)
                if reference in message["Subject"]:
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no acknowledgement for {reference} within {seconds} s: {self.mail.received}")


@pytest.fixture(scope="module")
def desk(built_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    database = f"sqlite:///{tmp_path_factory.mktemp('db') / 'kb.sqlite3'}"
    # The shipped policy serves nominated contacts only: Ada is one, added as the desk would add her.
    for command in (["org", "add", "example", "--name", "Example Ltd", "--products", "support,ledger,rota",
                     "--paid-until", "2099-12-31"],
                    ["contact", "add", "ada@example.org", "--org", "example", "--name", "Ada Lovelace", "--nominated"]):
        added = CliRunner().invoke(main, command, env={"KB_DATABASE_URL": database})
        assert added.exit_code == 0, added.output
    with served_with_mail(built_kb, database, KB_MAIL_FROM="Help Centre <support@example.com>") as (base, mail):
        yield Desk(base, mail)


def test_contact_support_from_a_search_that_found_nothing_raises_a_ticket(desk: Desk, page) -> None:
    page.goto(desk.base)
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("xylophone zeppelin")
    page.locator(".md-search-result__list a", has_text="Contact support").click()

    page.wait_for_url(re.compile(r"/tickets/new\?"))
    assert page.locator("#kb-subject").input_value() == "xylophone zeppelin"
    assert "You searched for xylophone zeppelin." in page.locator(".kb-context").inner_text()
    assert page.locator("header.md-header .md-search__input").count() == 1

    subject = page.locator("#kb-subject")
    subject.fill("")
    subject.press_sequentially("invoice")
    suggestions = page.locator("#kb-suggestions .kb-suggestion__link")
    suggestions.first.wait_for()
    assert 1 <= suggestions.count() <= 5
    shown_titles = [link.evaluate("node => node.firstChild.textContent") for link in suggestions.all()]

    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Product").select_option("ledger")
    page.get_by_label("Description").fill("Sending an invoice fails with an error.")
    page.get_by_label("Technical problem").check()
    page.locator("#kb-priority-critical").check()
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url(re.compile(r"/tickets/KB-\d{7}-\d/submitted"))
    reference = page.locator("#kb-reference").inner_text()
    assert REFERENCE.fullmatch(reference)
    assert "Please quote it when you call or write" in page.locator("article").inner_text()
    assert re.search(r"We will respond within 2 business hours, by \w+day \d+ \w+, \d\d:\d\d UK time",
                     page.locator(".kb-promise").inner_text())

    mail = desk.acknowledgement(reference)
    assert mail["To"] == "Ada Lovelace <ada@example.org>"
    text = mail.get_body(("plain",)).get_content()
    assert "xylophone zeppelin" in text
    assert all(f"- {title}: " in text for title in shown_titles), "the articles the form showed are on the ticket"


def test_a_form_sent_with_mistakes_moves_focus_to_the_list_of_them(desk: Desk, page) -> None:
    page.goto(desk.base + "tickets/new")
    page.get_by_role("button", name="Send request").click()
    summary = page.locator(".kb-error-summary")
    summary.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('kb-error-summary')")
    summary.get_by_role("link", name=re.compile("^Email address")).click()
    assert page.evaluate("document.activeElement.id") == "kb-email"
    assert page.locator("#kb-email").get_attribute("aria-describedby") == "kb-email-hint kb-email-error"


def test_this_solved_it_ends_without_a_ticket(desk: Desk, page) -> None:
    page.goto(desk.base + "tickets/new")
    page.locator("#kb-subject").press_sequentially("bank feed")
    solved = page.locator("#kb-suggestions .kb-suggestion__solved").first
    solved.wait_for()
    solved.press("Enter")
    page.wait_for_url(re.compile(r"/tickets/solved$"))
    assert "No ticket was raised" in page.locator("article").inner_text()
