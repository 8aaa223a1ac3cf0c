"""Raising a ticket: what happens between "Send" and the reference number, in one place.

The form and the JSON API both hand the desk untrusted fields; the desk validates them, works
out coverage and due times from the support policy, and adds the ticket and its acknowledgement
to the caller's transaction; the mail is sent only after the caller commits, so a mail outage
delays the acknowledgement but never loses the ticket. Nothing here knows about HTTP, which is
why the clock can be injected and a Friday-evening ticket tested without waiting for Friday.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.accounts.directory import contact_by_email
from bridge.content.products import Product
from bridge.db import utc_now
from bridge.notify.acknowledgement import absolute_url, compose_acknowledgement
from bridge.notify.compose import OutgoingMail
from bridge.notify.headers import UnsafeHeader
from bridge.search.types import ArticleLink
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.entitlement import WithheldReason, withheld_message, withheld_reason
from bridge.tickets.idempotency import Claim
from bridge.tickets.models import Deflection, Ticket
from bridge.tickets.policy import SupportPolicy
from bridge.tickets.reference import parse_reference
from bridge.tickets.status import TicketStatus
from bridge.tickets.store import PendingMail, create_ticket, get_ticket_by_number
from bridge.tickets.times import local_time
from bridge.tickets.validation import (
    MAX_LENGTHS,
    InvalidSubmission,
    Submission,
    site_path_problem,
    validate_submission,
)

if TYPE_CHECKING:
    from bridge.search.index_reader import SearchIndex

MAX_SUGGESTIONS = 5
MIN_SUGGESTION_CHARS = 3

# The customer's field behind each part of the acknowledgement that compose_mail may refuse.
MAIL_FIELDS = {"to": "email", "to_name": "name", "subject": "subject"}

# The customer's page for a ticket (bridge/web/account.py): it asks them to sign in first when needed.
TICKET_PAGE = "/account/tickets/{reference}"


def ticket_page(reference: str) -> str:
    """The path of a ticket's own page, which lasts as long as the ticket (links in mail and on the confirmation page)."""
    return TICKET_PAGE.format(reference=reference)


@dataclass(frozen=True)
class Suggestion:
    """An article that may answer the customer's question; the snippet is HTML-safe (marked by the search index)."""

    title: str
    url: str
    snippet: str = ""

    def stored(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url}


Suggest = Callable[[str], list[Suggestion]]
FindArticle = Callable[[str], ArticleLink | None]
# The mail to send about a new ticket besides its acknowledgement, composed before it is written
# (bridge.services wires the review board's, bridge.desk.notifications, so this room does not
# depend on the desk's).
OnCreated = Callable[[Session, "TicketDesk", Ticket, datetime], Sequence[PendingMail]]


def suggest_from_index(index: SearchIndex | None) -> Suggest:
    """Suggestions for a subject from the search index; none (not an error) while the index is unavailable or busy.

    A ticket is stored whether or not articles can be suggested for it, and a subject shaped like a
    costly query may be refused a turn while the search is flooded (`bridge.search.admission`).
    """

    def suggest(text: str) -> list[Suggestion]:
        if index is None or len(text.strip()) < MIN_SUGGESTION_CHARS:
            return []
        return [Suggestion(hit.title, hit.url, hit.snippet) for hit in index.hits_or_none(text, MAX_SUGGESTIONS)]

    return suggest


def find_article_in_index(index: SearchIndex | None) -> FindArticle:
    """Our own title and address for a link a client showed; None for one the index does not have (or no index)."""

    def find(url: str) -> ArticleLink | None:
        return None if index is None else index.article_link(url)

    return find


@dataclass(frozen=True)
class MailSettings:
    """Who acknowledgements come from, where their article links point, and whether the
    transport can reach a non-ASCII local part (see bridge/notify/transport.py)."""

    sender: str
    site_url: str
    smtputf8: bool = True


@dataclass(frozen=True)
class Receipt:
    """What the customer is told once a ticket is stored, in data (API) and in words (confirmation page)."""

    reference: str
    status: str
    status_label: str
    subject: str
    email: str
    priority: str
    priority_label: str
    request_type: str
    request_type_label: str
    covered: bool
    coverage_message: str | None
    acknowledge_by: datetime
    respond_by: datetime | None  # None while support is withheld
    response_promise: str
    respond_by_local: str | None
    suggested_articles: list[dict[str, str]]
    withheld_reason: str | None
    withheld_message: str | None
    page: str
    replayed: bool = False  # an earlier submission with the same idempotency key raised this ticket

    def as_json(self) -> dict[str, Any]:
        """The API's 201 body; times are ISO 8601 in UTC; respond_by is null while support is withheld."""
        return {
            "reference": self.reference,
            "status": self.status,
            "status_label": self.status_label,
            "withheld": {"reason": self.withheld_reason, "message": self.withheld_message} if self.withheld_reason else None,
            "priority": self.priority,
            "request_type": self.request_type,
            "covered": self.covered,
            "coverage_message": self.coverage_message,
            "acknowledge_by": self.acknowledge_by.isoformat(),
            "respond_by": self.respond_by.isoformat() if self.respond_by else None,
            "suggested_articles": self.suggested_articles,
            "url": self.page,
        }


def find_ticket(session: Session, text: str, prefix: str) -> Ticket | None:
    """The ticket a typed reference names, ignoring case, spaces and dashes; InvalidReference if the check fails."""
    return get_ticket_by_number(session, parse_reference(text, prefix))


def public_support(policy: SupportPolicy, products: Sequence[Product]) -> dict[str, Any]:
    """The policy as customers and API clients see it, with the products: one source for the form and the API."""
    return {**policy.public(), "products": [{"key": product.key, "name": product.name} for product in products]}


class TicketDesk:
    """Everything a submission needs, wired once per process by bridge.services; each call joins the caller's session."""

    def __init__(
        self,
        *,
        policy: SupportPolicy,
        products: Sequence[Product],
        mail: MailSettings,
        suggest: Suggest,
        find_article: FindArticle,
        clock: Callable[[], datetime] = utc_now,
        on_created: OnCreated | None = None,
    ) -> None:
        self.policy = policy
        self.products = tuple(products)
        self.calendar = BusinessCalendar.from_policy(policy)
        self.mail = mail
        self.suggest = suggest
        self._find_article = find_article
        self._clock = clock
        self._on_created = on_created

    def support(self) -> dict[str, Any]:
        return public_support(self.policy, self.products)

    def validate(self, data: object, products: Collection[str] | None = None, now: datetime | None = None) -> Submission:
        """Check a submission without storing it; raises InvalidSubmission naming every bad field.

        products narrows the desk's products to those this customer may name (a signed-in contact's);
        now is when it is sent, which out-of-hours cover must be asked for ahead of.
        """
        keys = [product.key for product in self.products if products is None or product.key in products]
        return validate_submission(data, policy=self.policy, product_keys=keys, smtputf8=self.mail.smtputf8,
                                   now=now or self._clock())

    def submit(self, session: Session, data: object, *, idempotency_key: str | None = None,
               products: Collection[str] | None = None, now: datetime | None = None, acknowledge: bool = True,
               in_reply_to: str | None = None) -> Receipt:
        """Validate and add the ticket with its queued acknowledgement to session; targets run from now.

        With an idempotency key that raised a ticket for the same address and request within a
        day, that ticket's receipt comes back (marked replayed) and nothing is added
        (bridge/tickets/idempotency.py); InvalidKey or KeyReused when the key cannot be honoured.
        A retry racing the first request finds the key taken when it is flushed: the session is
        then rolled back (it held only this ticket) and the first request's ticket answered.
        A ticket raised by mail answers the customer's message (in_reply_to, so their mail client
        threads the two), and is stored without an acknowledgement past the per-address limit.
        """
        moment = now or self._clock()
        submission = self.validate(data, products, moment)
        claim = None if idempotency_key is None else Claim.of(idempotency_key, submission)
        if claim is not None and (earlier := claim.earlier_ticket(session, moment)) is not None:
            return dataclasses.replace(self.receipt(earlier), replayed=True)
        draft = submission.ticket
        if submission.suggestions_shown:
            draft = dataclasses.replace(draft, suggested_articles=self._our_links(draft.suggested_articles))
        else:
            draft = dataclasses.replace(draft, suggested_articles=[s.stored() for s in self.suggest(draft.subject)])
        priority = self.policy.priority(draft.priority)
        request_type = self.policy.request_type(draft.request_type)
        contact = contact_by_email(session, draft.email)
        withheld = withheld_reason(self.policy.entitlement, contact, draft.product,
                                   today=moment.astimezone(self.policy.timezone).date())
        try:
            ticket = create_ticket(
                session,
                draft,
                reference_prefix=self.policy.reference_prefix,
                acknowledge_by=self.calendar.due(moment, self.policy.acknowledgement_target),
                respond_by=None if withheld else self.calendar.due(moment, priority),
                resolve_by=None if withheld else self.calendar.resolution_due(moment, priority),
                covered=request_type.covered,
                compose_mail=partial(self.acknowledgement, in_reply_to=in_reply_to) if acknowledge else None,
                contact=contact,
                withheld=withheld,
                now=moment,
                more_mail=None if self._on_created is None else partial(self._on_created, session, self, now=moment),
            )
            if claim is not None:
                claim.record(session, ticket, moment)
        except UnsafeHeader as unsafe:
            if unsafe.field not in MAIL_FIELDS:
                raise
            raise InvalidSubmission({MAIL_FIELDS[unsafe.field]: unsafe.problem}) from unsafe
        except IntegrityError:
            if claim is None:
                raise
            session.rollback()
            if (earlier := claim.earlier_ticket(session, moment)) is None:
                raise
            return dataclasses.replace(self.receipt(earlier), replayed=True)
        return self.receipt(ticket)

    def find(self, session: Session, text: str) -> Ticket | None:
        return find_ticket(session, text, self.policy.reference_prefix)

    def product_name(self, key: str) -> str:
        """What customers call the product whose key a ticket stores."""
        return next((product.name for product in self.products if product.key == key), key)

    def withheld_message(self, ticket: Ticket) -> str | None:
        """Why support is withheld from this ticket and what to do, or None when it is not withheld."""
        if ticket.withheld_reason is None:
            return None
        return withheld_message(WithheldReason(ticket.withheld_reason), email=ticket.email,
                                product_name=self.product_name(ticket.product))

    def receipt(self, ticket: Ticket) -> Receipt:
        priority = self.policy.priority(ticket.priority)
        request_type = self.policy.request_type(ticket.request_type)
        return Receipt(
            reference=ticket.reference,
            status=ticket.status,
            status_label=TicketStatus(ticket.status).label,
            subject=ticket.subject,
            email=ticket.email,
            priority=priority.key,
            priority_label=priority.label,
            request_type=request_type.key,
            request_type_label=request_type.label,
            covered=ticket.covered,
            coverage_message=None if ticket.covered else request_type.message,
            acknowledge_by=ticket.acknowledge_by,
            respond_by=ticket.respond_by,
            response_promise=priority.target.describe(),
            respond_by_local=local_time(ticket.respond_by, self.policy.timezone) if ticket.respond_by else None,
            suggested_articles=list(ticket.suggested_articles),
            withheld_reason=ticket.withheld_reason,
            withheld_message=self.withheld_message(ticket),
            page=ticket_page(ticket.reference),
        )

    def record_deflection(self, session: Session, values: Mapping[str, str]) -> None:
        """Add a "This solved it" to session; the article must be a path on our site, the context fields are kept if sane."""
        problem = site_path_problem(values.get("article_url"))
        if problem:
            raise InvalidSubmission({"article_url": problem})
        context = {name: _clipped(values.get(name), MAX_LENGTHS[name]) for name in ("subject", "query", "page")}
        session.add(Deflection(article_url=values["article_url"].strip(), created_at=utc_now(), **context))

    def _our_links(self, shown: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
        """The articles a client showed, as our index has them: its titles, not the client's, and only
        links it knows, once each, so the acknowledgement cannot carry words or links of the client's choosing."""
        links: dict[str, dict[str, str]] = {}
        for article in shown:
            link = self._find_article(article["url"])
            if link is not None:
                links.setdefault(link.url, {"title": link.title, "url": link.url})
        return list(links.values())

    def acknowledgement(self, ticket: Ticket, in_reply_to: str | None = None) -> OutgoingMail:
        """The acknowledgement of a ticket, as its requester receives it (also for a ticket split off another);
        composed once its reference is reserved, before it is stored. in_reply_to is the Message-ID of the
        customer's email that raised it."""
        receipt = self.receipt(ticket)
        clock_starts = self.calendar.clock_start(ticket.created_at)
        return compose_acknowledgement(
            ticket,
            sender=self.mail.sender,
            priority_label=receipt.priority_label,
            response_promise=receipt.response_promise,
            respond_by=receipt.respond_by_local,
            site_url=self.mail.site_url,
            ticket_url=absolute_url(self.mail.site_url, receipt.page),
            product_name=self.product_name(ticket.product),
            coverage_message=receipt.coverage_message,
            withheld_message=receipt.withheld_message,
            clock_starts=None if receipt.withheld_reason or clock_starts <= ticket.created_at
            else local_time(clock_starts, self.policy.timezone),
            in_reply_to=in_reply_to,
        )


def _clipped(value: str | None, limit: int) -> str | None:
    """Context for a deflection is informative only, so an over-long value is cut rather than refused."""
    if not value or not value.strip():
        return None
    return "".join(char for char in " ".join(value.split()) if char.isprintable())[:limit]
