"""What the customer reads in the acknowledgement email."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from ticket_samples import ACKNOWLEDGE_BY, RESPOND_BY, SENDER, SITE_URL, compose, draft

from bridge.notify.acknowledgement import compose_acknowledgement
from bridge.notify.compose import parse_mail
from bridge.tickets.models import Ticket
from bridge.tickets.store import new_ticket


def stored_ticket(**changes: object) -> Ticket:
    """A ticket as create_ticket hands it to compose_mail: stored, numbered and referenced."""
    submission = draft(**{key: value for key, value in changes.items() if key not in ("acknowledge_by", "respond_by")})
    ticket = new_ticket(submission, covered=True, acknowledge_by=changes.get("acknowledge_by", ACKNOWLEDGE_BY),
                        respond_by=changes.get("respond_by", RESPOND_BY), now=datetime(2026, 6, 30, 9, 0, tzinfo=UTC))
    ticket.id, ticket.reference = 123, "KB-0000123-K"
    return ticket


def composed(ticket: Ticket) -> EmailMessage:
    """The acknowledgement as its recipient's mail program reads it."""
    return parse_mail(compose(ticket).message)


def test_the_acknowledgement_promises_the_response_and_not_another_acknowledgement() -> None:
    text = composed(stored_ticket()).get_body(("plain",)).get_content()

    assert "Priority: High. We will respond within 4 business hours, by Monday 23 November, 14:30 UK time." in text
    assert "acknowledge" not in text.lower()
    assert "Europe/London" not in text


def test_it_quotes_what_the_customer_wrote_and_links_the_tickets_own_page() -> None:
    mail = composed(stored_ticket(description="The export button does nothing.\nI tried <twice>."))
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()

    assert "What you told us:\n> The export button does nothing.\n> I tried <twice>." in text
    assert "\nhttps://help.example.com/account/tickets/KB-0000123-K\n" in text
    assert "I tried &lt;twice&gt;." in html
    assert 'href="https://help.example.com/account/tickets/KB-0000123-K"' in html


def test_a_request_that_is_not_covered_says_what_happens_next() -> None:
    mail = compose_acknowledgement(stored_ticket(), sender=SENDER, priority_label="High",
                                   response_promise="within 4 business hours", respond_by="Monday 23 November, 14:30 UK time",
                                   site_url=SITE_URL, ticket_url=f"{SITE_URL}/account/tickets/KB-0000123-K",
                                   coverage_message="Training is not covered by your support agreement.")
    text = parse_mail(mail.message).get_body(("plain",)).get_content()

    assert "Not covered by your support agreement: Training is not covered by your support agreement." in text


def test_a_withheld_request_says_why_and_promises_no_response_time() -> None:
    mail = compose_acknowledgement(stored_ticket(respond_by=None), sender=SENDER, priority_label="High",
                                   response_promise="within 4 business hours", respond_by=None, site_url=SITE_URL,
                                   ticket_url=f"{SITE_URL}/account/tickets/KB-0000123-K",
                                   withheld_message="Your request is on hold: ask to be nominated.")
    text = parse_mail(mail.message).get_body(("plain",)).get_content()

    assert "Your reference is KB-0000123-K" in text
    assert "Your request is on hold: ask to be nominated." in text
    assert "We will respond" not in text


def test_the_email_recalls_the_search_that_led_to_the_ticket() -> None:
    text = composed(stored_ticket()).get_body(("plain",)).get_content()

    assert 'You searched for "export invoices" on /ledger/invoices/.' in text
    assert "- Exporting invoices: https://help.example.com/ledger/invoices/export/" in text


def test_a_ticket_raised_without_a_search_leaves_the_search_out() -> None:
    text = composed(stored_ticket(query=None, page=None, suggested_articles=())).get_body(("plain",)).get_content()

    assert "searched" not in text and "articles" not in text
    assert "Your reference is KB-0000123-K" in text


def test_customer_text_is_escaped_in_the_html_part() -> None:
    ticket = stored_ticket(
        name="Zoë <b>O'Neil</b>",
        subject="Totals < 0 & rising",
        query="<script>alert(1)</script>",
        suggested_articles=({"title": "<img src=x>", "url": '/a/"onmouseover="x'},),
    )

    html = composed(ticket).get_body(("html",)).get_content()

    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "Zoë &lt;b&gt;O&#x27;Neil&lt;/b&gt;" in html
    assert "Totals &lt; 0 &amp; rising" in html
    assert 'href="https://help.example.com/a/&quot;onmouseover=&quot;x"' in html


def test_article_links_always_point_at_the_help_centre() -> None:
    ticket = stored_ticket(suggested_articles=({"title": "Prize", "url": "https://evil.example/login"},))

    html = composed(ticket).get_body(("html",)).get_content()

    assert 'href="https://help.example.com/' in html
    assert 'href="https://evil.example' not in html


def test_headers_identify_the_message_and_its_single_recipient() -> None:
    message = composed(stored_ticket(subject="Über\nCc: evil@example.com"))

    assert message["Subject"] == "[KB-0000123-K] We have your request: Über Cc: evil@example.com"
    assert message["Cc"] is None
    assert [address.addr_spec for address in message["To"].addresses] == ["ada@example.org"]
    assert message["From"] == "Example Support <support@example.com>"
    assert message["Message-ID"].endswith("@example.com>")
    assert message["Date"].datetime.tzinfo is not None
