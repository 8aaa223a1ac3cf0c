"""The mail outbox table: every mail the bridge sends is stored here first, then delivered.

It shares the database (and so the transaction) with the tickets, so a ticket and its
acknowledgement are written together: a ticket is never stored without its mail, and a mail is
never queued for a ticket that was rolled back.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Identity, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base, UtcDateTime, utc_now


class OutboxMessage(Base):
    """An email waiting to be sent (or already sent), stored exactly as it will go on the wire.

    next_attempt_at is NULL once there is nothing left to do: the message was sent (sent_at), or
    the sender gave up on it (failed_at, with the reason in last_error), after max_attempts or at
    once when the mail server refused it for good.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String)
    recipient: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    # The Message-ID we gave it, so a reply's In-Reply-To or References finds the ticket (bridge/mailin).
    message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
