"""Who made a change to a ticket, told the way its customers may read it.

Every event records its actor's address (bridge/tickets/lifecycle.py). On the customer's page
and in their API the reader is "you", a customer is named as the conversation names them (a
nominated contact reads a colleague's name there already), any member of staff is "the support
team", and the bridge itself (SYSTEM) acts "automatically". Staff addresses and names stay on
the desk's side: which of them moved a ticket is the board's business, while a reply still
carries its author's name as a letter would.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.accounts.models import Contact, StaffMember
from bridge.tickets.lifecycle import SYSTEM
from bridge.tickets.models import Ticket

CUSTOMER, STAFF, AUTOMATIC = "customer", "staff", "system"


@dataclass(frozen=True)
class Actor:
    """Who did something, as a customer reads it: a role, a name only for customers, and whether it was the reader."""

    role: str
    name: str | None
    you: bool = False

    @property
    def label(self) -> str:
        """The words after "by" on the ticket's page (or "automatically")."""
        if self.you:
            return "by you"
        if self.role == STAFF:
            return "by the support team"
        if self.role == AUTOMATIC:
            return "automatically"
        return f"by {self.name}"

    def as_json(self) -> dict[str, object]:
        return {"role": self.role, "name": self.name, "you": self.you}


def actors_for_customer(session: Session, ticket: Ticket, reader: str, addresses: Iterable[str]) -> dict[str, Actor]:
    """Each address (as events record it) told for reader, a customer or staff member who may see ticket."""
    wanted = {address.lower() for address in addresses if address != SYSTEM}
    staff = set(session.scalars(select(StaffMember.email).where(func.lower(StaffMember.email).in_(wanted))))
    names = {email: name for email, name in session.execute(
        select(func.lower(Contact.email), Contact.name).where(func.lower(Contact.email).in_(wanted)))}
    names.setdefault(ticket.email.lower(), ticket.name)
    told = {SYSTEM: Actor(AUTOMATIC, None)}
    for address in wanted:
        you = address == reader.lower()
        if address in staff:
            told[address] = Actor(STAFF, None, you)
        else:
            told[address] = Actor(CUSTOMER, names.get(address, "another customer"), you)
    return told


def ledger_actors(session: Session, reader: str, addresses: Iterable[str]) -> dict[str, Actor]:
    """Who made each credits entry (as the ledger records them), told for reader, a contact of the organisation.

    A contact is named (or is "you") and the bridge acts automatically; anyone else is the desk's side,
    a member of staff or the operator who ran `kb credits` (recorded by login name), so the support team.
    """
    wanted = {address.lower() for address in addresses if address != SYSTEM}
    names = {email: name for email, name in session.execute(
        select(func.lower(Contact.email), Contact.name).where(func.lower(Contact.email).in_(wanted)))}
    told = {SYSTEM: Actor(AUTOMATIC, None)}
    for address in wanted:
        you = address == reader.lower()
        told[address] = Actor(CUSTOMER, names[address], you) if address in names else Actor(STAFF, None, you)
    return told
