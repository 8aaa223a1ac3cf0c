"""The review board's queue: the tickets a staff member's boards own, in the order the desk works them.

Which tickets are a staff member's boards' is bridge.accounts.access's to decide (board_tickets); this
module only narrows and orders them. New tickets nobody has taken come first, since no one is looking at them; then
everything else by its next target (the response target until the first public reply, the resolution
target after), soonest first, so the list reads as "what falls due next". Filters arrive as text from a
form or a query string, and a bad value is refused naming the field, never ignored.

The customer's `GET /api/tickets` shares the route; a customer's list keeps its own order (newest first).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, or_, select
from sqlalchemy.orm import Session, defer

from bridge.accounts.access import board_tickets
from bridge.accounts.identity import Account
from bridge.accounts.models import Organisation, StaffMember
from bridge.desk import targets
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus

# Statuses the desk still has work on; resolved and closed tickets appear only when asked for by status.
ACTIVE = tuple(status for status in TicketStatus if status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED))
YES, NO = ("yes", "true", "1"), ("no", "false", "0")
ME, NOBODY = "me", "none"
MAX_SEARCH_WORDS = 10
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class InvalidFilter(ValueError):
    """A filter value the queue does not know; `fields` names each bad one and says what it may be."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name} {problem}" for name, problem in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class QueueFilters:
    """What the board narrowed the queue to; None means "any"."""

    status: str | None = None
    priority: str | None = None
    # A staff member's address, or NOBODY for tickets no one has taken.
    assignee: str | None = None
    product: str | None = None
    breached: bool | None = None
    withheld: bool | None = None
    # Words that must all appear in the reference, subject or description (as in My tickets).
    words: str = ""

    def as_args(self, me: str) -> dict[str, str]:
        """The filters as a query string again (for links that keep them); `me` is written back as ME."""
        args = {name: getattr(self, name) for name in ("status", "priority", "product")}
        args["q"] = self.words
        args["assignee"] = ME if self.assignee == me else self.assignee
        for name in ("breached", "withheld"):
            value = getattr(self, name)
            args[name] = None if value is None else YES[0] if value else NO[0]
        return {name: value for name, value in args.items() if value}


def parse_filters(args: Mapping[str, str], *, me: str, priorities: Sequence[str], products: Sequence[str],
                  staff: Sequence[str]) -> QueueFilters:
    """Read the filters of a form or query string; blank means any. InvalidFilter names every bad field.

    me is the signed-in address (assignee=me), staff the addresses assignee may name.
    """
    problems: dict[str, str] = {}

    def choice(name: str, allowed: Sequence[str]) -> str | None:
        value = args.get(name, "").strip()
        if value and value not in allowed:
            problems[name] = f"must be one of: {', '.join(allowed)}"
            return None
        return value or None

    def yes_no(name: str) -> bool | None:
        value = args.get(name, "").strip().lower()
        if value and value not in YES + NO:
            problems[name] = "must be yes or no"
        return None if not value or value not in YES + NO else value in YES

    assignee = args.get("assignee", "").strip().lower()
    if assignee == ME:
        assignee = me
    elif assignee and assignee != NOBODY and assignee not in staff:
        problems["assignee"] = f"must be {ME}, {NOBODY} or the address of a member of staff"
    filters = QueueFilters(status=choice("status", [status.value for status in TicketStatus]),
                           priority=choice("priority", priorities), assignee=assignee or None,
                           product=choice("product", products), breached=yes_no("breached"),
                           withheld=yes_no("withheld"), words=args.get("q", ""))
    if problems:
        raise InvalidFilter(problems)
    return filters


def staff_addresses(session: Session) -> list[str]:
    """Everyone a ticket may be assigned to or filtered by, in order."""
    return list(session.scalars(select(StaffMember.email).order_by(StaffMember.email)))


def containing_words(query: Select[tuple[Ticket]], words: str) -> Select[tuple[Ticket]]:
    """query narrowed to tickets whose reference, subject or description holds every word (at most MAX_SEARCH_WORDS)."""
    for word in words.split()[:MAX_SEARCH_WORDS]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\")
                                  for column in (Ticket.reference, Ticket.subject, Ticket.description))))
    return query


def next_target_column() -> ColumnElement[datetime]:
    """bridge.desk.targets.next_target in SQL, to order by: the response target until it is met, then the
    resolution target; none once resolved."""
    return case((Ticket.resolved_at.is_not(None), None), (Ticket.responded_at.is_(None), Ticket.respond_by),
                else_=Ticket.resolve_by)


def board_queue(account: Account, filters: QueueFilters, now: datetime) -> Select[tuple[int]]:
    """The ids of the staff member's queue in order (the caller pages it): new and untaken first, then by next
    target. Resolved and closed tickets have no target left, so asked for by status they come newest first.

    Only ids: the database orders them from the queue's covering index (migration 0012) without reading
    a ticket, and the page's tickets are read afterwards (`queue_tickets`).
    """
    query = containing_words(board_tickets(account), filters.words).with_only_columns(Ticket.id)
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    else:
        query = query.where(Ticket.status.in_([status.value for status in ACTIVE]))
    if filters.priority:
        query = query.where(Ticket.priority == filters.priority)
    if filters.product:
        query = query.where(Ticket.product == filters.product)
    if filters.assignee == NOBODY:
        query = query.where(Ticket.assignee.is_(None))
    elif filters.assignee:
        query = query.where(Ticket.assignee == filters.assignee)
    if filters.withheld is not None:
        query = query.where((Ticket.status == TicketStatus.WITHHELD.value) == filters.withheld)
    if filters.breached is not None:
        clause = targets.breached_condition(now)
        query = query.where(clause if filters.breached else ~clause)
    if filters.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return query.order_by(Ticket.id.desc())
    untaken = case((and_(Ticket.status == TicketStatus.NEW.value, Ticket.assignee.is_(None)), 0), else_=1)
    target = next_target_column()
    return query.order_by(untaken, case((target.is_(None), 1), else_=0), target, Ticket.id)


def queue_tickets(session: Session, account: Account, filters: QueueFilters, now: datetime, *, limit: int,
               offset: int) -> tuple[list[Ticket], bool]:
    """One page of the queue, in order, and whether more follow it."""
    ids = list(session.scalars(board_queue(account, filters, now).offset(offset).limit(limit + 1)))
    # A row never shows the description, the longest column: it is read only if something asks for it.
    page = select(Ticket).where(Ticket.id.in_(ids[:limit])).options(defer(Ticket.description))
    found = {ticket.id: ticket for ticket in session.scalars(page)}
    return [found[i] for i in ids[:limit] if i in found], len(ids) > limit


@dataclass(frozen=True)
class QueueEntry:
    """One row of the queue as the board reads it; `hours_left` is business time to the next target
    (negative once past it, frozen while the ticket waits on the customer), None when there is none."""

    ticket: Ticket
    organisation: str | None
    target: datetime | None
    hours_left: float | None
    breached: bool


def queue_entries(session: Session, tickets: Sequence[Ticket], now: datetime,
                  calendar: BusinessCalendar) -> list[QueueEntry]:
    """The rows for tickets, their organisations read in one query."""
    ids = {ticket.organisation_id for ticket in tickets if ticket.organisation_id is not None}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))) if ids else []
    names = {key: name for key, name in rows}
    entries = []
    for ticket in tickets:
        entries.append(QueueEntry(ticket=ticket, organisation=names.get(ticket.organisation_id),
                                  target=targets.next_target(ticket), hours_left=targets.hours_left(ticket, calendar, now),
                                  breached=targets.breached(ticket, now)))
    return entries
