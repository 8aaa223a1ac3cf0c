"""The forms on a ticket's desk page: each posts here, calls the desk core (bridge/desk/actions.py) and
comes back to the page with a notice, or with the errors next to the fields and what was typed kept.

These are the HTML twins of the JSON action routes; both call the same functions, so a form cannot do
what the API would refuse. Every post carries the site's CSRF token. The reply form's "Find articles"
and "Insert link" buttons post here too: they change nothing, only show the page again with the help
centre's answers and the draft (a long draft would not fit in a link), so the reply form works without
JavaScript; with it, bridge/web/static/desk.js does the same in the page.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from bridge.accounts.identity import Account
from bridge.desk import actions
from bridge.notify.acknowledgement import absolute_url
from bridge.search.index_reader import IndexUnavailable
from bridge.search.types import Hit
from bridge.tickets.lifecycle import TransitionRefused
from bridge.tickets.models import Ticket
from bridge.web import csrf
from bridge.web.context import db_session, services
from bridge.web.desk import desk_ticket, staff_account, ticket_html
from bridge.web.tickets import EXPIRED, get_desk

bp = Blueprint("desk_actions", __name__)

FOUND_ARTICLES = 5
FIELD_NAMES = {"status": "Status", "priority": "Priority", "request_type": "Request type", "assignee": "Assignee"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.post("/desk/tickets/<reference>/update")
def update(reference: str):
    """Status, priority, request type or assignee: whichever fields the form sent."""
    changes = {name: request.form[name] for name in actions.FIELDS if name in request.form}

    def act(account: Account, ticket: Ticket) -> str:
        changed = actions.update_ticket(db_session(), get_desk(), ticket, changes, actor=account, now=services().clock())
        return "; ".join(f"{FIELD_NAMES[name]} changed" for name in changed) or "Nothing changed"

    return _perform(reference, act)


@bp.post("/desk/tickets/<reference>/messages")
def message(reference: str):
    """Send a reply or add a note; or, for "Find articles" and "Insert link", show the page again with the draft."""
    draft, find, choice = request.form.get("body", ""), request.form.get("find", ""), request.form.get("action", "")
    if "insert" in request.form or choice == "find":
        account = staff_account()
        ticket = desk_ticket(account, reference)
        if not csrf.form_token_is_valid(request.form.get("csrf_token")):
            return ticket_html(account, ticket, draft=draft, find=find, notice=EXPIRED, status=400)
        if "insert" in request.form:
            draft = _with_link(draft, request.form["insert"])
        return ticket_html(account, ticket, draft=draft, find=find, found=_find_articles(find))

    def act(account: Account, ticket: Ticket) -> str:
        internal = choice == "note"
        actions.add_staff_message(db_session(), get_desk(), ticket, actor=account, body=draft, internal=internal,
                                  now=services().clock())
        return "Internal note added" if internal else "Reply sent to the customer"

    return _perform(reference, act, draft=draft)


@bp.post("/desk/tickets/<reference>/release")
def release(reference: str):
    def act(account: Account, ticket: Ticket) -> str:
        actions.release(db_session(), get_desk(), ticket, actor=account, now=services().clock())
        return "Released: the ticket is new, its targets counted from now"

    return _perform(reference, act)


@bp.post("/desk/tickets/<reference>/split")
def split(reference: str):
    subject, description = request.form.get("subject", ""), request.form.get("description", "")

    def act(account: Account, ticket: Ticket) -> str:
        new = actions.split(db_session(), get_desk(), ticket, actor=account, subject=subject, description=description,
                            now=services().clock())
        db_session().flush()
        return f"Split off as {new.reference}"

    return _perform(reference, act, split_subject=subject, split_description=description)


@bp.post("/desk/tickets/<reference>/needs-article")
def needs_article(reference: str):
    def act(account: Account, ticket: Ticket) -> str:
        actions.flag_needs_article(db_session(), ticket, actor=account, now=services().clock())
        return "Flagged for the writers: it appears in kb gaps"

    return _perform(reference, act)


# --- helpers ------------------------------------------------------------------------------------------


def _perform(reference: str, act: Callable[[Account, Ticket], str], **kept: Any) -> Response | tuple[str, int]:
    """Check who and the token, act, commit, and go back to the page with a notice; on a refusal show the page
    again with the errors and what was typed (kept)."""
    account = staff_account()
    ticket = desk_ticket(account, reference)
    draft = kept.pop("draft", "")
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return ticket_html(account, ticket, draft=draft, notice=EXPIRED, status=400, **kept)
    try:
        notice = act(account, ticket)
    except actions.InvalidChange as invalid:
        db_session().rollback()
        return ticket_html(account, ticket, draft=draft, errors=invalid.fields, status=400, **kept)
    except TransitionRefused as refused:
        db_session().rollback()
        return ticket_html(account, ticket, draft=draft, notice=f"That change is not allowed: {refused}", status=409,
                           **kept)
    db_session().commit()
    flash(notice)
    return redirect(url_for("desk.ticket_page", reference=ticket.reference), 303)


def _find_articles(text: str) -> list[Hit]:
    """The help centre's answers to text, as customers get them; none for a blank query or in a flood of searches."""
    index = services().search_index()
    return [] if isinstance(index, IndexUnavailable) else index.hits_or_none(text, FOUND_ARTICLES)


def _with_link(draft: str, url: str) -> str:
    """The draft with an article's title and address added on a line of their own; only articles the index has."""
    index = services().search_index()
    link = None if isinstance(index, IndexUnavailable) else index.article_link(url)
    if link is None:
        return draft
    line = f"{link.title}: {absolute_url(services().settings.public_url, link.url)}"
    return f"{draft.rstrip()}\n{line}\n" if draft.strip() else f"{line}\n"
