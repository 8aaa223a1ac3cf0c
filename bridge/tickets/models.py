"""Database tables for tickets, their history of events, and the articles that made a ticket unnecessary."""

from __future__ import annotations

from datetime import datetime

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Identity, Index, Integer, SmallInteger, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bridge.accounts.models import Contact, Organisation
from bridge.db import Base, UtcDateTime, utc_now
from bridge.tickets.status import TicketStatus


QUEUE_COLUMNS = ("product", "status", "assignee", "priority", "respond_by", "responded_at", "resolve_by", "resolved_at",
                 "waiting_since")


class Ticket(Base):
    """A customer's support request; its id is the ticket number the reference is made from."""

    __tablename__ = "tickets"
    # AUTOINCREMENT stops SQLite from reusing the number of a deleted last row. The board's queue
    # (bridge/desk/queue.py) filters by product, status, assignee and priority and orders by the
    # targets: this index holds every column it reads, so the database orders a board's open tickets
    # without reading one (benchmarks/RESULTS.md, "the board's queue"); (product, status, id) gives its
    # resolved and closed tickets newest first without sorting them.
    __table_args__ = (
        Index("ix_tickets_product_status_id", "product", "status", "id"),
        Index("ix_tickets_queue", *QUEUE_COLUMNS),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    # Made from the id, which is reserved before the row is written (bridge/tickets/numbers.py).
    # Nullable because tickets were once inserted first and given their reference after.
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
    # Why support is withheld (bridge.tickets.entitlement.WithheldReason); None when it is not.
    withheld_reason: Mapped[str | None] = mapped_column(String)
    # Who raised it: the contact (None for an address the desk does not know) and their organisation.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey(Contact.id), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey(Organisation.id), index=True)
    query: Mapped[str | None] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(Text)
    suggested_articles: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    acknowledge_by: Mapped[datetime] = mapped_column(UtcDateTime)
    # None while support is withheld: the response target starts only when the board releases the ticket.
    respond_by: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)
    # The customer's sign-off (bridge.tickets.conversation.close): when, and how they rated the support.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    # A closed ticket takes no more messages; a new one raised from it links back here.
    follows_up: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The review board's side (bridge/desk): who works on it (a staff member's address), the
    # targets met (responded_at: the first public reply from staff) and the resolution target.
    assignee: Mapped[str | None] = mapped_column(String(320), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolve_by: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set while the ticket waits on the customer: the targets' clock is stopped from then
    # (bridge/desk/targets.py moves them on by the business time waited when it restarts).
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A ticket split off another (one issue per ticket) points at it; the other finds it by this column.
    split_from: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # Flagged by the board: the question deserves an article, so it is listed in `kb gaps`.
    needs_article: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # On a desk that charges credits: "agree" (charge the assessment at once) or "quote_first" (ask first).
    credit_consent: Mapped[str | None] = mapped_column(String(16))
    # Out-of-hours cover the customer asked for: when it should start (quoted before it is agreed).
    cover_from: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TicketEvent(Base):
    """One thing that happened to a ticket: who did it, when, and for a status change, from what to what.

    Rows are only ever added (bridge.tickets.lifecycle), so the ticket's history is the list of
    its events in order; the customer's status history and the desk's audit trail both read it.
    """

    __tablename__ = "ticket_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # An account's email address, or "system" for what the bridge does by itself.
    actor: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


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
