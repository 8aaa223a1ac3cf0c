"""Storing tickets together with their acknowledgement email.

The ticket and the queued acknowledgement commit in one transaction, before
anything is sent: a mail outage can delay the acknowledgement but never lose
the ticket, and a failed ticket never sends a mail quoting a dead reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bridge.notify.compose import OutgoingMail
from bridge.tickets.models import OutboxMessage, Ticket, utc_now
from bridge.tickets.reference import format_reference

ACKNOWLEDGEMENT = "acknowledgement"


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
    query: str | None = None
    page: str | None = None
    suggested_articles: Sequence[Mapping[str, str]] = ()


def new_ticket(draft: NewTicket, *, covered: bool, acknowledge_by: datetime, respond_by: datetime,
               now: datetime) -> Ticket:
    """The row for a submission, before it is stored: no id or reference yet."""
    return Ticket(
        email=draft.email,
        name=draft.name,
        product=draft.product,
        subject=draft.subject,
        description=draft.description,
        request_type=draft.request_type,
        covered=covered,
        priority=draft.priority,
        query=draft.query,
        page=draft.page,
        suggested_articles=[{"title": article["title"], "url": article["url"]} for article in draft.suggested_articles],
        acknowledge_by=acknowledge_by,
        respond_by=respond_by,
        created_at=now,
        updated_at=now,
    )


def create_ticket(
    session: Session,
    draft: NewTicket,
    *,
    reference_prefix: str,
    acknowledge_by: datetime,
    respond_by: datetime,
    covered: bool,
    compose_mail: Callable[[Ticket], OutgoingMail],
) -> Ticket:
    """Store a ticket and queue its acknowledgement atomically, then commit.

    The reference is made from the database-generated id, so it is unique across
    processes and backends without any coordination of our own. If composing the
    mail fails, nothing is stored and the error propagates.
    """
    now = utc_now()
    ticket = new_ticket(draft, covered=covered, acknowledge_by=acknowledge_by, respond_by=respond_by, now=now)
    try:
        session.add(ticket)
        session.flush()
        ticket.reference = format_reference(ticket.id, reference_prefix)
        mail = compose_mail(ticket)
        session.add(
            OutboxMessage(
                ticket_id=ticket.id,
                kind=ACKNOWLEDGEMENT,
                recipient=mail.recipient,
                subject=mail.subject,
                message=mail.message,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ticket


def get_ticket_by_number(session: Session, number: int) -> Ticket | None:
    """The ticket with this number (as parsed from a reference), or None."""
    return session.get(Ticket, number)
