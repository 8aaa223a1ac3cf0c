"""Tables for credits: the ledger, each ticket's assessment, and quotes for work outside the agreement.

The ledger (`credit_entries`) is only ever added to: an organisation's balance is the sum of its
entries, never a number kept beside them, and a mistake is corrected by a new entry, so the
statement a customer reads is the whole story. The assessment and quote rows are the desk's
working state for one ticket (what category it is in, what was offered); they change, and every
change of what is owed lands in the ledger.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Identity, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.accounts.models import Organisation
from bridge.db import Base, UtcDateTime
from bridge.tickets.models import Ticket


class CreditEntry(Base):
    """One movement of credits: positive adds (grant, purchase, refund), negative takes (charge, adjustment)."""

    __tablename__ = "credit_entries"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey(Organisation.id), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey(Ticket.id), index=True)
    # The category a charge, adjustment or refund brought the ticket to, for the desk's figures.
    category: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    # An account's email address, or "system".
    actor: Mapped[str] = mapped_column(String(320))


class TicketAssessment(Base):
    """The board's assessment of one ticket: its category, and whether the customer has approved the cost.

    `category` is what the ticket should be charged; the ledger says what it has been charged, so
    a ticket waiting for credits or for approval has a category and no charge yet.
    """

    __tablename__ = "ticket_assessments"

    ticket_id: Mapped[int] = mapped_column(ForeignKey(Ticket.id), primary_key=True)
    category: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    assessed_by: Mapped[str] = mapped_column(String(320))
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WorkQuote(Base):
    """A price for work outside the agreement (a new requirement, out-of-hours cover), agreed before any work.

    status: offered (the customer is asked), accepted or declined.
    """

    __tablename__ = "work_quotes"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey(Ticket.id), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    timescale: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    offered_by: Mapped[str] = mapped_column(String(320))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
