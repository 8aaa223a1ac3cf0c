"""The ticket lifecycle, declared once: which status may follow which, and the record of every change.

The customer's pages (issue 14) and the desk's review board (the next issue) both move tickets
through `change_status`, so neither can invent a transition and every change leaves an event
saying who made it, when, from what and to what. Nothing returns to `new` (it means "nobody has
looked yet") but a withheld ticket the board releases, which nobody has worked on either; `closed`
is final: a closed ticket is followed up by a new ticket instead.
Like the rest of the domain, these functions add to the caller's session and never commit.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.tickets.models import Ticket, TicketEvent
from bridge.tickets.status import TicketStatus

SYSTEM = "system"

_S = TicketStatus
# Work that costs credits or was quoted waits for the customer's approval, or for credits, from any
# working status (bridge/credits); approval or credits reopen the work, declining closes the ticket.
_CHARGEABLE = frozenset({_S.AWAITING_APPROVAL, _S.AWAITING_CREDITS})
TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    _S.NEW: frozenset({_S.OPEN, _S.IN_PROGRESS, _S.WAITING_ON_CUSTOMER, _S.RESOLVED, _S.CLOSED}) | _CHARGEABLE,
    _S.OPEN: frozenset({_S.IN_PROGRESS, _S.WAITING_ON_CUSTOMER, _S.RESOLVED, _S.CLOSED}) | _CHARGEABLE,
    _S.IN_PROGRESS: frozenset({_S.OPEN, _S.WAITING_ON_CUSTOMER, _S.RESOLVED, _S.CLOSED}) | _CHARGEABLE,
    _S.WAITING_ON_CUSTOMER: frozenset({_S.OPEN, _S.IN_PROGRESS, _S.RESOLVED, _S.CLOSED}) | _CHARGEABLE,
    # A customer who finds the fix did not hold reopens; one who agrees signs off by closing.
    _S.RESOLVED: frozenset({_S.OPEN, _S.CLOSED}),
    _S.CLOSED: frozenset(),
    # The board releases a withheld ticket into the queue as new (its targets start then) or closes
    # it; the customer may close it.
    _S.WITHHELD: frozenset({_S.NEW, _S.CLOSED}),
    _S.AWAITING_APPROVAL: frozenset({_S.OPEN, _S.IN_PROGRESS, _S.AWAITING_CREDITS, _S.CLOSED}),
    _S.AWAITING_CREDITS: frozenset({_S.OPEN, _S.IN_PROGRESS, _S.AWAITING_APPROVAL, _S.CLOSED}),
}
# What a ticket may start as: received normally, or stored with support withheld.
INITIAL: frozenset[TicketStatus] = frozenset({_S.NEW, _S.WITHHELD})


class TransitionRefused(ValueError):
    """A status change the lifecycle does not allow; `allowed` lists what the ticket may move to instead."""

    def __init__(self, from_status: TicketStatus, to_status: TicketStatus) -> None:
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = sorted(TRANSITIONS[from_status])
        options = ", ".join(self.allowed) or "nothing: it is final"
        super().__init__(f"a {from_status} ticket cannot become {to_status}; it may become {options}")


def allowed_next(ticket: Ticket) -> frozenset[TicketStatus]:
    """The statuses this ticket may move to now (what a page offers as buttons)."""
    return TRANSITIONS[TicketStatus(ticket.status)]


def record_created(session: Session, ticket: Ticket, *, actor: str, now: datetime,
                   detail: Mapping[str, Any] | None = None) -> TicketEvent:
    """The first event of a (flushed) ticket: from nothing to its initial status, so the history starts at the start."""
    status = TicketStatus(ticket.status)
    if status not in INITIAL:
        raise ValueError(f"a ticket cannot start as {status}; it starts as one of {', '.join(sorted(INITIAL))}")
    return record_event(session, ticket, kind="created", actor=actor, now=now, to_status=status, detail=detail)


def change_status(session: Session, ticket: Ticket, to: TicketStatus, *, actor: str, now: datetime,
                  detail: Mapping[str, Any] | None = None) -> TicketEvent:
    """Move ticket to `to` if the lifecycle allows it and record who did it; raises TransitionRefused otherwise."""
    current = TicketStatus(ticket.status)
    if to not in TRANSITIONS[current]:
        raise TransitionRefused(current, to)
    ticket.status = to.value
    ticket.updated_at = now
    return record_event(session, ticket, kind="status", actor=actor, now=now, from_status=current, to_status=to,
                        detail=detail)


def record_event(session: Session, ticket: Ticket, *, kind: str, actor: str, now: datetime,
                 from_status: TicketStatus | None = None, to_status: TicketStatus | None = None,
                 detail: Mapping[str, Any] | None = None) -> TicketEvent:
    """Add an event to the ticket's history (a message, an attachment, a status change) in the caller's session."""
    event = TicketEvent(ticket_id=ticket.id, at=now, actor=actor, kind=kind,
                        from_status=from_status.value if from_status else None,
                        to_status=to_status.value if to_status else None,
                        detail=dict(detail) if detail else None)
    session.add(event)
    return event


def history(session: Session, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's events, oldest first."""
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.at, TicketEvent.id)))
