"""The review board's pages: the queue at `/desk`, a ticket as staff see it, and the queue as JSON.

Only staff come in: anyone else signed in gets the 404 a missing page gets, so the desk's address
says nothing to a customer; someone not signed in is sent to sign in first, like every account page.
Which tickets a member of staff sees is bridge.accounts.access's decision (their boards' products,
or all for an admin). Every page works without JavaScript; the filters are a GET form. The actions
on a ticket are bridge/web/desk_actions.py; this module only reads.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, get_flashed_messages, jsonify, request, url_for

from bridge.accounts.access import may_work_on, ticket_for
from bridge.accounts.identity import Account
from bridge.accounts.models import Contact, Organisation
from bridge.desk.queue import (MAX_PAGE_SIZE, ME, NOBODY, PAGE_SIZE, InvalidFilter, QueueEntry, QueueFilters,
                               parse_filters, queue_entries, queue_tickets, staff_addresses)
from bridge.desk.links import linked_tickets
from bridge.desk.notifications import board_members
from bridge.desk.search_trail import search_trail
from bridge.tickets.conversation import all_messages
from bridge.tickets.lifecycle import allowed_next, history
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus
from bridge.web import csrf
from bridge.web.dates import due, when
from bridge.web.signed_in import signed_in_account
from bridge.web.context import db_session, services
from bridge.web.errors import ApiError
from bridge.web.tickets import get_desk, page

bp = Blueprint("desk", __name__, static_folder="static", static_url_path="/desk/static")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


# --- who may come in --------------------------------------------------------------------------------


def staff_account() -> Account:
    """The signed-in member of staff; anyone else signed in gets the 404 a missing page gets."""
    account = signed_in_account()
    if account.staff is None:
        abort(404)
    return account


def desk_ticket(account: Account, reference: str) -> Ticket:
    """The ticket if this member of staff works on it (its board, or an admin); otherwise the same 404 as a
    reference that does not exist, also for their own ticket as a customer of another board's product."""
    ticket = ticket_for(db_session(), account, reference, get_desk().policy.reference_prefix)
    if ticket is None or not may_work_on(account, ticket):
        abort(404)
    return ticket


# --- the queue --------------------------------------------------------------------------------------


@bp.get("/desk")
def queue_page():
    account = staff_account()
    try:
        filters = read_filters(account)
    except InvalidFilter as invalid:
        return queue_html(account, QueueFilters(), [], errors=invalid.fields, status=400)
    offset = _offset(request.args.get("start"))
    entries, more = find_queue(account, filters, PAGE_SIZE, offset)
    return queue_html(account, filters, entries, offset=offset, more=more)


def queue_json(account: Account) -> tuple[Any, int]:
    """`GET /api/tickets` for staff: their boards' queue, filtered and paged (`limit`, `start`)."""
    try:
        filters = read_filters(account)
    except InvalidFilter as invalid:
        raise ApiError(400, "invalid_filter", str(invalid), invalid.fields) from invalid
    limit, offset = _limit(request.args.get("limit")), _offset(request.args.get("start"), api=True)
    entries, more = find_queue(account, filters, limit, offset)
    return jsonify({"tickets": [entry_json(entry) for entry in entries],
                    "next_start": offset + limit if more else None}), 200


def read_filters(account: Account) -> QueueFilters:
    desk = get_desk()
    return parse_filters(request.args, me=account.email, priorities=[p.key for p in desk.policy.priorities],
                         products=[p.key for p in desk.products], staff=staff_addresses(db_session()))


def find_queue(account: Account, filters: QueueFilters, limit: int, offset: int) -> tuple[list[QueueEntry], bool]:
    """One page of the queue, and whether there is more after it."""
    now = services().clock()
    tickets, more = queue_tickets(db_session(), account, filters, now, limit=limit, offset=offset)
    return queue_entries(db_session(), tickets, now, get_desk().calendar), more


def entry_json(entry: QueueEntry) -> dict[str, Any]:
    ticket = entry.ticket
    return {
        "reference": ticket.reference, "subject": ticket.subject, "status": ticket.status,
        "priority": ticket.priority, "product": ticket.product, "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "respond_by": ticket.respond_by.isoformat() if ticket.respond_by else None,
        "request_type": ticket.request_type, "organisation": entry.organisation, "assignee": ticket.assignee,
        "target": entry.target.isoformat() if entry.target else None,
        "business_hours_left": None if entry.hours_left is None else round(entry.hours_left, 2),
        "breached": entry.breached,
    }


def queue_html(account: Account, filters: QueueFilters, entries: list[QueueEntry], *, offset: int = 0,
               more: bool = False, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    policy = get_desk().policy
    args = filters.as_args(account.email)
    return page("Review board", "desk/queue.html", status=status, account=account, entries=entries, filters=filters,
                chosen=args, errors=errors or {}, statuses=list(TicketStatus), priorities=policy.priorities,
                products=board_products(account), staff=staff_addresses(db_session()), me=ME, nobody=NOBODY,
                colours={p.key: p.colour for p in policy.priorities}, labels={p.key: p.label for p in policy.priorities},
                previous=url_for(".queue_page", **args, start=max(offset - PAGE_SIZE, 0) or None) if offset else None,
                next=url_for(".queue_page", **args, start=offset + PAGE_SIZE) if more else None,
                left=hours_left, due=due, status_label=_status_label, notices=get_flashed_messages(),
                csrf_token=csrf.form_token())


# --- one ticket ---------------------------------------------------------------------------------------


@bp.get("/desk/tickets/<reference>")
def ticket_page(reference: str):
    account = staff_account()
    return ticket_html(account, desk_ticket(account, reference))


def ticket_html(account: Account, ticket: Ticket, *, draft: str = "", found: Any = None, errors: dict[str, str] | None = None,
                notice: str | None = None, status: int = 200, find: str = "", split_subject: str = "",
                split_description: str = "") -> tuple[str, int]:
    """The ticket as staff see it, with its action forms; actions re-render it with their errors or results."""
    session, desk = db_session(), get_desk()
    now = services().clock()
    [entry] = queue_entries(session, [ticket], now, desk.calendar)
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    organisation = session.get(Organisation, ticket.organisation_id) if ticket.organisation_id else None
    return page(f"{ticket.reference}: {ticket.subject}", "desk/ticket.html", status=status, account=account,
                ticket=ticket, entry=entry, messages=all_messages(session, ticket), events=history(session, ticket),
                contact=contact, organisation=organisation, related=linked_tickets(session, ticket),
                board=sorted(board_members(session, ticket.product), key=lambda member: (member.name, member.email)),
                withheld_message=desk.withheld_message(ticket), trail=search_trail(session, ticket, desk.policy),
                next_statuses=[status for status in TicketStatus if status in allowed_next(ticket)], site_url=services().settings.public_url,
                priorities=desk.policy.priorities, request_types=desk.policy.request_types,
                colours={p.key: p.colour for p in desk.policy.priorities},
                labels={p.key: p.label for p in desk.policy.priorities},
                type_labels={t.key: t.label for t in desk.policy.request_types},
                product_name=desk.product_name(ticket.product), draft=draft, found=found, errors=errors or {},
                notice=notice, notices=get_flashed_messages(), left=hours_left, when=when, due=due,
                status_label=_status_label, today=now.astimezone(desk.policy.timezone).date(),
                find=find, split_subject=split_subject, split_description=split_description, site_link=site_link,
                csrf_token=csrf.form_token())


# --- helpers ------------------------------------------------------------------------------------------


def hours_left(entry: QueueEntry) -> str:
    """Time to the next target as the board reads it: "3.5 business hours left", "2 business hours over"."""
    if entry.hours_left is None:
        return "no target"
    hours = abs(entry.hours_left)
    amount = f"{hours:.1f}".removesuffix(".0") + (" business hour" if round(hours, 1) == 1 else " business hours")
    paused = " (paused: waiting on the customer)" if entry.ticket.status == TicketStatus.WAITING_ON_CUSTOMER else ""
    return f"{amount} {'over' if entry.breached else 'left'}{paused}"


def board_products(account: Account) -> list[tuple[str, str]]:
    """The (key, name) of each product whose board account sits on; every product for an admin."""
    desk, staff = get_desk(), account.staff
    return [(p.key, p.name) for p in desk.products if staff is not None and (staff.admin or p.key in staff.boards)]


def site_link(url: str) -> str:
    """A path on the help centre as an href, whether it was stored with a leading slash or not."""
    return "/" + url.lstrip("/")


def _offset(raw: str | None, *, api: bool = False) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isdigit():
        if api:
            raise ApiError(400, "invalid_filter", "start must be a whole number (0 or more)",
                           {"start": "must be a whole number (0 or more)"})
        return 0
    return int(raw)


def _limit(raw: str | None) -> int:
    if raw is None:
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        problem = f"must be a whole number from 1 to {MAX_PAGE_SIZE}"
        raise ApiError(400, "invalid_filter", f"limit {problem}", {"limit": problem})
    return int(raw)


def _status_label(value: str | None) -> str:
    """A status in the desk's words ("Waiting on customer"); customers read TicketStatus.label instead."""
    return value.replace("_", " ").capitalize() if value else ""
