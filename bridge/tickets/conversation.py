"""The customer's side of a ticket after it is raised: adding information, and closing it as sign-off.

Messages and their attachments join the caller's transaction, like everything the desk does;
nothing here commits. Attachments are kept in the database, not as files: they are stored and
rolled back with their message, backed up with the tickets, reachable only through the ticket
they belong to (so only through bridge.accounts.access), and there is no file path to get wrong.
KB_ATTACHMENT_MAX_MB bounds what that costs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Identity, Integer, LargeBinary, String, Text, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bridge.db import Base, UtcDateTime
from bridge.tickets.lifecycle import change_status, record_event
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus
from bridge.tickets.validation import MAX_LENGTHS

MAX_BODY = MAX_LENGTHS["description"]
MAX_COMMENT = 2000
MAX_ATTACHMENTS = 5
MAX_FILENAME = 200
# Served as themselves; anything else is served as application/octet-stream (bridge/web/account_tickets.py).
SAFE_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"})
# A customer's message wakes a ticket that was waiting on them or that they are told is resolved.
REOPENED_BY_A_MESSAGE = (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED)


class TicketMessage(Base):
    """One message on a ticket's conversation; internal ones (staff notes) are never shown to customers."""

    __tablename__ = "ticket_messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_email: Mapped[str] = mapped_column(String)
    author_name: Mapped[str] = mapped_column(String)
    author_role: Mapped[str] = mapped_column(String)
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", lazy="selectin")


class Attachment(Base):
    """A file added to a message, with its checksum so a copy can be matched to what was sent."""

    __tablename__ = "attachments"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(MAX_FILENAME))
    content_type: Mapped[str] = mapped_column(String)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it: its name and type are the sender's word, so both are cleaned."""

    filename: str
    content_type: str
    data: bytes


class ConversationRefused(ValueError):
    """A message or a sign-off that cannot be taken; `fields` names what is wrong, for the form and the API."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.fields = fields


class TicketClosed(Exception):
    """The ticket is closed: it takes no more messages, and the customer is offered a follow-up instead."""


def add_information(session: Session, ticket: Ticket, *, author_email: str, author_name: str, body: str,
                    uploads: list[Upload], max_attachment_bytes: int, now: datetime) -> TicketMessage:
    """Add the customer's message with its files; a ticket waiting on them (or resolved) becomes open again."""
    if ticket.status == TicketStatus.CLOSED:
        raise TicketClosed(ticket.reference)
    problems = _body_problems(body) | _upload_problems(uploads, max_attachment_bytes)
    if problems:
        raise ConversationRefused(problems)
    message = TicketMessage(ticket_id=ticket.id, author_email=author_email, author_name=author_name,
                            author_role="customer", body=body.strip(), internal=False, created_at=now,
                            attachments=[_attachment(upload) for upload in uploads])
    session.add(message)
    record_event(session, ticket, kind="message", actor=author_email, now=now,
                 detail={"attachments": len(uploads)} if uploads else None)
    if ticket.status in REOPENED_BY_A_MESSAGE:
        change_status(session, ticket, TicketStatus.OPEN, actor=author_email, now=now)
    ticket.updated_at = now
    return message


def close(session: Session, ticket: Ticket, *, actor: str, rating: object, comment: object, now: datetime) -> None:
    """Close the ticket as the customer's sign-off, with an optional rating (1-5) and comment.

    The lifecycle decides whether the ticket may close from its status (TransitionRefused if not).
    """
    problems = {}
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
        problems["rating"] = "must be a whole number from 1 to 5, or left out"
    if comment is not None and not isinstance(comment, str):
        problems["comment"] = "must be text"
    elif comment and len(comment) > MAX_COMMENT:
        problems["comment"] = f"must be at most {MAX_COMMENT} characters"
    if problems:
        raise ConversationRefused(problems)
    change_status(session, ticket, TicketStatus.CLOSED, actor=actor, now=now,
                  detail={"rating": rating} if rating is not None else None)
    ticket.closed_at = now
    ticket.rating = rating  # type: ignore[assignment]
    ticket.rating_comment = (comment or "").strip() or None  # type: ignore[union-attr]
    ticket.updated_at = now


def public_messages(session: Session, ticket: Ticket) -> list[TicketMessage]:
    """What the customer's page shows after the description: every message that is not a staff note, oldest first."""
    return _messages(session, ticket, TicketMessage.internal.is_(False))


def all_messages(session: Session, ticket: Ticket) -> list[TicketMessage]:
    """What the board reads: every message, staff notes included, oldest first."""
    return _messages(session, ticket)


def _messages(session: Session, ticket: Ticket, *conditions: ColumnElement[bool]) -> list[TicketMessage]:
    return list(session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id, *conditions)
                                .order_by(TicketMessage.created_at, TicketMessage.id)))


def safe_filename(name: str) -> str:
    """The last part of a path, without control characters, at most MAX_FILENAME characters."""
    base = name.replace("\\", "/").rpartition("/")[2]
    cleaned = "".join(char for char in base if char.isprintable()).strip().lstrip(".")
    return cleaned[-MAX_FILENAME:] or "attachment"


def _attachment(upload: Upload) -> Attachment:
    declared = upload.content_type.split(";")[0].strip().lower()
    return Attachment(filename=safe_filename(upload.filename),
                      content_type=declared if declared in SAFE_CONTENT_TYPES else "application/octet-stream",
                      size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(), data=upload.data)


def _body_problems(body: object) -> dict[str, str]:
    if not isinstance(body, str) or not body.strip():
        return {"body": "is required: write what you want to add"}
    if len(body) > MAX_BODY:
        return {"body": f"must be at most {MAX_BODY} characters"}
    return {}


def _upload_problems(uploads: list[Upload], max_bytes: int) -> dict[str, str]:
    if len(uploads) > MAX_ATTACHMENTS:
        return {"attachments": f"at most {MAX_ATTACHMENTS} files per message"}
    too_big = [safe_filename(upload.filename) for upload in uploads if len(upload.data) > max_bytes]
    if too_big:
        return {"attachments": f"{', '.join(too_big)}: each file must be at most {max_bytes // 1_000_000} MB"}
    return {}
