"""Which ticket a reply belongs to: the reference in its subject, or the messages it says it answers.

A reference is trusted only when its check digit holds (bridge/tickets/reference.py), so a typo
never lands a message on somebody else's ticket. In-Reply-To and References are trusted only for
Message-IDs the desk wrote itself (the outbox keeps them) or received on that ticket. Finding the
ticket is not joining it: bridge/accounts/access.py still decides whether the sender may write there.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.mailin.models import InboundMessage
from bridge.mailin.parse import IncomingMail
from bridge.notify.models import OutboxMessage
from bridge.tickets.models import Ticket
from bridge.tickets.reference import InvalidReference, parse_reference
from bridge.tickets.store import get_ticket_by_number

# A reference as people and mail clients leave it: letters, digits and a check digit, dashes or spaces optional.
REFERENCE_IN_TEXT = re.compile(r"\b([A-Za-z]{1,5}[\s-]?\d{7,12}[\s-]?\d)\b")


def ticket_in_subject(session: Session, subject: str, prefix: str) -> Ticket | None:
    """The first ticket whose valid reference the subject carries; a reference that fails its check is skipped."""
    for candidate in REFERENCE_IN_TEXT.findall(subject):
        try:
            number = parse_reference(candidate, prefix)
        except InvalidReference:
            continue
        ticket = get_ticket_by_number(session, number)
        if ticket is not None:
            return ticket
    return None


def ticket_in_thread(session: Session, message_ids: tuple[str, ...]) -> Ticket | None:
    """The ticket of the nearest message named that the desk sent, or received on a ticket."""
    if not message_ids:
        return None
    sent = session.execute(select(OutboxMessage.message_id, OutboxMessage.ticket_id).where(
        OutboxMessage.message_id.in_(message_ids), OutboxMessage.ticket_id.is_not(None))).all()
    received = session.execute(select(InboundMessage.message_id, InboundMessage.ticket_id).where(
        InboundMessage.message_id.in_(message_ids), InboundMessage.ticket_id.is_not(None))).all()
    tickets = {message_id: ticket_id for message_id, ticket_id in [*received, *sent]}
    for message_id in message_ids:
        ticket_id = tickets.get(message_id)
        if ticket_id is not None:
            return session.get(Ticket, ticket_id)
    return None


def ticket_replied_to(session: Session, mail: IncomingMail, prefix: str) -> Ticket | None:
    """The ticket this mail answers, by its subject's reference first, then by the thread; None for new mail."""
    return ticket_in_subject(session, mail.subject, prefix) or ticket_in_thread(session, mail.thread_ids)
