"""The email that tells a customer we have their request and when to expect us.

Everything the customer typed is untrusted: the headers are written and checked by
bridge/notify/compose.py (the one way mail is composed), single-line fields are collapsed onto
one line in the body, and every customer value is HTML-escaped in the HTML part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bridge.notify.compose import OutgoingMail, compose_mail
from bridge.tickets.models import Ticket


def compose_acknowledgement(
    ticket: Ticket,
    *,
    sender: str,
    priority_label: str,
    response_promise: str,
    acknowledge_promise: str,
    timezone: str,
    site_url: str,
    product_name: str | None = None,
) -> OutgoingMail:
    """Build the acknowledgement for a stored ticket (it must already have its reference).

    The promises are phrases that complete a sentence, as written by
    bridge.tickets.policy's describe(): "within 2 business hours", "by close of
    business the same day". Deadlines are shown in the desk's time zone because
    that is the clock the desk's promises are made in. `product_name` is what
    customers call the product (the ticket stores its key).
    """
    if not ticket.reference:
        raise ValueError("the ticket has no reference yet: compose the acknowledgement after it was flushed")
    zone = ZoneInfo(timezone)
    content = _Content(
        reference=ticket.reference,
        name=single_line(ticket.name),
        subject=single_line(ticket.subject),
        product=single_line(product_name or ticket.product),
        priority_label=priority_label,
        acknowledge_promise=acknowledge_promise,
        response_promise=response_promise,
        acknowledge_by=_local_time(ticket.acknowledge_by, zone),
        respond_by=_local_time(ticket.respond_by, zone),
        query=single_line(ticket.query) if ticket.query else None,
        page=single_line(ticket.page) if ticket.page else None,
        articles=[
            (single_line(article["title"]), absolute_url(site_url, article["url"]))
            for article in ticket.suggested_articles
        ],
    )
    return compose_mail(
        sender=sender,
        to=ticket.email,
        to_name=content.name,
        subject=f"[{ticket.reference}] We have your request: {content.subject}",
        text=content.text(),
        html=content.html(),
        # RFC 3834: tells other robots (vacation replies, ticket systems) not to answer us back.
        auto_submitted="auto-replied",
    )


def single_line(value: str) -> str:
    """Collapse every run of whitespace, line breaks of every kind included, into one space."""
    return " ".join(value.split())


def absolute_url(site_url: str, url: str) -> str:
    """Resolve an article URL against the help centre's address.

    The URL is always treated as a path on our site, never as an absolute
    address, so a stored "https://elsewhere" or "javascript:" cannot put a
    link to another site into an email that carries our name.
    """
    return f"{site_url.rstrip('/')}/{url.lstrip('/')}"


def _local_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} ({zone.key})"


@dataclass(frozen=True)
class _Content:
    """The facts of one acknowledgement, rendered once as text and once as HTML so the two parts agree."""

    reference: str
    name: str
    subject: str
    product: str
    priority_label: str
    acknowledge_promise: str
    response_promise: str
    acknowledge_by: str
    respond_by: str
    query: str | None
    page: str | None
    articles: list[tuple[str, str]]

    def paragraphs(self) -> list[str]:
        """The plain-text paragraphs shared by both parts, before any escaping."""
        found = []
        if self.query:
            found.append(f'You searched for "{self.query}"')
        if self.page:
            found.append(f"{'on' if found else 'You came from'} {self.page}")
        return [
            f"Hello {self.name},",
            f'We have your request about {self.product}: "{self.subject}".',
            f"Your reference is {self.reference}; quote it when you call or write.",
            f"Priority: {self.priority_label}. We acknowledge every request {self.acknowledge_promise} "
            f"and respond to {self.priority_label} requests {self.response_promise}.",
            f"We will acknowledge your request by {self.acknowledge_by} "
            f"and respond by {self.respond_by}.",
            *([" ".join(found) + "."] if found else []),
        ]

    def text(self) -> str:
        parts = self.paragraphs()
        if self.articles:
            links = "\n".join(f"- {title}: {url}" for title, url in self.articles)
            parts.append(f"While you wait, these articles may already answer your question:\n{links}")
        parts.append("The support team")
        return "\n\n".join(parts) + "\n"

    def html(self) -> str:
        body = [f"<p>{escape(paragraph)}</p>" for paragraph in self.paragraphs()]
        if self.articles:
            items = "".join(
                f'<li><a href="{escape(url)}">{escape(title)}</a></li>' for title, url in self.articles
            )
            body.append(f"<p>While you wait, these articles may already answer your question:</p><ul>{items}</ul>")
        body.append("<p>The support team</p>")
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(self.reference)}</title></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
        )
