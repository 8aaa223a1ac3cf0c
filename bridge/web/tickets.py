"""The escalation path: the contact form, its confirmation, "This solved it", and `POST /api/tickets`.

The form works without JavaScript (a plain POST, errors shown next to the fields, values kept);
JavaScript only adds suggestions as the customer types. Form posts carry a signed, time-limited
token bound to the session (bridge/web/csrf.py) and a honeypot field. The JSON API needs no
token: a cross-site page cannot send a JSON body without the browser asking first. Both share
one rate limit per client and one per email address (see _limit_ticket_posts); the per-client one
also counts a signed-in customer's posts on their tickets (share_ticket_limit).

Signed in, the form and the API raise the ticket as the account: its email address and name
are taken from the account, never from what was posted (the form shows them fixed), and only
the products the contact may see are offered and accepted. Otherwise anyone could type a
nominated contact's address and be served as them. Everything else happens in
bridge.tickets.service.TicketDesk, which these views only call.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from bridge.accounts.identity import Account
from bridge.tickets.idempotency import HEADER as IDEMPOTENCY_HEADER, InvalidKey, KeyReused
from bridge.tickets.service import TicketDesk, public_support
from bridge.tickets.validation import MAX_LENGTHS, InvalidSubmission, site_path_problem
from bridge.web import csrf, site
from bridge.web.context import db_session, services
from bridge.web.errors import ApiError, is_api_request
from bridge.web.json_body import json_body
from bridge.web.search_log_api import MAX_SEARCH_ID, search_log
from bridge.web.shell import Shell, load_shell
from bridge.web.signed_in import current_account, staff_signed_in

bp = Blueprint("tickets", __name__, static_folder="static", static_url_path="/tickets/static")

EXTENSION = "kb_tickets"
# Worst case for a full form: 10,000 four-byte characters, each %-encoded or \u-escaped, is 120,000 bytes.
MAX_BODY_BYTES = 128 * 1024
FORM_FIELDS = ("email", "name", "product", "subject", "description", "request_type", "priority", "credit_consent",
               "cover_from", "query", "page")
HONEYPOT = "website"
EXPIRED = "This form has expired or your browser did not send its cookie. Please check your details and send it again."
TOO_MANY_FOR_RECIPIENT = "Too many requests for this email address; please try again later"
AUTOMATED = "This request looked automated and was not sent. Please send it again."
FORM_REUSED = "This form was already used to send a request with other details. Check your details and send it again."
# Each form shown carries a key of its own, so sending it twice (a retry, a double click) raises one ticket.
IDEMPOTENCY_FIELD = "idempotency_key"


@dataclass
class _Tickets:
    """Per-app state: the public policy the form is built from, and the page shell of each site generation."""

    support: dict[str, Any]
    shells: dict[Path, Shell] = field(default_factory=dict)
    # The per-client allowance as a decorator for the customer's other posts (see share_ticket_limit).
    customer_posts: Callable[[Blueprint], Any] | None = None


def init_app(app: Flask) -> None:
    """Check the rate limit now, so a bad setting stops `kb serve`, not a customer."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    csrf.init_app(app)
    kb = services(app)
    app.extensions[EXTENSION] = _Tickets(support=public_support(kb.policy, kb.products))
    app.register_blueprint(bp)
    _limit_ticket_posts(app)


def _limit_ticket_posts(app: Flask) -> None:
    """The rate limits on posts here, with their own Limiter per app.

    One limit per client is shared by every POST (form, "This solved it", API); one per
    recipient address by the posts that send mail, so the form cannot be used to flood one
    mailbox from many clients. Only posts that succeed count: a refused token, a honeypot or
    a wrong field does not use up a customer's allowance (the limits are tested before the
    view and deducted after it).
    """
    settings = services(app).settings
    rate = settings.ticket_rate_limit or ""
    per_recipient = settings.ticket_recipient_rate_limit or ""
    if not (rate or per_recipient):
        return  # a disabled Limiter would switch the app's other limits (searches) off too
    limiter = Limiter(get_remote_address, app=app, storage_uri=settings.ratelimit_storage_url, headers_enabled=True)
    if rate:
        limiter.shared_limit(rate, scope="tickets", methods=["POST"], deduct_when=_succeeded,
                             on_breach=_too_many_requests)(bp)
        app.extensions[EXTENSION].customer_posts = limiter.shared_limit(
            rate, scope="tickets", methods=["POST"], deduct_when=_succeeded, on_breach=_too_many_requests,
            exempt_when=staff_signed_in)
    if per_recipient:
        # Wrapping the registered views (not the module's functions) keeps each app's limits its own;
        # override_defaults=False keeps the per-client limit on them too.
        for endpoint in (f"{bp.name}.{submit.__name__}", f"{bp.name}.{create_ticket.__name__}"):
            app.view_functions[endpoint] = limiter.shared_limit(
                per_recipient, scope="recipient", key_func=recipient_key, methods=["POST"], deduct_when=_succeeded,
                on_breach=_too_many_requests, error_message=TOO_MANY_FOR_RECIPIENT, override_defaults=False,
            )(app.view_functions[endpoint])


def share_ticket_limit(app: Flask, blueprint: Blueprint) -> None:
    """Count a signed-in customer's other posts on blueprint (a message, a sign-off, a follow-up, an approval)
    against the allowance for raising tickets: each is a submission that mails the desk or the customer, and
    signing in does not make a script harmless. Staff answering on the board are not counted."""
    limit = app.extensions[EXTENSION].customer_posts
    if limit is not None:
        limit(blueprint)


def recipient_key() -> str:
    """The mailbox a post would mail, read from its body the way the desk will: lower case, without a +tag
    (ada+1@example.org reaches ada@example.org). A post without a valid address counts under one key,
    and never succeeds, so it is never counted."""
    address = _posted_email()
    try:
        valid = validate_email(address, check_deliverability=False) if isinstance(address, str) else None
    except EmailNotValidError:
        valid = None
    if valid is None:
        return "recipient:-"
    return f"recipient:{valid.local_part.partition('+')[0].casefold()}@{valid.ascii_domain.casefold()}"


def _posted_email() -> object:
    account = current_account()
    if account is not None:
        return account.email
    if not request.is_json:
        return request.form.get("email")
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):
        return None
    return body.get("email") if isinstance(body, dict) else None


def _succeeded(response: Response) -> bool:
    return response.status_code < 400


def support_data() -> dict[str, Any]:
    """The public policy and products: what the form, /api/support-policy and the OpenAPI enums are built from."""
    return current_app.extensions[EXTENSION].support


def get_desk() -> TicketDesk:
    return services().desk()


# --- pages --------------------------------------------------------------------------------------


@bp.get("/tickets/new")
def new():
    if "q" in request.args:
        # Material's search box opens itself over any page whose address has ?q=, so the search
        # worker's link is moved to ?query= before the form is shown.
        args = [(name, value) for name, value in request.args.items(multi=True) if name not in ("q", "query")]
        return redirect(f"{url_for('.new')}?{urlencode([*args, ('query', request.args['q'])])}", 302)
    if request.args.get("sid"):
        search_log().mark_contacted_support(request.args["sid"][:MAX_SEARCH_ID])
    return form_page(prefilled(request.args))


@bp.post("/tickets/new")
def submit():
    values, refusal = form_post()
    if refusal:
        return refusal
    try:
        receipt = get_desk().submit(db_session(), as_account(submission(values, request.form.get("suggested_articles", ""))),
                                    idempotency_key=request.form.get(IDEMPOTENCY_FIELD) or None,
                                    products=product_keys())
    except InvalidSubmission as invalid:
        return form_page(values, errors=invalid.fields, status=400)
    except (InvalidKey, KeyReused):
        return form_page(values, notice=FORM_REUSED, status=400)
    db_session().commit()
    token = csrf.receipt_token(receipt.reference)
    return redirect(url_for(".submitted", reference=receipt.reference, token=token), 303)


@bp.get("/tickets/<reference>/submitted")
def submitted(reference: str):
    ticket = None
    if csrf.reference_from_receipt_token(request.args.get("token")) == reference:
        ticket = get_desk().find(db_session(), reference)
    if ticket is None:
        return page("Link expired", "tickets/expired.html", status=404)
    return page(f"Request {ticket.reference} received", "tickets/submitted.html", receipt=get_desk().receipt(ticket))


@bp.post("/tickets/solved")
def record_solved():
    values, refusal = form_post()
    if refusal:
        return refusal
    try:
        get_desk().record_deflection(db_session(), {**values, "article_url": request.form.get("solved_url", "")})
    except InvalidSubmission:
        return form_page(values, notice="That article could not be recorded. Please try again.", status=400)
    db_session().commit()
    return redirect(url_for(".solved"), 303)


@bp.get("/tickets/solved")
def solved():
    return page("Glad that helped", "tickets/solved.html")


# --- API ----------------------------------------------------------------------------------------


@bp.post("/api/tickets")
def create_ticket():
    try:
        receipt = get_desk().submit(db_session(), as_account(json_body()),
                                    idempotency_key=request.headers.get(IDEMPOTENCY_HEADER), products=product_keys())
    except InvalidSubmission as invalid:
        raise ApiError(400, "invalid_ticket", invalid.summary, invalid.fields) from invalid
    except InvalidKey as invalid:
        raise ApiError(400, "invalid_idempotency_key", str(invalid), {IDEMPOTENCY_HEADER: str(invalid)}) from invalid
    except KeyReused as reused:
        raise ApiError(422, "idempotency_key_reused", str(reused)) from reused
    db_session().commit()
    return jsonify(receipt.as_json()), 201, {"Idempotent-Replayed": "true"} if receipt.replayed else {}


# --- helpers ------------------------------------------------------------------------------------


def prefilled(args: Mapping[str, str]) -> dict[str, str]:
    """The form as it arrives from a search or an article: subject from the query, product from the page's section."""
    values = dict.fromkeys(FORM_FIELDS, "")
    query = " ".join(args.get("query", "").split())[: MAX_LENGTHS["query"]]
    values.update(query=query, subject=query[: MAX_LENGTHS["subject"]], priority=support_data()["default_priority"],
                  page=shown_page(args.get("page", "")))
    section = values["page"].lstrip("/").split("/", 1)[0]
    if section in product_keys():
        values["product"] = section
    return values


def offered_products(account: Account | None) -> list[dict[str, str]]:
    """The products the form offers: a signed-in contact's own, in the product list's order; anyone else all of them.

    Staff, and addresses that only ever raised tickets, have no products of their own; the
    entitlement rules decide whether their request is served.
    """
    products = support_data()["products"]
    if account is None or account.contact is None:
        return products
    return [product for product in products if product["key"] in account.contact.products]


def product_keys() -> list[str]:
    """The products a ticket from this request may name (bridge.tickets.validation refuses any other)."""
    return [product["key"] for product in offered_products(current_account())]


def as_account(data: object) -> object:
    """The posted fields with the signed-in account's email address and name in place of whatever was sent."""
    account = current_account()
    if account is None or not isinstance(data, Mapping):
        return data
    return {**data, "email": account.email, "name": account.name}


def shown_page(value: str) -> str:
    """The page a customer came from, if it is a path on this site; anything else is dropped, never shown.

    The form shows it as a link and carries it in hidden fields, so a crafted value such as
    `/\\evil.example/x` (which a browser opens as another site) must not survive a re-rendered form.
    """
    return value if value and site_path_problem(value, MAX_LENGTHS["page"]) is None else ""


def submission(values: Mapping[str, str], shown: str) -> dict[str, object]:
    """Form fields as the desk expects them: blank means absent; the shown articles come as JSON from the page's script."""
    data: dict[str, object] = {name: value for name, value in values.items() if value != ""}
    try:
        data["suggested_articles"] = json.loads(shown)
    except ValueError:
        pass  # no script ran (or it sent nonsense): the desk suggests articles from the subject itself
    return data


def form_post() -> tuple[dict[str, str], tuple[str, int] | None]:
    """The posted values, and the page to answer with instead when the post is refused before its fields are read:
    an expired or forged token, or a filled honeypot (a bot). The customer's typing is kept either way."""
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["page"] = shown_page(values["page"])
    if not csrf.form_token_is_valid(request.form.get("csrf_token")):
        return values, form_page(values, notice=EXPIRED, status=400)
    if request.form.get(HONEYPOT):
        return values, form_page(values, notice=AUTOMATED, status=400)
    return values, None


def form_page(values: Mapping[str, str], *, errors: Mapping[str, str] | None = None, notice: str | None = None,
              status: int = 200) -> tuple[str, int]:
    account = current_account()
    return page(
        "Contact support", "tickets/form.html", status=status, values=as_account(values), errors=errors or {},
        notice=notice, support={**support_data(), "products": offered_products(account)}, account=account,
        suggestions=get_desk().suggest(values["subject"]), csrf_token=csrf.form_token(), limits=MAX_LENGTHS,
        honeypot=HONEYPOT, idempotency_key=secrets.token_urlsafe(24),
    )


def page(title: str, template: str, *, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page of ours inside the help centre's shell (header, search box, navigation, styles)."""
    html = current_shell().render(title=title, head=render_template("tickets/head.html"),
                                  content=render_template(template, **context))
    return html, status


def current_shell() -> Shell:
    """The shell of the site generation being served now, read once per generation."""
    state: _Tickets = current_app.extensions[EXTENSION]
    generation = site.site_dir()
    shell = state.shells.get(generation)
    if shell is None:
        shell = state.shells[generation] = load_shell(generation)
    return shell


def _too_many_requests(limit: RequestLimit) -> Response | None:
    """Form posts get a page in the site's look; the API gets the JSON error from bridge.web.errors."""
    if is_api_request():
        return None
    html, status = page("Too many requests", "tickets/too_many.html", status=429)
    return Response(html, status=status, mimetype="text/html")
