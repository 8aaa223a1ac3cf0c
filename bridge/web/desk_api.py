"""The review board's JSON: change a ticket, reply or note, release, split, flag it as needing an article.

Every route finds its ticket through bridge.accounts.access: one the account may not see is the
404 a missing one gets; one it may see but not work on (a customer's own) is a 403. Bodies are
JSON objects read by bridge/web/json_body.py, so a cross-site form cannot post here (it cannot send
`application/json` without a CORS preflight, which the bridge never grants); `{}` where there is
nothing to say. The rules live in bridge/desk/actions.py; views only translate.

`GET /api/tickets/<REF>` and `POST /api/tickets/<REF>/messages` are shared with customers
(bridge/web/account_tickets.py): for staff who work on the ticket they answer with `staff_detail`
and `staff_message` from here, with the internal notes and the desk's fields a customer never gets.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, jsonify, url_for

from bridge.accounts.access import may_work_on, ticket_for
from bridge.accounts.identity import Account
from bridge.accounts.models import Contact, Organisation
from bridge.desk import actions, targets
from bridge.desk.links import FOLLOWS_UP, SPLIT_FROM, SPLIT_INTO, linked_tickets
from bridge.tickets.conversation import TicketMessage, all_messages
from bridge.tickets.lifecycle import TransitionRefused, allowed_next, history
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus
from bridge.web.context import db_session, services
from bridge.web.errors import ApiError
from bridge.web.json_body import json_object
from bridge.web.signed_in import signed_in_account
from bridge.web.ticket_credits import ticket_credits
from bridge.web.tickets import get_desk

bp = Blueprint("desk_api", __name__)

DESK_ONLY = "Only staff on this product's review board can do this."


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.patch("/api/tickets/<reference>")
def update(reference: str):
    """Any of status, priority, request_type, assignee; 400 naming each bad field, 409 naming the statuses allowed."""
    body = json_object()
    account, ticket = desk_ticket(reference)
    try:
        actions.update_ticket(db_session(), get_desk(), ticket, body, actor=account, now=services().clock())
    except actions.InvalidChange as invalid:
        raise ApiError(400, "invalid_change", str(invalid), invalid.fields) from invalid
    except TransitionRefused as refused:
        raise ApiError(409, "transition_refused", f"{ticket.reference}: {refused}", {"status": str(refused)}) from refused
    db_session().commit()
    return jsonify(staff_detail(ticket))


@bp.post("/api/tickets/<reference>/release")
def release(reference: str):
    json_object()
    account, ticket = desk_ticket(reference)
    try:
        actions.release(db_session(), get_desk(), ticket, actor=account, now=services().clock())
    except TransitionRefused as refused:
        raise ApiError(409, "not_withheld", f"{ticket.reference} is not withheld: {refused}") from refused
    db_session().commit()
    return jsonify(staff_detail(ticket))


@bp.post("/api/tickets/<reference>/split")
def split(reference: str):
    """A new ticket for the customer's other question (201, the new ticket as staff see it)."""
    body = json_object()
    account, ticket = desk_ticket(reference)
    try:
        new = actions.split(db_session(), get_desk(), ticket, actor=account, subject=body.get("subject"),
                            description=body.get("description"), now=services().clock())
    except actions.InvalidChange as invalid:
        raise ApiError(400, "invalid_split", str(invalid), invalid.fields) from invalid
    db_session().commit()
    return jsonify(staff_detail(new)), 201


@bp.post("/api/tickets/<reference>/needs-article")
def needs_article(reference: str):
    json_object()
    account, ticket = desk_ticket(reference)
    actions.flag_needs_article(db_session(), ticket, actor=account, now=services().clock())
    db_session().commit()
    return jsonify(staff_detail(ticket))


def staff_message(account: Account, ticket: Ticket, body: dict[str, Any]) -> tuple[Any, int]:
    """`POST /api/tickets/<REF>/messages` from staff: `{"body", "internal"}` (internal defaults to false)."""
    try:
        message = actions.add_staff_message(db_session(), get_desk(), ticket, actor=account, body=body.get("body"),
                                            internal=body.get("internal", False), now=services().clock())
    except actions.InvalidChange as invalid:
        raise ApiError(400, "invalid_message", str(invalid), invalid.fields) from invalid
    db_session().commit()
    return jsonify(_message(message, ticket.reference)), 201


def desk_ticket(reference: str) -> tuple[Account, Ticket]:
    """The signed-in account and the ticket, if they work on it: 404 when they may not see it, 403 when they
    may see it but are not on its board."""
    account = signed_in_account()
    ticket = ticket_for(db_session(), account, reference, get_desk().policy.reference_prefix)
    if ticket is None:
        abort(404)
    if not may_work_on(account, ticket):
        raise ApiError(403, "desk_only", DESK_ONLY)
    return account, ticket


def staff_detail(ticket: Ticket) -> dict[str, Any]:
    """The ticket as its board sees it: the desk's fields, the targets, the search that led here, every
    message with internal notes marked, and the whole history with who did what."""
    session, desk = db_session(), get_desk()
    linked = linked_tickets(session, ticket)

    def references(how: str) -> list[str]:
        return [other.reference for label, other in linked if label == how]

    return {
        "reference": ticket.reference, "subject": ticket.subject, "status": ticket.status,
        "status_label": TicketStatus(ticket.status).label, "allowed_statuses": sorted(allowed_next(ticket)),
        "priority": ticket.priority, "request_type": ticket.request_type, "covered": ticket.covered,
        "product": ticket.product, "assignee": ticket.assignee, "needs_article": ticket.needs_article,
        "requester": _requester(ticket),
        "withheld_reason": ticket.withheld_reason,
        "created_at": ticket.created_at.isoformat(), "updated_at": ticket.updated_at.isoformat(),
        "targets": targets.state(ticket, desk.calendar, services().clock()).as_json(),
        "search": {"query": ticket.query, "page": ticket.page, "suggested_articles": list(ticket.suggested_articles)},
        "credits": ticket_credits(ticket),
        "split_from": next(iter(references(SPLIT_FROM)), None),
        "splits": sorted(references(SPLIT_INTO)),
        "follows_up": next(iter(references(FOLLOWS_UP)), None),
        "messages": [{"author": {"name": ticket.name, "email": ticket.email, "role": "customer"},
                      "body": ticket.description, "internal": False, "created_at": ticket.created_at.isoformat(),
                      "attachments": []},
                     *(_message(message, ticket.reference) for message in all_messages(session, ticket))],
        "history": [{"at": event.at.isoformat(), "actor": event.actor, "kind": event.kind,
                     "from_status": event.from_status, "to_status": event.to_status, "detail": event.detail}
                    for event in history(session, ticket)],
    }


def _requester(ticket: Ticket) -> dict[str, Any]:
    """Who raised it and what their organisation's plan covers: what the board weighs when it is withheld."""
    session = db_session()
    organisation = session.get(Organisation, ticket.organisation_id) if ticket.organisation_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return {"email": ticket.email, "name": ticket.name, "nominated": bool(contact and contact.nominated),
            "organisation": None if organisation is None else {
                "key": organisation.key, "name": organisation.name, "products": list(organisation.products),
                "paid_until": organisation.paid_until.isoformat() if organisation.paid_until else None,
                "out_of_hours_cover": organisation.out_of_hours_cover}}


def _message(message: TicketMessage, reference: str) -> dict[str, Any]:
    return {"author": {"name": message.author_name, "email": message.author_email, "role": message.author_role},
            "body": message.body, "internal": message.internal, "created_at": message.created_at.isoformat(),
            "attachments": [{"filename": file.filename, "content_type": file.content_type, "size": file.size,
                             "url": url_for("account_tickets.attachment", reference=reference, attachment_id=file.id)}
                            for file in message.attachments]}
