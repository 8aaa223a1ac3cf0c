"""The tickets linked to one: the ticket it was split from or into, and the follow-ups either way.

The staff's page lists them with how each is linked and the desk's JSON names them by reference;
both read them here, in one query.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bridge.tickets.models import Ticket

SPLIT_FROM, SPLIT_INTO, FOLLOWS_UP, FOLLOWED_UP_BY = "Split from", "Split into", "Follows up", "Followed up by"
ORDER = (SPLIT_FROM, SPLIT_INTO, FOLLOWS_UP, FOLLOWED_UP_BY)


def linked_tickets(session: Session, ticket: Ticket) -> list[tuple[str, Ticket]]:
    """Each linked ticket with how it is linked, in ORDER and then by number."""
    others = session.scalars(select(Ticket).where(or_(Ticket.id == ticket.split_from, Ticket.split_from == ticket.id,
                                                      Ticket.id == ticket.follows_up, Ticket.follows_up == ticket.id)))
    links = [(_how(ticket, other), other) for other in others if other.id != ticket.id]
    return sorted(links, key=lambda link: (ORDER.index(link[0]), link[1].id))


def _how(ticket: Ticket, other: Ticket) -> str:
    if other.id == ticket.split_from:
        return SPLIT_FROM
    if other.split_from == ticket.id:
        return SPLIT_INTO
    if other.id == ticket.follows_up:
        return FOLLOWS_UP
    return FOLLOWED_UP_BY
