"""Database tables for tickets and for the articles that made a ticket unnecessary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Identity, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base, UtcDateTime, utc_now
from bridge.tickets.status import TicketStatus


class Ticket(Base):
    """A customer's support request; its id is the ticket number the reference is made from."""

    __tablename__ = "tickets"
    # AUTOINCREMENT stops SQLite from reusing the number of a deleted last row.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    # NULL only between the INSERT and the UPDATE that follows it in the same
    # transaction, because the reference is derived from the generated id.
    reference: Mapped[str] = mapped_column(String(32), nullable=True, unique=True, index=True)
    email: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    product: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text)
    request_type: Mapped[str] = mapped_column(String)
    covered: Mapped[bool]
    priority: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String, default=TicketStatus.NEW.value, server_default=TicketStatus.NEW.value)
    query: Mapped[str | None] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(Text)
    suggested_articles: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    acknowledge_by: Mapped[datetime] = mapped_column(UtcDateTime)
    respond_by: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class Deflection(Base):
    """A suggested article that solved the problem ("This solved it"), so no ticket was raised.

    Counted next to tickets, deflections show which articles save the desk work. They are not
    tickets: no reference, no targets, no mail.
    """

    __tablename__ = "deflections"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    article_url: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)


class IdempotencyKey(Base):
    """A client's Idempotency-Key for a ticket it raised, so a retried submission returns that ticket (24 hours).

    key_digest is a hash of the customer's email address and the key together: a key is only
    ever looked up for the same address, and neither the key nor the address is stored twice.
    fingerprint is a hash of what was submitted, to tell a retry from a different request
    that reuses the key.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
