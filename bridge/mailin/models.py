"""Every email the desk receives, stored as it arrived before anything is done with it.

The row is committed before the message is read for a ticket (bridge/mailin/receive.py), so an
email the desk accepted is never lost: a crash or a bug leaves it `received`, and the next
delivery of the same message (the mail server retrying, the IMAP poller fetching it again)
finishes it. `message_key` is unique, so the same Message-ID handled twice changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Identity, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base, UtcDateTime

RECEIVED = "received"
HANDLED = "handled"
MAX_MESSAGE_ID = 998  # RFC 5322's longest line


class InboundMessage(Base):
    """One received email: its bytes, who sent it, and what the desk did with it (outcome, ticket, bounced mail)."""

    __tablename__ = "inbound_messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    # SHA-256 of the Message-ID, or of the bytes when the message has none: unique, so nothing is handled twice.
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(MAX_MESSAGE_ID), index=True)
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What it became (bridge.mailin.receive.Outcome) and why, in words for whoever reads the table.
    outcome: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # A bounce: the message of ours it reports as undelivered.
    bounced_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
