"""Who is told what about a ticket, by mail through the outbox, in the caller's transaction.

- A new ticket (withheld and not covered ones too, saying so) goes to its product's board.
- Every status change and every public reply goes to the requester, the reference in the subject
  and a link to the ticket's page; status changes only while their contact has not turned them off
  (`Contact.status_mail`), replies always. Changes the requester made themselves are not mailed back.
- A customer's new message goes to the assignee, or the board when nobody is assigned.
- Internal notes are never mailed: nothing here takes one.

Every mail is composed by bridge.notify.compose (the one way mail is written) with Reply-To the
support address and In-Reply-To/References pointing at the mail sent before to the same
recipient about the same ticket, so mail programs thread them and a reply comes back to the
desk (bridge/mailin matches it by those Message-IDs, which the outbox keeps).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.accounts.directory import contact_by_email, staff_by_email
from bridge.accounts.models import StaffMember
from bridge.notify.acknowledgement import absolute_url, single_line
from bridge.notify.compose import OutgoingMail, compose_mail, envelope_address
from bridge.notify.models import OutboxMessage
from bridge.notify.outbox import queue_mail
from bridge.tickets.models import Ticket
from bridge.tickets.service import TicketDesk, ticket_page
from bridge.tickets.status import TicketStatus
from bridge.tickets.store import PendingMail

NEW_TICKET = "desk_new_ticket"
STATUS_CHANGE = "status_change"
REPLY = "desk_reply"
CUSTOMER_MESSAGE = "customer_message"
# The staff's page of a ticket (bridge/web/desk.py).
DESK_TICKET_PAGE = "/desk/tickets/{reference}"


def board_members(session: Session, product: str) -> list[StaffMember]:
    """The staff on a product's review board, by address (boards are JSON lists, and the desk is small)."""
    return [member for member in session.scalars(select(StaffMember).order_by(StaffMember.email))
            if product in member.boards]


def new_ticket(session: Session, desk: TicketDesk, ticket: Ticket, now: datetime) -> list[PendingMail]:
    """The mail telling the product's board a ticket arrived; withheld and not-covered ones say so, since the board
    decides them. Composed before the ticket is written (bridge/tickets/store.py), so it only reads."""
    if ticket.withheld_reason:
        kind = f"Withheld ({ticket.withheld_reason.replace('_', ' ')})"
    elif not ticket.covered:
        kind = "Not covered"
    else:
        kind = "New ticket"
    priority = desk.policy.priority(ticket.priority)
    text = "\n\n".join([
        f"{kind} for {desk.product_name(ticket.product)}, priority {priority.label}:",
        f"{single_line(ticket.subject)}\nfrom {single_line(ticket.name)} <{ticket.email}>",
        _quoted(ticket.description),
        f"Open it on the review board:\n{_desk_url(desk, ticket)}",
    ])
    return [PendingMail(NEW_TICKET, _compose(session, desk, ticket, to=member.email, to_name=member.name, now=now,
                                             subject=f"[{ticket.reference}] {kind}: {single_line(ticket.subject)}",
                                             text=text))
            for member in board_members(session, ticket.product)]


def status_changed(session: Session, desk: TicketDesk, ticket: Ticket, *, actor: str, now: datetime) -> None:
    """Tell the requester their ticket's new status, unless they changed it or turned these mails off."""
    if actor.lower() == ticket.email.lower() or not _wants_status_mail(session, ticket):
        return
    label = TicketStatus(ticket.status).label
    text = "\n\n".join([
        f"Hello {single_line(ticket.name)},",
        f'Your request "{single_line(ticket.subject)}" ({ticket.reference}) is now: {label}.',
        f"See it, add information or close it on its page:\n{_customer_url(desk, ticket)}",
        "You can turn off these status mails on your account page; replies from the support team always reach you.",
        "The support team",
    ])
    _send(session, desk, ticket, to=ticket.email, to_name=ticket.name, kind=STATUS_CHANGE, now=now,
          subject=f"[{ticket.reference}] {label}: {single_line(ticket.subject)}", text=text)


def public_reply(session: Session, desk: TicketDesk, ticket: Ticket, *, author_name: str, body: str,
                 now: datetime) -> None:
    """Mail the requester a public reply from staff; a person wrote it, so it is not marked auto-submitted."""
    text = "\n\n".join([
        body.strip(),
        f"-- \n{single_line(author_name)}, the support team",
        f"Reply to this mail, or answer on the ticket's page:\n{_customer_url(desk, ticket)}",
    ])
    _send(session, desk, ticket, to=ticket.email, to_name=ticket.name, kind=REPLY, now=now, auto_submitted=None,
          subject=f"[{ticket.reference}] Re: {single_line(ticket.subject)}", text=text)


def customer_wrote(session: Session, desk: TicketDesk, ticket: Ticket, *, body: str, now: datetime) -> None:
    """Tell the assignee (or the board, when nobody is assigned) that the customer added to the ticket."""
    assignee = staff_by_email(session, ticket.assignee) if ticket.assignee else None
    recipients = [assignee] if assignee is not None else board_members(session, ticket.product)
    text = "\n\n".join([
        f"{single_line(ticket.name)} <{ticket.email}> added to {ticket.reference} "
        f"({TicketStatus(ticket.status).label}):",
        _quoted(body),
        f"Open it on the review board:\n{_desk_url(desk, ticket)}",
    ])
    for member in recipients:
        _send(session, desk, ticket, to=member.email, to_name=member.name, kind=CUSTOMER_MESSAGE, now=now,
              subject=f"[{ticket.reference}] Customer replied: {single_line(ticket.subject)}", text=text)


def _send(session: Session, desk: TicketDesk, ticket: Ticket, *, to: str, to_name: str, kind: str, subject: str,
          text: str, now: datetime, auto_submitted: str | None = "auto-generated") -> None:
    mail = _compose(session, desk, ticket, to=to, to_name=to_name, subject=subject, text=text, now=now,
                    auto_submitted=auto_submitted)
    queue_mail(session, mail, kind=kind, ticket_id=ticket.id, now=now)


def _compose(session: Session, desk: TicketDesk, ticket: Ticket, *, to: str, to_name: str, subject: str, text: str,
             now: datetime, auto_submitted: str | None = "auto-generated") -> OutgoingMail:
    thread = _thread(session, ticket, envelope_address("to", to))
    return compose_mail(sender=desk.mail.sender, to=to, to_name=to_name, subject=subject, text=text,
                        reply_to=parseaddr(desk.mail.sender)[1], in_reply_to=thread[-1] if thread else None,
                        references=thread, auto_submitted=auto_submitted, now=now)


def _thread(session: Session, ticket: Ticket, recipient: str) -> Sequence[str]:
    """The Message-IDs of the mail this recipient (as the outbox stores it) had about the ticket: the first and
    the latest, as References (RFC 5322 allows trimming the middle of a long thread)."""
    ids = list(session.scalars(select(OutboxMessage.message_id)
                               .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.recipient == recipient,
                                      OutboxMessage.message_id.is_not(None))
                               .order_by(OutboxMessage.id)))
    return ids if len(ids) <= 2 else [ids[0], ids[-1]]


def _wants_status_mail(session: Session, ticket: Ticket) -> bool:
    contact = contact_by_email(session, ticket.email)
    return contact is None or contact.status_mail


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines())


def _customer_url(desk: TicketDesk, ticket: Ticket) -> str:
    return absolute_url(desk.mail.site_url, ticket_page(ticket.reference))


def _desk_url(desk: TicketDesk, ticket: Ticket) -> str:
    return absolute_url(desk.mail.site_url, DESK_TICKET_PAGE.format(reference=ticket.reference))
