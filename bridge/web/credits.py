"""Credits and quotes on the web: the contact's statement, the board's assessment and quotes, the customer's
approval, as pages and JSON.

Every ticket route finds its ticket through bridge.accounts.access: assessing is for staff on the
ticket's product board (anyone else gets the 404 a missing ticket gets), approving for the
customers who may write on it; quotes for work outside the agreement work the same way on every
desk. JSON writes need `Content-Type: application/json` (a cross-site
page cannot send it without a preflight the bridge never grants); form posts carry the CSRF
token. On a desk whose policy does not charge credits the credits routes are a 404. The rules live
in bridge.credits.assessment; views only translate.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, jsonify, redirect, request, url_for

from bridge.accounts.access import credits_organisation, may_work_on, may_write
from bridge.accounts.actors import ledger_actors
from bridge.accounts.identity import Account
from bridge.credits.assessment import CreditDesk, CreditsRefused
from bridge.credits.ledger import Statement, balance, statement
from bridge.credits.quotes import QuoteTerms, latest_quote, open_quote, quote_reason
from bridge.tickets.lifecycle import TransitionRefused
from bridge.tickets.models import Ticket
from bridge.web import csrf
from bridge.web.dates import when
from bridge.web.account_tickets import ticket_page, writable_ticket
from bridge.web.context import db_session, services
from bridge.web.desk import desk_ticket, ticket_html as desk_ticket_html
from bridge.web.errors import ApiError
from bridge.web.json_body import json_object
from bridge.web.signed_in import current_account, signed_in_account
from bridge.web.ticket_credits import standing
from bridge.web.tickets import EXPIRED, page, share_ticket_limit

bp = Blueprint("credits", __name__)

MAX_NOTE = 2000
Answer = TypeVar("Answer")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    share_ticket_limit(app, bp)
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
                terms=desk.terms.public(), when=when)


@bp.get("/api/credits")
def statement_json():
    account = signed_in_account()
    credit_desk()
    organisation = credits_organisation(account)
    if organisation is None:
        raise ApiError(404, "no_credits", "Only nominated contacts of a customer organisation see its credits")
    return jsonify(customer_statement(account, statement(db_session(), organisation)))


def customer_statement(account: Account, found: Statement) -> dict[str, Any]:
    """The statement as a contact reads it: who made each entry told as on their tickets, so a member of staff
    (or whoever ran `kb credits`) is the support team, never an address or a login name."""
    told = ledger_actors(db_session(), account.email, (line.by for line in found.entries))
    return {"balance": found.balance,
            "entries": [{**line.as_json(), "by": told[line.by.lower()].as_json()} for line in found.entries]}


# --- assessment by the board -------------------------------------------------------------------------


@bp.post("/api/tickets/<reference>/assessment")
def assess_json(reference: str):
    body = json_object()
    account = signed_in_account()
    ticket = desk_ticket(account, reference)
    note = _note(body.get("note"))
    charging = _api(lambda: credit_desk().assess(db_session(), ticket, body.get("category"), note=note,
                                                 actor=account.email, now=services().clock()))
    db_session().commit()
    return jsonify(charging.as_json())


@bp.post("/account/tickets/<reference>/assessment")
def assess_page(reference: str):
    account = signed_in_account()
    ticket = desk_ticket(account, reference)
    return _form_action(account, ticket, lambda: credit_desk().assess(
        db_session(), ticket, request.form.get("category"), note=_note(request.form.get("note", "").strip() or None),
        actor=account.email, now=services().clock()))


# --- the customer's approval ----------------------------------------------------------------------------


@bp.post("/api/tickets/<reference>/approval")
def approval_json(reference: str):
    body = json_object()
    account = signed_in_account()
    ticket = writable_ticket(account, reference)
    approve = body.get("approve")
    if not isinstance(approve, bool):
        raise ApiError(400, "invalid_approval", "approve must be true or false", {"approve": "must be true or false"})
    answer = _api(lambda: _decide(account, ticket, approve))
    db_session().commit()
    return jsonify(answer)


@bp.post("/account/tickets/<reference>/approval")
def approval_page(reference: str):
    account = signed_in_account()
    ticket = writable_ticket(account, reference)
    answer = request.form.get("approve")
    if answer not in ("yes", "no") and csrf.form_token_is_valid(request.form.get("csrf_token")):
        return ticket_page(account, ticket, errors={"approve": "Choose approve or decline"}, status=400)
    return _form_action(account, ticket, lambda: _decide(account, ticket, answer == "yes"))


def _decide(account: Account, ticket: Ticket, approve: bool) -> dict[str, Any]:
    """The customer's answer to what waits for it: an open quote for work outside the agreement, else a
    credits assessment quoted first."""
    session, now = db_session(), services().clock()
    if open_quote(session, ticket) is not None:
        services().quotes().decide(session, ticket, approve, actor=account.email, now=now)
    elif services().credits() is not None:
        services().credits().decide(session, ticket, approve, actor=account.email, now=now)
    else:
        raise CreditsRefused(409, "nothing_to_approve", f"{ticket.reference} has nothing waiting for approval")
    return standing(ticket)


# --- quotes for work outside the agreement ------------------------------------------------------------------


@bp.post("/api/tickets/<reference>/quote")
def quote_json_route(reference: str):
    body = json_object()
    account = signed_in_account()
    ticket = desk_ticket(account, reference)
    _api(lambda: services().quotes().offer(db_session(), ticket, QuoteTerms.read(body), actor=account.email,
                                           now=services().clock()))
    db_session().commit()
    return jsonify(standing(ticket))


@bp.post("/account/tickets/<reference>/quote")
def quote_page(reference: str):
    account = signed_in_account()
    ticket = desk_ticket(account, reference)
    fields = {name: request.form.get(name, "").strip() for name in ("cost", "currency", "timescale", "note")}
    return _form_action(account, ticket, lambda: services().quotes().offer(
        db_session(), ticket, QuoteTerms.read({**fields, "note": fields["note"] or None}), actor=account.email,
        now=services().clock()))


# --- what the ticket page shows -------------------------------------------------------------------------


def credits_panel(ticket: Ticket) -> dict[str, Any] | None:
    """What the ticket page shows about credits and quotes, for whoever is looking; None when neither applies.

    Credits only on a desk that charges them and for a ticket of an organisation (an address the
    desk does not know has no credits); quotes for a new requirement or out-of-hours cover.
    """
    desk, account, session = services().credits(), current_account(), db_session()
    reason = quote_reason(ticket)
    chargeable = desk is not None and ticket.organisation_id is not None
    if account is None or not (chargeable or reason):
        return None
    return {"terms": desk.terms.public() if chargeable else None,
            "charging": desk.charging(session, ticket) if chargeable else None,
            "quote_reason": reason, "quote": latest_quote(session, ticket),
            "staff": may_work_on(account, ticket), "customer": may_write(account, ticket),
            "consent": ticket.credit_consent, "when": when}


def credit_balance(account: Account | None) -> int | None:
    """The balance of the account's organisation, for the contact form; None without one or without credits."""
    organisation = credits_organisation(account) if account is not None else None
    if organisation is None or services().credits() is None:
        return None
    return balance(db_session(), organisation)


# --- helpers -------------------------------------------------------------------------------------------


def _note(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NOTE:
        problem = f"must be text of at most {MAX_NOTE} characters"
        raise ApiError(400, "invalid_assessment", f"note {problem}", {"note": problem})
    return value.strip() or None


def _api(action: Callable[[], Answer]) -> Answer:
    """Run a credits action for a JSON route: its refusals become the API's error answers."""
    try:
        return action()
    except CreditsRefused as refused:
        raise ApiError(refused.status, refused.code, refused.message,
                       {refused.field: refused.message} if refused.field else None) from refused
    except TransitionRefused as refused:
        raise ApiError(409, "cannot_change_status", str(refused)) from refused


def _form_action(account: Account, ticket: Ticket, action: Callable[[], object]) -> Any:
    """A form post on the ticket's page (the customer's, or the board's when it says back=desk): the CSRF token
    checked, the action run and committed, back to the page; a refusal shows the page again with the reason, and
    nothing of the action is kept."""
    show = desk_ticket_html if request.form.get("back") == "desk" and may_work_on(account, ticket) else ticket_page
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return show(account, ticket, notice=EXPIRED, status=400)
    try:
        action()
    except (CreditsRefused, ApiError, TransitionRefused) as refused:
        db_session().rollback()
        if isinstance(refused, CreditsRefused) and refused.field:
            return show(account, ticket, errors={refused.field: refused.message}, status=refused.status)
        status = refused.status if isinstance(refused, (CreditsRefused, ApiError)) else 409
        return show(account, ticket, notice=str(refused), status=status)
    db_session().commit()
    page_of = "desk.ticket_page" if show is desk_ticket_html else "account_tickets.show_page"
    return redirect(url_for(page_of, reference=ticket.reference, _anchor="kb-credits"), 303)
