"""The one place that decides who may see or change a ticket. Every route asks here.

A customer sees the tickets raised from their own address, and, as a nominated contact, their
organisation's tickets for the products they may see. Staff see the tickets of the products whose
review board they sit on; an admin sees every ticket. The same rules are written twice, once as a
query (lists and search) and once over a loaded ticket (every other route), and the access-matrix
test holds the two to each other. A ticket someone may not see is answered exactly like one that
does not exist, so references cannot be probed.

Adding information and closing are the customer's acts; working on a ticket (changing its fields,
replying, internal notes, release, split) is staff's on that product's board, or an admin's
(`may_work_on`), and never a customer's.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from bridge.accounts.identity import Account
from bridge.tickets.models import Ticket
from bridge.tickets.reference import InvalidReference
from bridge.tickets.service import find_ticket


def visible_tickets(account: Account) -> Select[tuple[Ticket]]:
    """Every ticket account may see, as a query the caller narrows (search, status) and orders."""
    return select(Ticket).where(_visible(account))


def board_tickets(account: Account) -> Select[tuple[Ticket]]:
    """The tickets of the boards account sits on (every ticket for an admin; none for anyone else): the desk's
    queue. Narrower than visible_tickets, which also holds a member of staff's own tickets as a customer,
    and written without that OR so the database can answer it from the (product, status) index."""
    staff = account.staff
    rule = false() if staff is None else true() if staff.admin else Ticket.product.in_(staff.boards)
    return select(Ticket).where(rule)


def may_see(account: Account, ticket: Ticket) -> bool:
    return _staff_sees(account, ticket) or _customer_sees(account, ticket)


def may_work_on(account: Account, ticket: Ticket) -> bool:
    """Whether account works on the ticket for the desk (answers, assesses it in credits, quotes work on it):
    staff on its product's board, or an admin."""
    return _staff_sees(account, ticket)


def may_write(account: Account, ticket: Ticket) -> bool:
    """Whether account may add information to the ticket or close it: a customer who may see it."""
    return _customer_sees(account, ticket)


def credits_organisation(account: Account) -> int | None:
    """The organisation whose credits (balance and statement) account may read: a nominated contact's own, else none.

    The statement names every ticket the organisation was charged for, and only nominated contacts
    may see the organisation's tickets."""
    contact = account.contact
    return contact.organisation_id if contact is not None and contact.nominated else None


def ticket_for(session: Session, account: Account, reference: str, prefix: str) -> Ticket | None:
    """The ticket a reference names if account may see it; None alike when it is malformed, missing or not theirs."""
    try:
        ticket = find_ticket(session, reference, prefix)
    except InvalidReference:
        return None
    return ticket if ticket is not None and may_see(account, ticket) else None


def _customer_sees(account: Account, ticket: Ticket) -> bool:
    contact = account.contact
    if ticket.email.lower() == account.email or (contact is not None and ticket.contact_id == contact.id):
        return True
    return bool(contact is not None and contact.nominated and ticket.organisation_id == contact.organisation_id
                and ticket.product in contact.products)


def _staff_sees(account: Account, ticket: Ticket) -> bool:
    return account.staff is not None and (account.staff.admin or ticket.product in account.staff.boards)


def _visible(account: Account) -> ColumnElement[bool]:
    contact, staff = account.contact, account.staff
    rules: list[ColumnElement[bool]] = [func.lower(Ticket.email) == account.email]
    if contact is not None:
        rules.append(Ticket.contact_id == contact.id)
        if contact.nominated and contact.products:
            rules.append(and_(Ticket.organisation_id == contact.organisation_id, Ticket.product.in_(contact.products)))
    if staff is not None:
        rules.append(true() if staff.admin else Ticket.product.in_(staff.boards) if staff.boards else false())
    return or_(*rules)
