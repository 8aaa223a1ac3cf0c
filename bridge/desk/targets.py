"""The targets a ticket is held to, in business time, and whether it missed them.

Two promises per ticket: a response (`respond_by`, met by the first public reply from staff,
`responded_at`) and, where the policy gives one, a resolution (`resolve_by`, met when the ticket
is resolved or closed, `resolved_at`). The clock stops while the ticket waits on the customer:
`waiting_since` is set then, and when the ticket leaves that status every open target moves on
by the business time waited, so a ticket that waited 3 business hours is due 3 business hours
later. Targets are stored as instants, not computed on read, so the queue can filter and order
by them in SQL; `breached_condition` is the same rule as `breached`, written as a query.

Plain Python over the caller's session, like the rest of the domain: nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, literal, or_
from sqlalchemy.orm import Session

from bridge.db import UtcDateTime
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.lifecycle import history
from bridge.tickets.models import Ticket
from bridge.tickets.policy import Priority
from bridge.tickets.status import TicketStatus

# The clock stops while the customer has the next move: an answer, or (bridge/credits) approving a
# cost or buying credits; bridge/credits stops and restarts it the same way, through waiting_since.
PAUSED = frozenset({TicketStatus.WAITING_ON_CUSTOMER.value, TicketStatus.AWAITING_APPROVAL.value,
                    TicketStatus.AWAITING_CREDITS.value})
# Entering either meets the resolution target; a resolved ticket reopened owes it again.
RESOLVING = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)


@dataclass(frozen=True)
class TargetState:
    """Where a ticket stands against its targets at a moment, as the queue and the API show it.

    hours_left is business time to the next target not yet met (negative once past it; frozen
    while the clock is stopped), None when no target is open.
    """

    respond_by: datetime | None
    responded_at: datetime | None
    resolve_by: datetime | None
    resolved_at: datetime | None
    paused: bool
    breached: bool
    hours_left: float | None

    def as_json(self) -> dict[str, object]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {"respond_by": iso(self.respond_by), "responded_at": iso(self.responded_at),
                "resolve_by": iso(self.resolve_by), "resolved_at": iso(self.resolved_at), "paused": self.paused,
                "breached": self.breached,
                "hours_left": None if self.hours_left is None else round(self.hours_left, 2)}


def start_targets(ticket: Ticket, priority: Priority, calendar: BusinessCalendar, start: datetime,
                  waited_hours: float = 0.0) -> None:
    """Set both targets as counted from start, moved on by business hours the ticket already waited."""
    ticket.respond_by = _later(calendar, calendar.due(start, priority), waited_hours)
    resolve_by = calendar.resolution_due(start, priority)
    ticket.resolve_by = None if resolve_by is None else _later(calendar, resolve_by, waited_hours)


def recompute_for_priority(session: Session, ticket: Ticket, priority: Priority, calendar: BusinessCalendar) -> None:
    """A new priority's targets, counted from when the clock started (creation, or the release of a withheld
    ticket) and moved on by every finished wait on the customer; a withheld ticket has none yet."""
    if ticket.status == TicketStatus.WITHHELD:
        return
    start, waited = _clock_start_and_waits(session, ticket, calendar)
    start_targets(ticket, priority, calendar, start, waited)


def after_status_change(ticket: Ticket, calendar: BusinessCalendar, now: datetime) -> None:
    """Keep the clock in step with the status just set: stop it while the customer has the next move,
    restart it (moving the open targets on) when the wait ends, and note the resolution target met or
    owed again.

    Safe to call after any change, by anyone (staff, the customer's message, mail in): it only
    acts on a difference between the status and the clock.
    """
    if ticket.status in PAUSED:
        if ticket.waiting_since is None:
            ticket.waiting_since = now
    elif ticket.waiting_since is not None:
        waited = calendar.business_hours_between(ticket.waiting_since, now)
        if ticket.responded_at is None and ticket.respond_by is not None:
            ticket.respond_by = _later(calendar, ticket.respond_by, waited)
        if ticket.resolved_at is None and ticket.resolve_by is not None:
            ticket.resolve_by = _later(calendar, ticket.resolve_by, waited)
        ticket.waiting_since = None
    if ticket.status in RESOLVING:
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None


def record_response(ticket: Ticket, now: datetime) -> None:
    """A public reply from staff: the first one meets the response target."""
    ticket.responded_at = ticket.responded_at or now


def breached(ticket: Ticket, now: datetime) -> bool:
    """Whether any target was missed: met late, or still open and past due (counting only until the clock stopped)."""
    stopped = ticket.waiting_since or now
    response = ticket.respond_by is not None and (ticket.responded_at or ticket.resolved_at or stopped) > ticket.respond_by
    resolution = ticket.resolve_by is not None and (ticket.resolved_at or stopped) > ticket.resolve_by
    return response or resolution


def breached_condition(now: datetime) -> ColumnElement[bool]:
    """`breached` as a query condition, for the queue's filter and counts."""
    moment = literal(now, UtcDateTime())
    response_met = func.coalesce(Ticket.responded_at, Ticket.resolved_at, Ticket.waiting_since, moment)
    resolution_met = func.coalesce(Ticket.resolved_at, Ticket.waiting_since, moment)
    return or_(and_(Ticket.respond_by.is_not(None), response_met > Ticket.respond_by),
               and_(Ticket.resolve_by.is_not(None), resolution_met > Ticket.resolve_by))


def next_target(ticket: Ticket) -> datetime | None:
    """The target the desk is working to now: the response until it is met, then the resolution."""
    if ticket.resolved_at is not None:
        return None
    if ticket.responded_at is None and ticket.respond_by is not None:
        return ticket.respond_by
    return ticket.resolve_by


def hours_left(ticket: Ticket, calendar: BusinessCalendar, now: datetime) -> float | None:
    """Business hours to the next target (negative when past it), frozen while waiting on the customer."""
    target = next_target(ticket)
    if target is None:
        return None
    return calendar.business_hours_between(ticket.waiting_since or now, target)


def state(ticket: Ticket, calendar: BusinessCalendar, now: datetime) -> TargetState:
    return TargetState(respond_by=ticket.respond_by, responded_at=ticket.responded_at, resolve_by=ticket.resolve_by,
                       resolved_at=ticket.resolved_at, paused=ticket.waiting_since is not None,
                       breached=breached(ticket, now), hours_left=hours_left(ticket, calendar, now))


def _later(calendar: BusinessCalendar, due: datetime, waited_hours: float) -> datetime:
    """due moved on by waited business hours: an hour of waiting costs the desk nothing."""
    return calendar.add_business_hours(due, waited_hours) if waited_hours > 0 else due


def _clock_start_and_waits(session: Session, ticket: Ticket, calendar: BusinessCalendar) -> tuple[datetime, float]:
    """When the clock started (the last release from withheld, else creation) and the business hours of
    every wait on the customer since that has ended (the current one is added when it ends)."""
    start, waited, waiting_from = ticket.created_at, 0.0, None
    for event in history(session, ticket):
        if event.kind != "status":
            continue
        if event.from_status == TicketStatus.WITHHELD:
            start, waited = event.at, 0.0
        if event.to_status in PAUSED:
            waiting_from = waiting_from or event.at
        elif event.from_status in PAUSED and waiting_from is not None:
            waited += calendar.business_hours_between(waiting_from, event.at)
            waiting_from = None
    return start, waited
