"""Signing in with an emailed link and out again, as pages and as `/api/session` and `/api/me`.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure in production) holding the
address and when the link was used; it lasts KB_SESSION_HOURS from then, however busy the
customer is, and signing out clears it. Asking for a link always gets the same answer, and the
address is looked up only after that answer has gone (`call_on_close`), so neither the answer
nor its timing says whether the desk knows the address. Form posts carry the site's CSRF token
(bridge/web/csrf.py), including the "Sign in" button, so another site cannot sign a visitor in
as someone else. JSON writes need `Content-Type: application/json`, which a cross-site page
cannot send without a CORS preflight that the bridge never grants.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request, session, url_for
from flask_limiter.util import get_remote_address

from bridge.accounts.identity import Account
from bridge.accounts.signin import LINK_LIFETIME, link_is_usable, mail_sign_in_link, redeem
from bridge.accounts.throttle import SignInThrottle
from bridge.services import Services
from bridge.tickets.validation import MAX_LENGTHS, site_path_problem
from bridge.web import csrf
from bridge.web.context import db_session, services
from bridge.web.errors import ApiError
from bridge.web.json_body import json_object
from bridge.web.signed_in import current_account, signed_in_account, start_session
from bridge.web.tickets import EXPIRED, page

bp = Blueprint("account", __name__)

EXTENSION = "kb_sign_in_throttle"
HOME = "/account/tickets"
NO_PREFERENCES = "Only a customer's contact has mail preferences; this address is not one."
CHECK_MAIL = ("If {email} has an account with us, a link to sign in is on its way. It works once, "
              f"for {int(LINK_LIFETIME.total_seconds() // 60)} minutes.")


def init_app(app: Flask) -> None:
    settings = services(app).settings
    app.extensions[EXTENSION] = SignInThrottle.from_settings(
        settings.ratelimit_storage_url, settings.sign_in_address_rate_limit, settings.sign_in_client_rate_limit)
    app.config.update(PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours), SESSION_COOKIE_HTTPONLY=True)
    app.register_blueprint(bp)


# --- pages ----------------------------------------------------------------------------------------


@bp.get("/account/sign-in")
def sign_in():
    next_path = _safe_next(request.args.get("next"))
    if current_account() is not None:
        return redirect(next_path, 303)
    return _sign_in_page(next_path=next_path)


@bp.post("/account/sign-in")
def ask_for_link():
    email, next_path = request.form.get("email", "").strip(), _safe_next(request.form.get("next"))
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return _sign_in_page(email=email, next_path=next_path, notice=EXPIRED, status=400)
    problem = _email_problem(email)
    if problem:
        return _sign_in_page(email=email, next_path=next_path, error=problem, status=400)
    if not _throttle().allow(email, get_remote_address()):
        return _too_many()
    html, status = page("Check your mail", "account/check_mail.html", message=CHECK_MAIL.format(email=email))
    return _after_answer(Response(html, status, mimetype="text/html"), email, next_path)


@bp.get("/account/sign-in/<token>")
def link(token: str):
    """What opening the emailed link shows: a button, so a mail scanner opening it does not use it up."""
    next_path = _safe_next(request.args.get("next"))
    usable = link_is_usable(db_session(), token, services().clock())
    html, status = page("Sign in", "account/link.html", status=200 if usable else 404, usable=usable,
                        token=token, next_path=next_path, csrf_token=csrf.form_token())
    return Response(html, status, mimetype="text/html")


@bp.post("/account/sign-in/<token>")
def use_link(token: str):
    next_path = _safe_next(request.form.get("next"))
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return redirect(url_for(".link", token=token, next=next_path), 303)
    email = redeem(db_session(), token, services().clock())
    db_session().commit()
    if email is None:
        html, status = page("Sign in", "account/link.html", status=404, usable=False, token="", next_path=next_path,
                            csrf_token="")
        return html, status
    start_session(email)
    return redirect(next_path, 303)


@bp.post("/account/sign-out")
def sign_out():
    if csrf.form_token_is_valid(request.form.get("csrf_token")):
        session.clear()
    return redirect(url_for(".signed_out"), 303)


@bp.get("/account/signed-out")
def signed_out():
    if current_account() is not None:
        return redirect(HOME, 303)
    return page("Signed out", "account/signed_out.html")


@bp.get("/account")
def settings():
    """The account page: who is signed in, and (for a contact) whether status changes are mailed."""
    return _settings_page(signed_in_account())


@bp.post("/account/mail")
def mail_preferences():
    """Status-change mails on or off; replies from the desk always go, so they have no switch."""
    account = signed_in_account()
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return _settings_page(account, notice=EXPIRED, status=400)
    if account.contact is None:
        return _settings_page(account, notice=NO_PREFERENCES, status=400)
    account.contact.status_mail = request.form.get("status_mail") == "on"
    db_session().commit()
    return redirect(url_for(".settings", saved=1), 303)


def _settings_page(account: Account, *, notice: str | None = None, status: int = 200) -> tuple[str, int]:
    return page("Your account", "account/settings.html", status=status, account=account, notice=notice,
                saved=request.args.get("saved") == "1", csrf_token=csrf.form_token())


# --- API ------------------------------------------------------------------------------------------


@bp.post("/api/session")
def api_sign_in():
    """`{"email"}` mails a link (202, the same answer for any address); `{"token"}` uses one (200, the account)."""
    body = json_object()
    if isinstance(body.get("token"), str):
        email = redeem(db_session(), body["token"], services().clock())
        db_session().commit()
        if email is None:
            raise ApiError(401, "invalid_token", "This sign-in link has expired or was already used: ask for a new one")
        start_session(email)
        return jsonify(signed_in_account().as_json()), 200
    email = body.get("email")
    problem = _email_problem(email) if isinstance(email, str) else "is required: the address to send the link to"
    if problem:
        raise ApiError(400, "invalid_email", f"email {problem}", {"email": problem})
    if not _throttle().allow(email, get_remote_address()):
        raise ApiError(429, "too_many_requests", "Too many sign-in links asked for: try again later")
    response = jsonify({"message": CHECK_MAIL.format(email=email.strip())})
    response.status_code = 202
    return _after_answer(response, email.strip(), HOME)


@bp.delete("/api/session")
def api_sign_out():
    session.clear()
    return "", 204


@bp.get("/api/me")
def me():
    return jsonify(signed_in_account().as_json())


# --- helpers --------------------------------------------------------------------------------------


def _after_answer(response: Response, email: str, next_path: str) -> Response:
    """Send the link once the answer has gone, so the answer's timing cannot tell a known address from another."""
    response.call_on_close(partial(_mail_link, services(), email, _link_for(next_path)))
    return response


def _link_for(next_path: str) -> Callable[[str], str]:
    base = f"{services().settings.public_url}/account/sign-in/"
    suffix = "" if next_path == HOME else f"?next={quote(next_path, safe='/')}"
    return lambda token: f"{base}{token}{suffix}"


def _mail_link(kb: Services, email: str, link_for: Callable[[str], str]) -> None:
    with kb.sessions()() as db:
        if mail_sign_in_link(db, email, link_for=link_for, sender=kb.settings.mail_from, now=kb.clock()):
            db.commit()


def _throttle() -> SignInThrottle:
    return current_app.extensions[EXTENSION]


def _email_problem(email: str) -> str | None:
    if not email:
        return "is required: enter your email address"
    if len(email) > MAX_LENGTHS["email"]:
        return f"must be at most {MAX_LENGTHS['email']} characters"
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return f"must be an email address like name@example.com ({error})"
    return None


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another address (no open redirect)."""
    if not value or not value.startswith("/") or site_path_problem(value, MAX_LENGTHS["page"]):
        return HOME
    return value


def _sign_in_page(*, email: str = "", next_path: str, error: str | None = None, notice: str | None = None,
                  status: int = 200) -> tuple[str, int]:
    return page("Sign in", "account/sign_in.html", status=status, email=email, next_path=next_path, error=error,
                notice=notice, csrf_token=csrf.form_token())


def _too_many() -> tuple[str, int]:
    return page("Too many requests", "account/too_many.html", status=429)
