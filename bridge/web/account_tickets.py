"""My tickets: the customer's list, each ticket's conversation and history, adding information,
closing as sign-off and raising a follow-up, as pages (no JavaScript needed) and as JSON.

Every route finds its ticket through bridge.accounts.access, so a ticket the account may not see
is the same 404 as one that does not exist, on pages, in the API and for attachments. Views only
translate: the rules live in bridge/tickets/conversation.py and the lifecycle.
"""
from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, Flask, abort, jsonify, redirect, request, send_file, url_for
from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from bridge.accounts.access import may_see, may_work_on, may_write, ticket_for, visible_tickets
from bridge.accounts.actors import Actor, actors_for_customer
from bridge.accounts.identity import Account
from bridge.desk.actions import customer_close, customer_message
from bridge.desk.queue import containing_words
from bridge.tickets.conversation import (
    MAX_ATTACHMENTS,
    MAX_BODY,
    MAX_COMMENT,
    Attachment,
    ConversationRefused,
    TicketClosed,
    TicketMessage,
    Upload,
    public_messages,
)
from bridge.tickets.lifecycle import TransitionRefused, allowed_next, history
from bridge.tickets.models import Ticket, TicketEvent
from bridge.tickets.service import Receipt
from bridge.tickets.status import TicketStatus
from bridge.tickets.validation import MAX_LENGTHS, InvalidSubmission
from bridge.web import csrf
from bridge.web.dates import due, when
from bridge.web.signed_in import signed_in_account
from bridge.web.context import db_session, services
from bridge.web.desk import queue_json
from bridge.web.desk_api import staff_detail, staff_message
from bridge.web.errors import ApiError, api_error, is_api_request, json_error
from bridge.web.json_body import json_object
from bridge.web.ticket_credits import ticket_credits
from bridge.web.tickets import EXPIRED, MAX_BODY_BYTES, get_desk, page, share_ticket_limit

bp = Blueprint("account_tickets", __name__)

STATUSES = frozenset(status.value for status in TicketStatus)
CLOSED = "This ticket is closed and takes no more messages. Raise a follow-up ticket instead."
STILL_OPEN = "This ticket is still open: add information to it instead of raising a follow-up."
STAFF = "Staff answer tickets from the review board, not from the customer's page."
INTERNAL = "Internal notes are written by the support team; send your message without \"internal\"."
# The history a customer reads: what happened to their ticket, not the board's working (notes, assignments).
CUSTOMER_EVENTS = frozenset({"created", "status", "message"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    share_ticket_limit(app, bp)


# --- the list -------------------------------------------------------------------------------------


@bp.get("/account/tickets")
def list_page():
    account = signed_in_account()
    words, status = request.args.get("q", ""), request.args.get("status", "")
    tickets = find_tickets(account, words, status if status in STATUSES else "")
    return page("My tickets", "account/tickets.html", account=account, tickets=tickets, q=words, chosen_status=status,
                statuses=list(TicketStatus), due=due, status_label=_status_label,
                csrf_token=csrf.form_token())


@bp.get("/api/tickets")
def list_json():
    """A customer's tickets, newest first; for staff, their boards' queue (bridge/web/desk.py)."""
    account = signed_in_account()
    if account.staff is not None:
        return queue_json(account)
    status = request.args.get("status", "")
    if status and status not in STATUSES:
        problem = f"must be one of: {', '.join(TicketStatus)}"
        raise ApiError(400, "invalid_status", f"status {problem}", {"status": problem})
    return jsonify({"tickets": [summary(ticket) for ticket in find_tickets(account, request.args.get("q", ""), status)]})


def find_tickets(account: Account, words: str, status: str) -> list[Ticket]:
    """The account's tickets, newest first; every word must appear in the reference, subject or description."""
    query = containing_words(visible_tickets(account), words)
    if status:
        query = query.where(Ticket.status == status)
    return list(db_session().scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc())))


# --- one ticket -----------------------------------------------------------------------------------


@bp.get("/account/tickets/<reference>")
def show_page(reference: str):
    account = signed_in_account()
    return ticket_page(account, visible_ticket(account, reference))


@bp.get("/api/tickets/<reference>")
def show_json(reference: str):
    """The customer's view; staff who work on the ticket get the board's (bridge/web/desk_api.py), notes and all."""
    account = signed_in_account()
    ticket = visible_ticket(account, reference)
    return jsonify(staff_detail(ticket) if may_work_on(account, ticket) else detail(account, ticket))


@bp.get("/account/tickets/<reference>/attachments/<int:attachment_id>")
def attachment(reference: str, attachment_id: int):
    """A file, always as a download: a stored HTML or SVG file never runs as a page of the help centre."""
    ticket = visible_ticket(signed_in_account(), reference)
    found = db_session().scalar(select(Attachment).join(TicketMessage, Attachment.message_id == TicketMessage.id)
                                .where(and_(Attachment.id == attachment_id, TicketMessage.ticket_id == ticket.id,
                                            TicketMessage.internal.is_(False))))
    if found is None:
        abort(404)
    response = send_file(BytesIO(found.data), mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- adding information -----------------------------------------------------------------------------


@bp.post("/account/tickets/<reference>/messages")
def add_information_page(reference: str):
    account = signed_in_account()
    # Files are the one thing larger than the bridge's usual limit, so only this route allows them.
    request.max_content_length = MAX_BODY_BYTES + MAX_ATTACHMENTS * _max_attachment_bytes()
    ticket = writable_ticket(account, reference)
    body = request.form.get("body", "")
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return ticket_page(account, ticket, body=body, notice=EXPIRED, status=400)
    uploads = [Upload(file.filename or "", file.mimetype or "", file.read())
               for file in request.files.getlist("attachments") if file.filename]
    try:
        _add(account, ticket, body, uploads)
    except ConversationRefused as refused:
        return ticket_page(account, ticket, body=body, errors=refused.fields, status=400)
    except TicketClosed:
        return ticket_page(account, ticket, body=body, notice=CLOSED, status=409)
    db_session().commit()
    return redirect(url_for(".show_page", reference=ticket.reference, _anchor="kb-conversation"), 303)


@bp.post("/api/tickets/<reference>/messages")
def add_information_json(reference: str):
    body = json_object()
    account = signed_in_account()
    ticket = visible_ticket(account, reference)
    if may_work_on(account, ticket):
        return staff_message(account, ticket, body)
    ticket = writable_ticket(account, reference)
    if body.get("internal", False) is not False:
        raise ApiError(403, "notes_are_for_staff", INTERNAL)
    try:
        message = _add(account, ticket, body.get("body"), [])
    except ConversationRefused as refused:
        raise ApiError(400, "invalid_message", str(refused), refused.fields) from refused
    except TicketClosed as closed:
        raise ApiError(409, "ticket_closed", f"{ticket.reference}: {CLOSED}") from closed
    db_session().commit()
    return jsonify(message_json(ticket, message)), 201


def _add(account: Account, ticket: Ticket, body: Any, uploads: list[Upload]) -> TicketMessage:
    """Through the desk, which restarts a stopped clock and tells the assignee or the board."""
    return customer_message(db_session(), get_desk(), ticket, author_email=account.email, author_name=account.name,
                            body=body, uploads=uploads, max_attachment_bytes=_max_attachment_bytes(),
                            now=services().clock())


# --- closing, and following up ----------------------------------------------------------------------


@bp.post("/account/tickets/<reference>/close")
def close_page(reference: str):
    account = signed_in_account()
    ticket = writable_ticket(account, reference)
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return ticket_page(account, ticket, notice=EXPIRED, status=400)
    rating = request.form.get("rating", "")
    try:
        _close(account, ticket, int(rating) if rating.isdigit() else rating or None, request.form.get("comment"))
    except ConversationRefused as refused:
        return ticket_page(account, ticket, errors=refused.fields, status=400)
    except TransitionRefused as refused:
        return ticket_page(account, ticket, notice=f"This ticket cannot be closed now: {refused}", status=409)
    db_session().commit()
    return redirect(url_for(".show_page", reference=ticket.reference), 303)


@bp.post("/api/tickets/<reference>/close")
def close_json(reference: str):
    body, account, ticket = json_write(reference)
    try:
        _close(account, ticket, body.get("rating"), body.get("comment"))
    except ConversationRefused as refused:
        raise ApiError(400, "invalid_close", str(refused), refused.fields) from refused
    except TransitionRefused as refused:
        raise ApiError(409, "cannot_close", f"{ticket.reference} cannot be closed now: {refused}") from refused
    db_session().commit()
    return jsonify(detail(account, ticket)), 200


def _close(account: Account, ticket: Ticket, rating: object, comment: object) -> None:
    customer_close(db_session(), get_desk(), ticket, actor=account.email, rating=rating, comment=comment,
                   now=services().clock())


@bp.post("/account/tickets/<reference>/follow-up")
def follow_up(reference: str):
    account = signed_in_account()
    ticket = writable_ticket(account, reference)
    description = request.form.get("description", "")
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return ticket_page(account, ticket, follow_up=description, notice=EXPIRED, status=400)
    if ticket.status != TicketStatus.CLOSED:
        return ticket_page(account, ticket, notice=STILL_OPEN, status=409)
    try:
        receipt = _follow_up(account, ticket, description)
    except InvalidSubmission as invalid:
        return ticket_page(account, ticket, follow_up=description, errors=invalid.fields, status=400)
    db_session().commit()
    return redirect(url_for(".show_page", reference=receipt.reference), 303)


@bp.post("/api/tickets/<reference>/follow-up")
def follow_up_json(reference: str):
    body, account, ticket = json_write(reference)
    if ticket.status != TicketStatus.CLOSED:
        raise ApiError(409, "ticket_open", f"{ticket.reference}: {STILL_OPEN}")
    try:
        receipt = _follow_up(account, ticket, body.get("description"))
    except InvalidSubmission as invalid:
        raise ApiError(400, "invalid_follow_up", invalid.summary, invalid.fields) from invalid
    db_session().commit()
    return jsonify({**receipt.as_json(), "follows_up": ticket.reference}), 201


def _follow_up(account: Account, ticket: Ticket, description: object) -> Receipt:
    """A new ticket for a closed one, raised by the account with the same product, type, priority and (on a
    desk that charges credits) consent to charges, linking back."""
    subject = f"Follow-up to {ticket.reference}: {ticket.subject}"[: MAX_LENGTHS["subject"]]
    consent = {"credit_consent": ticket.credit_consent} if ticket.credit_consent else {}
    receipt = get_desk().submit(db_session(), {
        "email": account.email, "name": account.name, "product": ticket.product, "subject": subject,
        "description": description, "request_type": ticket.request_type, "priority": ticket.priority, **consent})
    get_desk().find(db_session(), receipt.reference).follows_up = ticket.id
    return receipt


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """Files over the whole request's limit: werkzeug refuses them before the view can name the field,
    so the customer gets a page in the site's look with the limits and the way back to their ticket."""
    if is_api_request():
        return json_error(api_error(error))
    reference = (request.view_args or {}).get("reference", "")
    return page("Files too large", "account/too_large.html", status=413, reference=reference,
                limits={"files": MAX_ATTACHMENTS, "mb": services().settings.attachment_max_mb})


# --- helpers --------------------------------------------------------------------------------------


def visible_ticket(account: Account, reference: str) -> Ticket:
    """The ticket, or the 404 a missing one gets: bridge.accounts.access decides."""
    ticket = ticket_for(db_session(), account, reference, get_desk().policy.reference_prefix)
    if ticket is None:
        abort(404)
    return ticket


def writable_ticket(account: Account, reference: str) -> Ticket:
    ticket = visible_ticket(account, reference)
    if not may_write(account, ticket):
        if is_api_request():
            raise ApiError(403, "staff_account", STAFF)
        abort(403, STAFF)
    return ticket


def json_write(reference: str) -> tuple[dict[str, Any], Account, Ticket]:
    """A customer's JSON write: its body (read first, so a bad body is a 400 whoever sends it), who sends it,
    and the ticket they may write to."""
    body = json_object()
    account = signed_in_account()
    return body, account, writable_ticket(account, reference)


def summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference, "subject": ticket.subject, "status": ticket.status,
        "priority": ticket.priority, "product": ticket.product, "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "respond_by": ticket.respond_by.isoformat() if ticket.respond_by else None,
    }


def followed(session: Session, account: Account, ticket: Ticket) -> Ticket | None:
    """The ticket this one follows up, when the reader may see it: otherwise not even its reference is shown."""
    earlier = session.get(Ticket, ticket.follows_up) if ticket.follows_up else None
    return earlier if earlier is not None and may_see(account, earlier) else None


def detail(account: Account, ticket: Ticket) -> dict[str, Any]:
    """`GET /api/tickets/<REF>`: the summary, the sign-off, the conversation (the description first), the history."""
    session = db_session()
    follows = followed(session, account, ticket)
    return {
        **summary(ticket),
        "status_label": TicketStatus(ticket.status).label,
        "withheld_reason": ticket.withheld_reason,
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment,
        "follows_up": follows.reference if follows else None,
        "messages": [{"author": {"name": ticket.name, "role": "customer"}, "body": ticket.description,
                      "created_at": ticket.created_at.isoformat(), "attachments": []},
                     *(message_json(ticket, message) for message in public_messages(session, ticket))],
        "history": [{"at": event.at.isoformat(), "kind": event.kind, "from_status": event.from_status,
                     "to_status": event.to_status, "by": by.as_json()} for event, by in customer_history(account, ticket)],
        "credits": ticket_credits(ticket),
    }


def customer_history(account: Account, ticket: Ticket) -> list[tuple[TicketEvent, Actor]]:
    """The events a customer reads, each with who made it, told for this reader (bridge/accounts/actors.py)."""
    session = db_session()
    events = [event for event in history(session, ticket) if event.kind in CUSTOMER_EVENTS]
    told = actors_for_customer(session, ticket, account.email, (event.actor for event in events))
    return [(event, told[event.actor.lower()]) for event in events]


def message_json(ticket: Ticket, message: TicketMessage) -> dict[str, Any]:
    return {
        "author": {"name": message.author_name, "role": message.author_role},
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "attachments": [{"filename": file.filename, "content_type": file.content_type, "size": file.size,
                         "url": url_for("account_tickets.attachment", reference=ticket.reference, attachment_id=file.id)}
                        for file in message.attachments],
    }


def ticket_page(account: Account, ticket: Ticket, *, body: str = "", follow_up: str = "",
                errors: dict[str, str] | None = None, notice: str | None = None, status: int = 200) -> tuple[str, int]:
    session = db_session()
    closeable = TicketStatus.CLOSED in allowed_next(ticket)
    follows = followed(session, account, ticket)
    return page(f"{ticket.reference}: {ticket.subject}", "account/ticket.html", status=status, ticket=ticket,
                label=TicketStatus(ticket.status).label, messages=public_messages(session, ticket),
                events=customer_history(account, ticket), follows=follows, writable=may_write(account, ticket),
                closeable=closeable, body=body, follow_up=follow_up, errors=errors or {}, notice=notice,
                limits={"body": MAX_BODY, "comment": MAX_COMMENT, "files": MAX_ATTACHMENTS,
                        "mb": services().settings.attachment_max_mb},
                when=when, due=due, status_label=_status_label,
                csrf_token=csrf.form_token())


def _status_label(value: str | None) -> str:
    return TicketStatus(value).label if value else ""


def _max_attachment_bytes() -> int:
    return services().settings.attachment_max_mb * 1_000_000
