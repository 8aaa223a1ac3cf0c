"""The ledger: adding entries, reading a balance and a statement, and the lock that keeps a balance honest.

Entries are only added (`record`); nothing here or anywhere else updates or deletes one, and a
test watches every statement to prove it. The balance is the sum of the entries, read inside
`lock_organisation`, so two requests that would both spend the last credits take turns: the
second reads the balance the first left. Like the rest of the domain, these functions add to
the caller's session and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bridge.accounts.models import Organisation
from bridge.credits.models import CreditEntry
from bridge.tickets.models import Ticket


class EntryKind(StrEnum):
    GRANT = "grant"
    PURCHASE = "purchase"
    CHARGE = "charge"
    ADJUSTMENT = "adjustment"
    REFUND = "refund"


def lock_organisation(session: Session, organisation_id: int) -> None:
    """Hold the organisation's credits until the caller's transaction ends; read its balance only after this.

    PostgreSQL locks the organisation's row (SELECT ... FOR UPDATE): a second request waits here
    until the first commits, then reads what it wrote. SQLite locks the whole database for
    writing, so an UPDATE that changes nothing takes that lock now, before the balance is read,
    instead of at the first INSERT, when the balance would already be stale. The lock is on the
    organisation, never on the ledger, which is only ever added to.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Organisation.id).where(Organisation.id == organisation_id).with_for_update())
    else:
        session.execute(update(Organisation).where(Organisation.id == organisation_id)
                        .values(id=Organisation.id).execution_options(synchronize_session=False))


def balance(session: Session, organisation_id: int) -> int:
    """The organisation's credits: the sum of its entries."""
    return session.scalar(select(func.coalesce(func.sum(CreditEntry.amount), 0))
                          .where(CreditEntry.organisation_id == organisation_id)) or 0


def charged_for(session: Session, ticket_id: int) -> int:
    """What the ticket has cost so far, net of adjustments and refunds (positive when credits were taken)."""
    return -(session.scalar(select(func.coalesce(func.sum(CreditEntry.amount), 0))
                            .where(CreditEntry.ticket_id == ticket_id)) or 0)


def record(session: Session, organisation_id: int, kind: EntryKind, amount: int, *, note: str, actor: str,
           now: datetime, ticket_id: int | None = None, category: str | None = None) -> CreditEntry:
    """Add one entry; charges and adjustments that take credits are negative, the rest positive."""
    entry = CreditEntry(organisation_id=organisation_id, kind=kind.value, amount=amount, note=note, actor=actor,
                        at=now, ticket_id=ticket_id, category=category)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class StatementLine:
    """One entry as a customer or the desk reads it."""

    at: datetime
    kind: str
    amount: int
    ticket: str | None
    note: str
    by: str

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "kind": self.kind, "amount": self.amount, "ticket": self.ticket,
                "note": self.note, "by": self.by}


@dataclass(frozen=True)
class Statement:
    balance: int
    entries: list[StatementLine]

    def as_json(self) -> dict[str, Any]:
        return {"balance": self.balance, "entries": [line.as_json() for line in self.entries]}


def statement(session: Session, organisation_id: int) -> Statement:
    """Every entry of the organisation in the order they were written, with the balance they add up to."""
    rows = session.execute(select(CreditEntry, Ticket.reference).outerjoin(Ticket, CreditEntry.ticket_id == Ticket.id)
                           .where(CreditEntry.organisation_id == organisation_id)
                           .order_by(CreditEntry.id)).all()
    lines = [StatementLine(entry.at, entry.kind, entry.amount, reference, entry.note, entry.actor)
             for entry, reference in rows]
    return Statement(balance=sum(line.amount for line in lines), entries=lines)
