"""The email that tells a customer we have their request and when to expect us.

Everything the customer typed is untrusted: the headers are written and checked by
bridge/notify/compose.py (the one way mail is composed), single-line fields are collapsed onto
one line in the body, and every customer value is HTML-escaped in the HTML part.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from bridge.notify.compose import OutgoingMail, compose_mail
from bridge.notify.headers import MESSAGE_ID
from bridge.tickets.models import Ticket


def compose_acknowledgement(
    ticket: Ticket,
    *,
    sender: str,
    priority_label: str,
    response_promise: str,
    respond_by: str | None,
    site_url: str,
    ticket_url: str,
    product_name: str | None = None,
    coverage_message: str | None = None,
    withheld_message: str | None = None,
    clock_starts: str | None = None,
    in_reply_to: str | None = None,
) -> OutgoingMail:
    """Build the acknowledgement for a stored ticket (it must already have its reference).

    This mail is the acknowledgement, so it promises only the response: `response_promise` is a
    phrase that completes a sentence, as bridge.tickets.policy's describe() writes it ("within 2
    business hours"), and `respond_by` the deadline as bridge.tickets.times writes it, None while
    support is withheld (then `withheld_message` says why and what to do). `coverage_message` tells
    a customer whose request is not covered what happens next. `product_name` is what customers
    call the product (the ticket stores its key). `ticket_url` is the ticket's own page, which
    lasts as long as the ticket and asks for sign-in first. `clock_starts` is when the response
    clock starts for a ticket raised out of office hours (None in hours). `in_reply_to` is the
    Message-ID of the customer's email that raised the ticket, when it is one we can repeat safely.
    """
    if not ticket.reference:
        raise ValueError("the ticket has no reference yet: compose the acknowledgement after it was flushed")
    content = _Content(
        reference=ticket.reference,
        name=single_line(ticket.name),
        subject=single_line(ticket.subject),
        product=single_line(product_name or ticket.product),
        priority_label=priority_label,
        response_promise=response_promise,
        respond_by=respond_by,
        coverage_message=coverage_message,
        withheld_message=withheld_message,
        clock_starts=clock_starts,
        description=ticket.description,
        ticket_url=ticket_url,
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
        in_reply_to=in_reply_to if in_reply_to and MESSAGE_ID.fullmatch(in_reply_to) else None,
        references=[in_reply_to] if in_reply_to and MESSAGE_ID.fullmatch(in_reply_to) else [],
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


FOLLOW = "Follow your request, add information or close it on its page (sign in with this email address when asked):"


@dataclass(frozen=True)
class _Content:
    """The facts of one acknowledgement, rendered once as text and once as HTML so the two parts agree."""

    reference: str
    name: str
    subject: str
    product: str
    priority_label: str
    response_promise: str
    respond_by: str | None
    coverage_message: str | None
    withheld_message: str | None
    clock_starts: str | None
    description: str
    ticket_url: str
    query: str | None
    page: str | None
    articles: list[tuple[str, str]]

    def paragraphs(self) -> list[str]:
        """The plain-text paragraphs before the customer's description, shared by both parts, before any escaping."""
        found = []
        if self.query:
            found.append(f'You searched for "{self.query}"')
        if self.page:
            found.append(f"{'on' if found else 'You came from'} {self.page}")
        return [
            f"Hello {self.name},",
            f'We have your request about {self.product}: "{self.subject}".',
            f"Your reference is {self.reference}; quote it when you call or write.",
            self.withheld_message or self._promise(),
            *([f"We received it outside office hours, so the clock starts when we open: {self.clock_starts}."]
              if self.clock_starts else []),
            *([f"Not covered by your support agreement: {self.coverage_message}"] if self.coverage_message else []),
            *([" ".join(found) + "."] if found else []),
        ]

    def _promise(self) -> str:
        if self.response_promise.startswith("by "):
            return f"Priority: {self.priority_label}. We will respond {self.response_promise} ({self.respond_by})."
        return f"Priority: {self.priority_label}. We will respond {self.response_promise}, by {self.respond_by}."

    def text(self) -> str:
        parts = self.paragraphs()
        parts.append("What you told us:\n" + "\n".join(f"> {line}" for line in self.description.splitlines()))
        parts.append(f"{FOLLOW}\n{self.ticket_url}")
        if self.articles:
            links = "\n".join(f"- {title}: {url}" for title, url in self.articles)
            parts.append(f"While you wait, these articles may already answer your question:\n{links}")
        parts.append("The support team")
        return "\n\n".join(parts) + "\n"

    def html(self) -> str:
        body = [f"<p>{escape(paragraph)}</p>" for paragraph in self.paragraphs()]
        quoted = "<br>\n".join(escape(line) for line in self.description.splitlines())
        body.append(f"<p>What you told us:</p>\n<blockquote>{quoted}</blockquote>")
        body.append(f'<p>{escape(FOLLOW)}<br>\n<a href="{escape(self.ticket_url)}">{escape(self.ticket_url)}</a></p>')
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
