"""Database tables for tickets and for the mail outbox.

The outbox lives next to the tickets so that a ticket and its acknowledgement
are written in one transaction: a ticket is never stored without its mail, and
a mail is never queued for a ticket that was rolled back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Dialect, ForeignKey, Identity, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utc_now() -> datetime:
    """The current time as an aware UTC datetime, the only kind of datetime we store."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that always goes in and comes out as aware UTC.

    PostgreSQL keeps the offset, SQLite silently drops it; storing UTC and
    re-attaching UTC on the way out gives the same aware values on both.
    Naive datetimes are refused because their time zone is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base whose metadata Alembic compares against the migrations.

    Named constraints let later migrations drop or alter them by name, which
    SQLite's batch mode needs.
    """

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


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
    status: Mapped[str] = mapped_column(String, default="new", server_default="new")
    query: Mapped[str | None] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(Text)
    suggested_articles: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    acknowledge_by: Mapped[datetime] = mapped_column(UtcDateTime)
    respond_by: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class OutboxMessage(Base):
    """An email waiting to be sent (or already sent), stored exactly as it will go on the wire.

    next_attempt_at is NULL once there is nothing left to do: the message was
    sent, or the sender was configured to give up after max_attempts.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String)
    recipient: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


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
