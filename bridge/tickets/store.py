"""Storing tickets together with their acknowledgement email.

The ticket and the queued acknowledgement are added to the caller's transaction, before
anything is sent: a mail outage can delay the acknowledgement but never lose the ticket, and a
ticket that is rolled back never sends a mail quoting a dead reference. The caller commits, so a
later step (an audit event, a credit charge) can join the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bridge.accounts.models import Contact
from bridge.db import utc_now
from bridge.notify.compose import OutgoingMail
from bridge.notify.outbox import queue_mail
from bridge.tickets.entitlement import WithheldReason
from bridge.tickets.lifecycle import record_created
from bridge.tickets.models import Ticket
from bridge.tickets.numbers import reserve_number
from bridge.tickets.reference import format_reference
from bridge.tickets.status import TicketStatus

ACKNOWLEDGEMENT = "acknowledgement"


@dataclass(frozen=True)
class PendingMail:
    """A mail about a new ticket, composed before the ticket is written and queued with it (kind as the outbox keeps it)."""

    kind: str
    mail: OutgoingMail


@dataclass(frozen=True)
class NewTicket:
    """What the customer submitted, already validated; everything else is decided by the desk's policy."""

    email: str
    name: str
    product: str
    subject: str
    description: str
    request_type: str
    priority: str
    credit_consent: str | None = None  # "agree" or "quote_first" on a desk that charges credits
    cover_from: datetime | None = None  # out-of-hours cover asked for from then (quoted before it is agreed)
    query: str | None = None
    page: str | None = None
    suggested_articles: Sequence[Mapping[str, str]] = ()


def new_ticket(draft: NewTicket, *, covered: bool, acknowledge_by: datetime, respond_by: datetime | None,
               now: datetime, contact: Contact | None = None, withheld: WithheldReason | None = None,
               resolve_by: datetime | None = None) -> Ticket:
    """The row for a submission, before it is stored: no id or reference yet.

    It belongs to the contact who raised it and their organisation (neither for an unknown
    address); a withheld ticket starts as `withheld`, with its reason and no response target.
    """
    return Ticket(
        status=TicketStatus.WITHHELD.value if withheld else TicketStatus.NEW.value,
        withheld_reason=withheld.value if withheld else None,
        contact_id=contact.id if contact else None,
        organisation_id=contact.organisation_id if contact else None,
        email=draft.email,
        name=draft.name,
        product=draft.product,
        subject=draft.subject,
        description=draft.description,
        request_type=draft.request_type,
        covered=covered,
        priority=draft.priority,
        credit_consent=draft.credit_consent,
        cover_from=draft.cover_from,
        query=draft.query,
        page=draft.page,
        suggested_articles=[{"title": article["title"], "url": article["url"]} for article in draft.suggested_articles],
        acknowledge_by=acknowledge_by,
        respond_by=respond_by,
        resolve_by=resolve_by,
        created_at=now,
        updated_at=now,
    )


def create_ticket(
    session: Session,
    draft: NewTicket,
    *,
    reference_prefix: str,
    acknowledge_by: datetime,
    respond_by: datetime | None,
    covered: bool,
    compose_mail: Callable[[Ticket], OutgoingMail] | None,
    contact: Contact | None = None,
    withheld: WithheldReason | None = None,
    resolve_by: datetime | None = None,
    now: datetime | None = None,
    actor: str | None = None,
    more_mail: Callable[[Ticket], Sequence[PendingMail]] | None = None,
) -> Ticket:
    """Add a ticket and its queued acknowledgement to the session; the caller commits.

    The ticket's number is reserved first (bridge/tickets/numbers.py), so the acknowledgement and
    more_mail (others told of the ticket, such as its board), which quote the reference, are
    composed and checked before anything is written: on SQLite the write lock is then held only
    to store the rows. If composing a mail fails, nothing was added and the error propagates.
    actor is who raised it: its requester, unless the board raised it for them (a split).
    compose_mail None stores the ticket without an acknowledgement (mail in, past its limit per
    address).
    """
    now = now or utc_now()
    ticket = new_ticket(draft, covered=covered, acknowledge_by=acknowledge_by, respond_by=respond_by, now=now,
                        contact=contact, withheld=withheld, resolve_by=resolve_by)
    ticket.id = reserve_number(session)
    ticket.reference = format_reference(ticket.id, reference_prefix)
    pending = [PendingMail(ACKNOWLEDGEMENT, compose_mail(ticket))] if compose_mail is not None else []
    pending += more_mail(ticket) if more_mail is not None else []
    session.add(ticket)
    session.flush()
    record_created(session, ticket, actor=actor or ticket.email, now=now,
                   detail={"withheld_reason": withheld.value} if withheld else None)
    for each in pending:
        queue_mail(session, each.mail, kind=each.kind, ticket_id=ticket.id, now=now)
    return ticket


def get_ticket_by_number(session: Session, number: int) -> Ticket | None:
    """The ticket with this number (as parsed from a reference), or None."""
    return session.get(Ticket, number)
