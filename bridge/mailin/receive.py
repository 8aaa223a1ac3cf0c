"""The one handler both ways in (`kb mail ingest`, `kb mail poll`) give each email: store it, then act.

Storing comes first and is committed on its own: the raw email is in the database before it is
read for a ticket, so a crash, a bug or a database that fails half-way leaves it `received`, and
the next delivery of the same message finishes the job. Acting is one transaction that first
claims the stored row (`received` to `handled`, a conditional UPDATE that two processes cannot
both win), then raises the ticket or adds the message, queues any mail and records the outcome;
it commits whole or not at all. The same Message-ID again finds its row handled and changes
nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bridge.accounts.access import may_see, may_write
from bridge.accounts.directory import contact_by_email
from bridge.accounts.identity import account_for
from bridge.accounts.models import Contact
from bridge.db import utc_now
from bridge.desk.actions import add_staff_message, customer_message
from bridge.mailin.automatic import automatic_reason, bounce
from bridge.mailin.body import Files, attachments, new_text
from bridge.mailin.models import HANDLED, RECEIVED, InboundMessage
from bridge.mailin.parse import IncomingMail, read_mail
from bridge.mailin.thread import ticket_replied_to
from bridge.notify.compose import compose_mail, envelope_address
from bridge.notify.headers import ENCODED_WORD, MESSAGE_ID
from bridge.notify.models import OutboxMessage
from bridge.notify.outbox import queue_mail
from bridge.tickets.conversation import MAX_ATTACHMENTS, MAX_BODY, add_information
from bridge.tickets.lifecycle import SYSTEM, record_event
from bridge.tickets.models import Ticket
from bridge.tickets.service import TicketDesk
from bridge.tickets.status import TicketStatus
from bridge.tickets.store import ACKNOWLEDGEMENT
from bridge.tickets.validation import MAX_LENGTHS, QUOTE_FIRST, InvalidSubmission

log = logging.getLogger(__name__)

ATTACHMENTS_REFUSED = "attachments_refused"
# The mail an emailed request is answered with, counted against KB_MAIL_ACKNOWLEDGEMENTS_PER_HOUR.
ANSWERS = (ACKNOWLEDGEMENT, ATTACHMENTS_REFUSED)
CLIPPED = "\n\n[The rest of this email is kept with the desk: it was longer than a ticket holds.]"
FILES_ONLY = "Files attached to the email that raised this ticket."


class Outcome(StrEnum):
    """What an email became."""

    TICKET = "ticket"  # a new ticket
    MESSAGE = "message"  # a message on the ticket it answers
    AUTOMATIC = "automatic"  # a robot's mail: stored, nothing else
    BOUNCE = "bounce"  # a bounce of one of our messages, recorded against it
    DUPLICATE = "duplicate"  # the same message again: nothing changed
    NOT_TAKEN = "not_taken"  # stored, but it cannot become a ticket (the reason is in its row)


@dataclass(frozen=True)
class Received:
    """The handler's answer, for the command's output and the tests."""

    outcome: Outcome
    reference: str | None = None
    detail: str = ""

    def describe(self) -> str:
        on = f" {self.reference}" if self.reference else ""
        return f"{self.outcome.value}{on}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class MailInSettings:
    """The support address (mail comes to it and goes out from it) and the limits that keep mail in bounded."""

    support_address: str
    max_bytes: int
    max_attachment_bytes: int
    acknowledgements_per_hour: int


@dataclass
class _Act:
    outcome: Outcome
    detail: str = ""
    ticket: Ticket | None = None
    bounced_id: int | None = None


class MailDesk:
    """Turns received email into tickets and messages through the ticket desk, once each."""

    def __init__(self, sessions: sessionmaker[Session], desk: TicketDesk, settings: MailInSettings,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._sessions = sessions
        self._desk = desk
        self._settings = settings
        self._clock = clock
        local, _, domain = envelope_address("support_address", settings.support_address).lower().partition("@")
        self._support_local, self._support_domain = local, domain

    def receive(self, raw: bytes, *, envelope_recipients: tuple[str, ...] = ()) -> Received:
        """Store raw, then act on it. Unreadable (nothing stored) when it is not an email the desk can take;
        a database error propagates with the email stored or not at all, never half-handled."""
        mail = read_mail(raw, max_bytes=self._settings.max_bytes, envelope_recipients=envelope_recipients)
        stored = self._store(raw, mail)
        if stored is None:
            return Received(Outcome.DUPLICATE, detail=f"{mail.message_id or 'this message'} was handled before")
        return self._handle(stored, mail)

    # --- storing ---------------------------------------------------------------------------------

    def _store(self, raw: bytes, mail: IncomingMail) -> int | None:
        """The id of the stored row still to handle (new, or left by a failed attempt); None once handled."""
        with self._sessions() as session:
            found = self._stored(session, mail.key)
            if found is not None:
                return found
            row = InboundMessage(message_key=mail.key, message_id=mail.message_id, sender=mail.sender,
                                 subject=mail.subject, size=len(raw), raw=raw, status=RECEIVED,
                                 received_at=self._clock())
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # another process stored the same message a moment ago
                session.rollback()
                return self._stored(session, mail.key)
            return row.id

    @staticmethod
    def _stored(session: Session, key: str) -> int | None:
        row = session.execute(select(InboundMessage.id, InboundMessage.status)
                              .where(InboundMessage.message_key == key)).first()
        if row is None:
            return None
        return row.id if row.status == RECEIVED else None

    # --- acting ----------------------------------------------------------------------------------

    def _handle(self, row_id: int, mail: IncomingMail) -> Received:
        now = self._clock()
        with self._sessions() as session, session.begin():
            claimed = session.execute(update(InboundMessage)
                                      .where(InboundMessage.id == row_id, InboundMessage.status == RECEIVED)
                                      .values(status=HANDLED, handled_at=now)
                                      .execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                return Received(Outcome.DUPLICATE, detail="another process handled it")
            act = self._act(session, mail, now)
            session.execute(update(InboundMessage).where(InboundMessage.id == row_id).values(
                outcome=act.outcome.value, detail=act.detail or None,
                ticket_id=act.ticket.id if act.ticket else None, bounced_id=act.bounced_id))
        log.info("mail in: %s %s", mail.message_id, act.outcome.value)
        return Received(act.outcome, act.ticket.reference if act.ticket else None, act.detail)

    def _act(self, session: Session, mail: IncomingMail, now: datetime) -> _Act:
        reported = bounce(mail)
        if reported is not None:
            return self._bounce(session, reported.message_id, reported.reason, now)
        robot = automatic_reason(mail) or self._from_ourselves(mail)
        if robot:
            return _Act(Outcome.AUTOMATIC, f"automatic mail ({robot}): no ticket, no reply")
        files = attachments(mail.message, max_bytes=self._settings.max_attachment_bytes, max_files=MAX_ATTACHMENTS)
        text = _clipped(new_text(mail.message))
        ticket = ticket_replied_to(session, mail, self._desk.policy.reference_prefix)
        account = account_for(session, mail.sender) if ticket is not None else None
        if ticket is not None and account is not None and may_write(account, ticket):
            if ticket.status != TicketStatus.CLOSED:
                customer_message(session, self._desk, ticket, author_email=account.email, author_name=account.name,
                                 body=text, uploads=files.kept,
                                 max_attachment_bytes=self._settings.max_attachment_bytes, now=now)
                self._refused_files(session, ticket, mail, files, now)
                return _Act(Outcome.MESSAGE, "added to the ticket it answers", ticket)
            return self._new_ticket(session, mail, text, files, now, follows=ticket)
        if ticket is not None and account is not None and account.staff is not None and may_see(account, ticket):
            # A member of the board answering a notification by mail: kept for the board, never mailed to the customer.
            add_staff_message(session, self._desk, ticket, actor=account, body=text, internal=True, now=now)
            return _Act(Outcome.MESSAGE, "from staff: kept as an internal note (reply to customers from the desk)",
                        ticket)
        why = "" if ticket is None else f"; it answers {ticket.reference}, which the sender may not write to"
        return self._new_ticket(session, mail, text, files, now, why=why)

    def _new_ticket(self, session: Session, mail: IncomingMail, text: str, files: Files, now: datetime, *,
                    follows: Ticket | None = None, why: str = "") -> _Act:
        contact = contact_by_email(session, mail.sender)
        acknowledge = self._answers_sent(session, mail.sender) < self._settings.acknowledgements_per_hour
        data = {"email": mail.sender, "name": _name(mail), "product": self._product(mail, contact),
                "subject": _subject(mail.subject), "description": text,
                "request_type": self._desk.policy.email.request_type or self._desk.policy.request_types[0].key}
        if self._desk.policy.credits is not None:
            # Mail asks the customer nothing about credits, so nothing is charged before they approve a quote.
            data["credit_consent"] = QUOTE_FIRST
        try:
            receipt = self._desk.submit(session, data, now=now, acknowledge=acknowledge, in_reply_to=mail.message_id)
        except InvalidSubmission as invalid:
            return _Act(Outcome.NOT_TAKEN, f"cannot raise a ticket: {invalid}")
        ticket = self._desk.find(session, receipt.reference)
        assert ticket is not None, "the desk just stored it"
        if follows is not None:
            ticket.follows_up = follows.id
            why = f"; it answers {follows.reference}, which is closed"
        if files.kept:
            add_information(session, ticket, author_email=mail.sender, author_name=ticket.name, body=FILES_ONLY,
                            uploads=files.kept, max_attachment_bytes=self._settings.max_attachment_bytes, now=now)
        self._refused_files(session, ticket, mail, files, now, acknowledge=acknowledge)
        unacknowledged = "" if acknowledge else "; not acknowledged: the address reached KB_MAIL_ACKNOWLEDGEMENTS_PER_HOUR"
        return _Act(Outcome.TICKET, f"a new ticket{why}{unacknowledged}", ticket)

    def _bounce(self, session: Session, message_id: str | None, reason: str, now: datetime) -> _Act:
        ours = session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).first() \
            if message_id else None
        if ours is None:
            return _Act(Outcome.AUTOMATIC, "a bounce of a message the desk did not send")
        ticket = session.get(Ticket, ours.ticket_id) if ours.ticket_id else None
        if ticket is not None:
            record_event(session, ticket, kind="mail_bounced", actor=SYSTEM, now=now,
                         detail={"outbox_id": ours.id, "recipient": ours.recipient, "reason": reason[:500]})
        # What the command prints reaches the mail server's log: the address and the reason (which usually
        # repeats it) stay in the database, on the ticket's event and in the stored bounce.
        return _Act(Outcome.BOUNCE, f"our {ours.kind} #{ours.id} bounced", ticket, bounced_id=ours.id)

    def _refused_files(self, session: Session, ticket: Ticket, mail: IncomingMail, files: Files, now: datetime, *,
                       acknowledge: bool = True) -> None:
        """Tell the customer which files were not kept and why, and note it on the ticket; the ticket stands."""
        if not files.refused:
            return
        record_event(session, ticket, kind=ATTACHMENTS_REFUSED, actor=SYSTEM, now=now, detail={"files": files.refused})
        if not acknowledge or self._answers_sent(session, mail.sender) >= self._settings.acknowledgements_per_hour:
            return
        listed = "\n".join(f"- {name}" for name in files.refused)
        text = (f"Hello {ticket.name},\n\nYour email is on {ticket.reference}, but we could not keep these files:\n"
                f"{listed}\n\nPlease send smaller files (or a link to them) in a reply to this email, keeping "
                f"{ticket.reference} in the subject.\n\nThe support team\n")
        in_reply_to = mail.message_id if mail.message_id and MESSAGE_ID.fullmatch(mail.message_id) else None
        note = compose_mail(sender=self._settings.support_address, to=ticket.email,
                            subject=f"[{ticket.reference}] Files we could not keep: {ticket.subject}", text=text,
                            in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [],
                            auto_submitted="auto-replied")
        queue_mail(session, note, kind=ATTACHMENTS_REFUSED, ticket_id=ticket.id, now=utc_now())

    @staticmethod
    def _answers_sent(session: Session, address: str) -> int:
        """How many answers to emailed requests were queued for address in the last hour (by the wall clock,
        which stamps the outbox, whatever clock the desk's targets run on)."""
        recipient = envelope_address("to", address).lower()
        return session.scalar(select(func.count(OutboxMessage.id)).where(
            func.lower(OutboxMessage.recipient) == recipient, OutboxMessage.kind.in_(ANSWERS),
            OutboxMessage.created_at > utc_now() - timedelta(hours=1))) or 0

    def _product(self, mail: IncomingMail, contact: Contact | None) -> str:
        """The product the address names (support+ledger@...), else the contact's only one, else the policy's for mail."""
        keys = [product.key for product in self._desk.products]
        for address in mail.recipients:
            local, _, domain = address.partition("@")
            base, plus, tag = local.partition("+")
            if plus and base == self._support_local and domain == self._support_domain and tag in keys:
                return tag
        if contact is not None and len(contact.products) == 1 and contact.products[0] in keys:
            return contact.products[0]
        return self._desk.policy.email.product or keys[0]

    def _from_ourselves(self, mail: IncomingMail) -> str | None:
        local, _, domain = mail.sender.partition("@")
        if domain == self._support_domain and local.partition("+")[0] == self._support_local:
            return f"it is from the support address {mail.sender}"
        return None


def _name(mail: IncomingMail) -> str:
    """The display name when the ticket form would take it, else the address's local part."""
    name = mail.sender_name[:MAX_LENGTHS["name"]].strip()
    if not name or ENCODED_WORD.search(name):
        return mail.sender.partition("@")[0][:MAX_LENGTHS["name"]]
    return name


def _subject(subject: str) -> str:
    """The subject as the ticket form would take it: at most its length, no encoded word left to decode."""
    return subject.replace("=?", "= ?")[:MAX_LENGTHS["subject"]].strip()


def _clipped(text: str) -> str:
    limit = min(MAX_BODY, MAX_LENGTHS["description"])
    return text if len(text) <= limit else text[:limit - len(CLIPPED)] + CLIPPED
