"""What the customer reads in the acknowledgement email."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from ticket_samples import ACKNOWLEDGE_BY, RESPOND_BY, compose, draft

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


def test_deadlines_are_shown_in_the_desks_local_time() -> None:
    summer = stored_ticket(
        acknowledge_by=datetime(2026, 7, 1, 8, 0, tzinfo=UTC), respond_by=datetime(2026, 7, 2, 12, 15, tzinfo=UTC)
    )

    text = composed(summer).get_body(("plain",)).get_content()

    assert "by Wednesday 1 July 2026, 09:00 (Europe/London)" in text
    assert "by Thursday 2 July 2026, 13:15 (Europe/London)" in text
    assert "Priority: High. We acknowledge every request within 1 business hour" in text
    assert "respond to High requests within 4 business hours" in text


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
