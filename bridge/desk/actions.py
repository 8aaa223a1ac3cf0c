"""What the review board does to a ticket, each act recorded as an event and told to whoever needs to know.

The desk's pages and its JSON routes both call these, so a form and an API client cannot do
different things. Each function adds to the caller's session and never commits; whoever may act
is decided before, by bridge.accounts.access (`may_work_on`). Bad input raises InvalidChange
naming each field; a status the lifecycle refuses raises its TransitionRefused, which names the
statuses allowed.

The customer's message is here too (`customer_message`): it restarts a stopped clock and tells the
assignee, so the customer's page and mail in (bridge/mailin) must both come this way.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from bridge.accounts.directory import normalise_email, staff_by_email
from bridge.accounts.identity import Account
from bridge.accounts.models import Contact
from bridge.desk import notifications, targets
from bridge.tickets.entitlement import WithheldReason
from bridge.tickets.conversation import MAX_BODY, TicketMessage, Upload, add_information, close
from bridge.tickets.lifecycle import TransitionRefused, allowed_next, change_status, record_event
from bridge.tickets.models import Ticket
from bridge.tickets.service import TicketDesk
from bridge.tickets.status import TicketStatus
from bridge.tickets.store import NewTicket, create_ticket
from bridge.tickets.validation import MAX_LENGTHS

FIELDS = ("status", "priority", "request_type", "assignee")


class InvalidChange(ValueError):
    """Fields the board sent that cannot be taken; `fields` maps each to what is wrong, for a 400."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.fields = fields


def update_ticket(session: Session, desk: TicketDesk, ticket: Ticket, changes: Mapping[str, object], *,
                  actor: Account, now: datetime) -> list[str]:
    """Apply any of status, priority, request_type and assignee (None or "" unassigns); returns the fields changed.

    Everything is checked before anything changes. A new priority recomputes the targets from the
    ticket's start in business time; `new` on a withheld ticket releases it (`release`).
    """
    problems = _problems(session, desk, ticket, changes)
    if problems:
        raise InvalidChange(problems)
    if "status" in changes:
        wanted = TicketStatus(str(changes["status"]))
        if wanted != ticket.status and wanted not in allowed_next(ticket):
            raise TransitionRefused(TicketStatus(ticket.status), wanted)
    changed = []
    if "priority" in changes and changes["priority"] != ticket.priority:
        _record_field(session, ticket, "priority", changes["priority"], actor, now)
        targets.recompute_for_priority(session, ticket, desk.policy.priority(ticket.priority), desk.calendar)
        changed.append("priority")
    if "request_type" in changes and changes["request_type"] != ticket.request_type:
        _record_field(session, ticket, "request_type", changes["request_type"], actor, now)
        ticket.covered = desk.policy.request_type(ticket.request_type).covered
        changed.append("request_type")
    assignee = normalise_email(str(changes["assignee"])) if changes.get("assignee") else None
    if "assignee" in changes and assignee != ticket.assignee:
        _record_field(session, ticket, "assignee", assignee, actor, now)
        changed.append("assignee")
    if "status" in changes and changes["status"] != ticket.status:
        if ticket.status == TicketStatus.WITHHELD and changes["status"] == TicketStatus.NEW:
            release(session, desk, ticket, actor=actor, now=now)
        else:
            set_status(session, desk, ticket, TicketStatus(str(changes["status"])), actor=actor.email, now=now)
        changed.append("status")
    ticket.updated_at = now
    return changed


def set_status(session: Session, desk: TicketDesk, ticket: Ticket, to: TicketStatus, *, actor: str,
               now: datetime) -> None:
    """Move the ticket through the lifecycle, keep its clock in step and tell the requester."""
    change_status(session, ticket, to, actor=actor, now=now)
    targets.after_status_change(ticket, desk.calendar, now)
    notifications.status_changed(session, desk, ticket, actor=actor, now=now)


def add_staff_message(session: Session, desk: TicketDesk, ticket: Ticket, *, actor: Account, body: object,
                      internal: bool, now: datetime) -> TicketMessage:
    """A reply to the customer (shown and mailed to them; the first meets the response target) or an
    internal note (never shown or mailed to any customer)."""
    if not isinstance(internal, bool):
        raise InvalidChange({"internal": "must be true (a note for staff only) or false (a reply to the customer)"})
    if not isinstance(body, str) or not body.strip():
        raise InvalidChange({"body": "is required: write the reply or the note"})
    if len(body) > MAX_BODY:
        raise InvalidChange({"body": f"must be at most {MAX_BODY} characters"})
    if ticket.status == TicketStatus.CLOSED and not internal:
        raise InvalidChange({"status": "the ticket is closed: its customer takes no more replies on it"})
    message = TicketMessage(ticket_id=ticket.id, author_email=actor.email, author_name=actor.name,
                            author_role="staff", body=body.strip(), internal=internal, created_at=now, attachments=[])
    session.add(message)
    record_event(session, ticket, kind="note" if internal else "message", actor=actor.email, now=now,
                 detail={"role": "staff"})
    if not internal:
        targets.record_response(ticket, now)
        notifications.public_reply(session, desk, ticket, author_name=actor.name, body=message.body, now=now)
    ticket.updated_at = now
    return message


def release(session: Session, desk: TicketDesk, ticket: Ticket, *, actor: Account, now: datetime) -> None:
    """Take a withheld ticket into the queue as new, its targets counted from now; TransitionRefused otherwise."""
    change_status(session, ticket, TicketStatus.NEW, actor=actor.email, now=now,
                  detail={"released": ticket.withheld_reason})
    ticket.withheld_reason = None
    targets.start_targets(ticket, desk.policy.priority(ticket.priority), desk.calendar, now)
    notifications.status_changed(session, desk, ticket, actor=actor.email, now=now)


def split(session: Session, desk: TicketDesk, ticket: Ticket, *, actor: Account, subject: object,
          description: object, now: datetime) -> Ticket:
    """Raise an off-topic question as a ticket of its own: same requester, product, type, priority and (on a
    credits desk) consent to charges, its own reference and acknowledgement, targets from now; each ticket
    records the other (`split_from`)."""
    problems = {}
    for name, value in (("subject", subject), ("description", description)):
        if not isinstance(value, str) or not value.strip():
            problems[name] = f"is required: the {name} of the new ticket"
        elif len(value) > MAX_LENGTHS[name]:
            problems[name] = f"must be at most {MAX_LENGTHS[name]} characters"
    if problems:
        raise InvalidChange(problems)
    assert isinstance(subject, str) and isinstance(description, str)
    draft = NewTicket(email=ticket.email, name=ticket.name, product=ticket.product, subject=subject.strip(),
                      description=description.strip(), request_type=ticket.request_type, priority=ticket.priority,
                      credit_consent=ticket.credit_consent)
    withheld = ticket.status == TicketStatus.WITHHELD
    priority = desk.policy.priority(ticket.priority)
    new = create_ticket(session, draft, reference_prefix=desk.policy.reference_prefix,
                        acknowledge_by=desk.calendar.due(now, desk.policy.acknowledgement_target),
                        respond_by=None if withheld else desk.calendar.due(now, priority),
                        resolve_by=None if withheld else desk.calendar.resolution_due(now, priority),
                        covered=ticket.covered, compose_mail=desk.acknowledgement, now=now, actor=actor.email,
                        contact=session.get(Contact, ticket.contact_id) if ticket.contact_id else None,
                        withheld=WithheldReason(ticket.withheld_reason) if withheld and ticket.withheld_reason else None)
    new.split_from = ticket.id
    record_event(session, ticket, kind="split", actor=actor.email, now=now, detail={"to": new.reference})
    record_event(session, new, kind="split", actor=actor.email, now=now, detail={"from": ticket.reference})
    ticket.updated_at = now
    return new


def flag_needs_article(session: Session, ticket: Ticket, *, actor: Account, now: datetime) -> None:
    """Mark the ticket's question as one the help centre should answer: `kb gaps` lists it for writers."""
    if ticket.needs_article:
        return
    ticket.needs_article = True
    record_event(session, ticket, kind="needs_article", actor=actor.email, now=now)
    ticket.updated_at = now


def customer_message(session: Session, desk: TicketDesk, ticket: Ticket, *, author_email: str, author_name: str,
                     body: str, uploads: list[Upload], max_attachment_bytes: int, now: datetime) -> TicketMessage:
    """The customer adds to their ticket: stored (a waiting ticket opens again, its clock restarting) and the
    assignee, or the board, told. Raises what bridge.tickets.conversation.add_information raises."""
    message = add_information(session, ticket, author_email=author_email, author_name=author_name, body=body,
                              uploads=uploads, max_attachment_bytes=max_attachment_bytes, now=now)
    targets.after_status_change(ticket, desk.calendar, now)
    notifications.customer_wrote(session, desk, ticket, body=message.body, now=now)
    return message


def customer_close(session: Session, desk: TicketDesk, ticket: Ticket, *, actor: str, rating: object,
                   comment: object, now: datetime) -> None:
    """The customer's sign-off: closed (bridge.tickets.conversation.close says what may close), which meets the
    resolution target if nothing had yet."""
    close(session, ticket, actor=actor, rating=rating, comment=comment, now=now)
    targets.after_status_change(ticket, desk.calendar, now)


def _record_field(session: Session, ticket: Ticket, field: str, value: object, actor: Account, now: datetime) -> None:
    before = getattr(ticket, field)
    setattr(ticket, field, value)
    record_event(session, ticket, kind=field, actor=actor.email, now=now, detail={"from": before, "to": value})


def _problems(session: Session, desk: TicketDesk, ticket: Ticket, changes: Mapping[str, object]) -> dict[str, str]:
    problems = {name: f"is not a field the board can change; send any of {', '.join(FIELDS)}"
                for name in changes if name not in FIELDS}
    if not any(name in changes for name in FIELDS) and not problems:
        problems["body"] = f"send at least one of {', '.join(FIELDS)}"
    status = changes.get("status")
    if "status" in changes and status not in {s.value for s in TicketStatus}:
        problems["status"] = f"must be one of {', '.join(TicketStatus)}"
    if "priority" in changes and not _is_key(changes["priority"], [p.key for p in desk.policy.priorities]):
        problems["priority"] = f"must be one of {', '.join(p.key for p in desk.policy.priorities)}"
    if "request_type" in changes and not _is_key(changes["request_type"], [t.key for t in desk.policy.request_types]):
        problems["request_type"] = f"must be one of {', '.join(t.key for t in desk.policy.request_types)}"
    assignee = changes.get("assignee")
    if assignee:
        member = staff_by_email(session, assignee) if isinstance(assignee, str) else None
        if member is None or ticket.product not in member.boards:
            problems["assignee"] = f"must be the address of a staff member on the {ticket.product} board, or null"
    return problems


def _is_key(value: object, keys: list[str]) -> bool:
    return isinstance(value, str) and value in keys
