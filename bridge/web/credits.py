"""Credits on the web: the contact's statement, the board's assessment, the customer's approval, as pages and JSON.

Every ticket route finds its ticket through bridge.accounts.access: assessing is for staff on the
ticket's product board (anyone else gets the 404 a missing ticket gets), approving for the
customers who may write on it. JSON writes need `Content-Type: application/json` (a cross-site
page cannot send it without a preflight the bridge never grants); form posts carry the CSRF
token. On a desk whose policy does not charge credits every route here is a 404. The rules live
in bridge.credits.assessment; views only translate.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, abort, jsonify, redirect, request, url_for

from bridge.accounts.access import credits_organisation, may_assess, may_write
from bridge.accounts.identity import Account
from bridge.credits.assessment import CreditDesk, CreditsRefused
from bridge.credits.ledger import balance, statement
from bridge.tickets.lifecycle import TransitionRefused
from bridge.tickets.models import Ticket
from bridge.tickets.times import local_time
from bridge.web import csrf
from bridge.web.account_tickets import ticket_page, visible_ticket, writable_ticket
from bridge.web.context import db_session, services
from bridge.web.errors import ApiError
from bridge.web.json_body import json_object
from bridge.web.signed_in import current_account, signed_in_account
from bridge.web.tickets import EXPIRED, page

bp = Blueprint("credits", __name__)

MAX_NOTE = 2000


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(lambda: {"credits_panel": credits_panel, "credit_balance": credit_balance})


def credit_desk() -> CreditDesk:
    """The credits desk; a 404 on a desk that does not charge credits."""
    desk = services().credits()
    if desk is None:
        abort(404)
    return desk


# --- the statement ----------------------------------------------------------------------------------


@bp.get("/account/credits")
def statement_page():
    account = signed_in_account()
    desk = credit_desk()
    organisation = credits_organisation(account)
    found = statement(db_session(), organisation) if organisation is not None else None
    return page("Your credits", "credits/statement.html", account=account, statement=found,
                terms=desk.terms.public(), when=_when)


@bp.get("/api/credits")
def statement_json():
    account = signed_in_account()
    credit_desk()
    organisation = credits_organisation(account)
    if organisation is None:
        raise ApiError(404, "no_credits", "Only contacts of a customer organisation have credits")
    return jsonify(statement(db_session(), organisation).as_json())


# --- assessment by the board -------------------------------------------------------------------------


@bp.post("/api/tickets/<reference>/assessment")
def assess_json(reference: str):
    body = json_object()
    account = signed_in_account()
    ticket = staff_ticket(account, reference)
    note = _note(body.get("note"))
    charging = _api(lambda: credit_desk().assess(db_session(), ticket, body.get("category"), note=note,
                                                 actor=account.email, now=services().clock()))
    db_session().commit()
    return jsonify(charging.as_json())


@bp.post("/account/tickets/<reference>/assessment")
def assess_page(reference: str):
    account = signed_in_account()
    ticket = staff_ticket(account, reference)
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return ticket_page(account, ticket, notice=EXPIRED, status=400)
    try:
        credit_desk().assess(db_session(), ticket, request.form.get("category"), now=services().clock(),
                             note=_note(request.form.get("note", "").strip() or None), actor=account.email)
    except CreditsRefused as refused:
        db_session().rollback()
        return _refused_page(account, ticket, refused)
    except (ApiError, TransitionRefused) as refused:
        db_session().rollback()
        return ticket_page(account, ticket, notice=f"Not assessed: {refused}", status=409)
    db_session().commit()
    return redirect(url_for("account_tickets.show_page", reference=ticket.reference, _anchor="kb-credits"), 303)


# --- the customer's approval ----------------------------------------------------------------------------


@bp.post("/api/tickets/<reference>/approval")
def approval_json(reference: str):
    body = json_object()
    account = signed_in_account()
    ticket = writable_ticket(account, reference)
    approve = body.get("approve")
    if not isinstance(approve, bool):
        raise ApiError(400, "invalid_approval", "approve must be true or false", {"approve": "must be true or false"})
    charging = _api(lambda: credit_desk().decide(db_session(), ticket, approve, actor=account.email,
                                                 now=services().clock()))
    db_session().commit()
    return jsonify(charging.as_json())


@bp.post("/account/tickets/<reference>/approval")
def approval_page(reference: str):
    account = signed_in_account()
    ticket = writable_ticket(account, reference)
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return ticket_page(account, ticket, notice=EXPIRED, status=400)
    answer = request.form.get("approve")
    if answer not in ("yes", "no"):
        return ticket_page(account, ticket, errors={"approve": "Choose approve or decline"}, status=400)
    try:
        credit_desk().decide(db_session(), ticket, answer == "yes", actor=account.email, now=services().clock())
    except CreditsRefused as refused:
        db_session().rollback()
        return _refused_page(account, ticket, refused)
    db_session().commit()
    return redirect(url_for("account_tickets.show_page", reference=ticket.reference, _anchor="kb-credits"), 303)


# --- what the ticket page shows -------------------------------------------------------------------------


def credits_panel(ticket: Ticket) -> dict[str, Any] | None:
    """What the ticket page shows about credits, for whoever is looking; None on a desk without credits and for a
    ticket of no organisation (an address the desk does not know has no credits to charge)."""
    desk = services().credits()
    account = current_account()
    if desk is None or account is None or ticket.organisation_id is None:
        return None
    return {"terms": desk.terms.public(), "charging": desk.charging(db_session(), ticket),
            "staff": may_assess(account, ticket), "customer": may_write(account, ticket),
            "consent": ticket.credit_consent}


def credit_balance(account: Account | None) -> int | None:
    """The balance of the account's organisation, for the contact form; None without one or without credits."""
    organisation = credits_organisation(account) if account is not None else None
    if organisation is None or services().credits() is None:
        return None
    return balance(db_session(), organisation)


# --- helpers -------------------------------------------------------------------------------------------


def staff_ticket(account: Account, reference: str) -> Ticket:
    """The ticket if account is staff on its product's board; the same 404 as a missing ticket for anyone else."""
    ticket = visible_ticket(account, reference)
    if not may_assess(account, ticket):
        abort(404)
    return ticket


def _note(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NOTE:
        problem = f"must be text of at most {MAX_NOTE} characters"
        raise ApiError(400, "invalid_assessment", f"note {problem}", {"note": problem})
    return value.strip() or None


def _api(action):
    """Run a credits action for a JSON route: its refusals become the API's error answers."""
    try:
        return action()
    except CreditsRefused as refused:
        raise ApiError(refused.status, refused.code, refused.message,
                       {refused.field: refused.message} if refused.field else None) from refused
    except TransitionRefused as refused:
        raise ApiError(409, "cannot_change_status", str(refused)) from refused


def _refused_page(account: Account, ticket: Ticket, refused: CreditsRefused) -> tuple[str, int]:
    if refused.field:
        return ticket_page(account, ticket, errors={refused.field: refused.message}, status=refused.status)
    return ticket_page(account, ticket, notice=refused.message, status=refused.status)


def _when(moment: datetime) -> str:
    return local_time(moment, services().policy.timezone, year=True)
