"""Who is signed in: the account a request's session cookie names, for every blueprint that asks.

The session is Flask's signed cookie holding the address and when the emailed link was used; it
lasts KB_SESSION_HOURS from then, however busy the customer is. It lives apart from the sign-in
views (bridge/web/account.py) so the contact form can ask who is signed in without importing them.
"""
from __future__ import annotations

from flask import abort, current_app, g, redirect, request, session, url_for

from bridge.accounts.identity import Account, account_for
from bridge.web.context import db_session, services
from bridge.web.errors import ApiError, is_api_request

SESSION_EMAIL = "account_email"
SESSION_SINCE = "signed_in_at"


def current_account() -> Account | None:
    """The account this request is signed in as, or None; looked up once per request."""
    if "account" not in g:
        g.account = _signed_in_account()
    return g.account


def staff_signed_in() -> bool:
    """Whether a member of staff is signed in: their posts and searches are the desk's work, not a customer's."""
    account = current_account()
    return account is not None and account.staff is not None


def signed_in_account() -> Account:
    """The signed-in account; otherwise the API answers 401 and a page sends the visitor to sign in first."""
    account = current_account()
    if account is not None:
        return account
    if is_api_request():
        raise ApiError(401, "not_signed_in", "Sign in first: POST /api/session with your email address")
    abort(redirect(url_for("account.sign_in", next=request.full_path.rstrip("?")), 303))


def start_session(email: str) -> None:
    """A fresh session for email: nothing from before signing in (form nonces included) is carried over."""
    session.clear()
    session.permanent = True
    session[SESSION_EMAIL] = email
    session[SESSION_SINCE] = int(services().clock().timestamp())


def _signed_in_account() -> Account | None:
    email, since = session.get(SESSION_EMAIL), session.get(SESSION_SINCE)
    if not isinstance(email, str) or not isinstance(since, (int, float)):
        return None
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if not 0 <= services().clock().timestamp() - since <= lifetime:
        session.clear()
        return None
    return account_for(db_session(), email)
