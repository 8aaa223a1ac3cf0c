"""Checking a ticket submission, from the form or the JSON API, against the policy and product list.

Every problem is collected rather than stopping at the first, so a customer fixes the whole form
in one go and an API client sees every bad field in one 400. The limits here are also what the
OpenAPI document publishes (bridge/web/openapi.py reads them), so the contract and the check
cannot drift apart.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from bridge.notify.headers import ENCODED_WORD
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.policy import SupportPolicy
from bridge.tickets.store import NewTicket
from bridge.tickets.times import local_time

MAX_LENGTHS = {"email": 254, "name": 200, "subject": 200, "description": 10_000, "query": 500, "page": 1000}
MAX_SUGGESTED_ARTICLES = 10
MAX_ARTICLE_TITLE = 300
MAX_ARTICLE_URL = 1000

REQUIRED_TEXT = {
    "email": "Enter your email address",
    "name": "Enter your name",
    "subject": "Enter a subject: a few words about the problem",
    "description": "Describe the problem: what you did, what happened, what you expected",
}
CHOICES = {"product": "Choose the product", "request_type": "Choose the type of request", "priority": "Choose a priority",
           "credit_consent": "Choose whether we may charge the assessed credits at once or should tell you the cost first"}
# On a desk that charges credits: charge the board's assessment at once, or quote it and wait for approval.
AGREE, QUOTE_FIRST = "agree", "quote_first"
CREDIT_CONSENTS = (AGREE, QUOTE_FIRST)
OPTIONAL_TEXT = ("query", "page")
# Fields that reach a mail header (bridge/notify/headers.py says why encoded words are refused there).
HEADER_FIELDS = ("name", "subject")
# In the form's order, which is also the order problems are reported in.
FIELDS = ("email", "name", "product", "subject", "description", "request_type", "priority", "credit_consent",
          "cover_from", *OPTIONAL_TEXT, "suggested_articles")
MAX_COVER_FROM = 40

# Line and paragraph separators count as control characters: in a subject they would break a mail header line.
_LINE_BREAKS = {"\u2028", "\u2029"}
_MULTILINE_ALLOWED = {"\n", "\r", "\t"}


class InvalidSubmission(ValueError):
    """One or more fields are wrong; fields maps each field name to a message the customer can act on."""

    def __init__(self, fields: Mapping[str, str], summary: str = "Some fields need correcting") -> None:
        super().__init__(f"{summary}: " + "; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = dict(fields)
        self.summary = summary


@dataclass(frozen=True)
class Submission:
    """A valid submission; suggestions_shown is False when the client showed no articles, so the desk suggests its own."""

    ticket: NewTicket
    suggestions_shown: bool


def validate_submission(data: object, *, policy: SupportPolicy, product_keys: Collection[str],
                        smtputf8: bool = True, now: datetime | None = None) -> Submission:
    """A NewTicket from untrusted data (parsed JSON or form fields), or InvalidSubmission naming every bad field.

    smtputf8 is whether our mail can reach an address with a non-ASCII local part (josé@...):
    when it cannot, such an address is refused here instead of stored with mail that never leaves.
    """
    if not isinstance(data, Mapping):
        raise InvalidSubmission({}, "The ticket must be a JSON object of fields")
    checker = _Checker(data)
    for name in data:
        if name not in FIELDS:
            checker.fail(str(name), f"unknown field; the fields are {', '.join(FIELDS)}")
    text = {name: checker.text(name, required=message) for name, message in REQUIRED_TEXT.items()}
    email = checker.email(text["email"], smtputf8=smtputf8)
    product = checker.choice("product", product_keys)
    request_type = checker.choice("request_type", [rt.key for rt in policy.request_types])
    priority = checker.choice("priority", [p.key for p in policy.priorities], default=policy.default_priority.key)
    consent = checker.credit_consent(charges_credits=policy.credits is not None)
    cover_from = checker.cover_from(policy, now)
    query = checker.text("query")
    page = checker.site_path("page", checker.text("page"))
    articles = checker.articles("suggested_articles")
    if checker.problems:
        order = {name: position for position, name in enumerate(FIELDS)}
        raise InvalidSubmission(dict(sorted(checker.problems.items(), key=lambda item: order.get(item[0], len(order)))))
    ticket = NewTicket(
        email=email, name=text["name"], product=product, subject=text["subject"], description=text["description"],
        request_type=request_type, priority=priority, credit_consent=consent, cover_from=cover_from, query=query or None,
        page=page or None,
        suggested_articles=tuple(articles or ()),
    )
    return Submission(ticket=ticket, suggestions_shown=articles is not None)


def site_path_problem(value: object, max_length: int = MAX_ARTICLE_URL) -> str | None:
    """The problem with a link a client sent, or None: it must be a path on our own site, never another address."""
    if not isinstance(value, str):
        return "must be a string"
    if not value.strip():
        return "must not be empty"
    if len(value) > max_length:
        return f"must be at most {max_length:,} characters"
    path = value.strip()
    if "\\" in value or _has_control(value, multiline=False) or path.startswith("//") or _has_address(path):
        return "must be a path on the help centre, such as ledger/help-sheets/credits/"
    return None


def _has_address(value: str) -> bool:
    """Whether a link names a scheme or host of its own (or is too malformed to tell)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return True
    return bool(parts.scheme or parts.netloc)


def _has_control(value: str, *, multiline: bool) -> bool:
    allowed = _MULTILINE_ALLOWED if multiline else set()
    return any(
        (unicodedata.category(char) in ("Cc", "Cs") and char not in allowed) or (char in _LINE_BREAKS and not multiline)
        for char in value
    )


class _Checker:
    """Collects one message per bad field while reading the good ones."""

    def __init__(self, data: Mapping[object, object]) -> None:
        self.data = data
        self.problems: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.problems.setdefault(name, message)

    def text(self, name: str, *, required: str | None = None) -> str:
        """A stripped string; lengths count what was sent, so a padded value cannot slip past the limit."""
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, required)
            return ""
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return ""
        limit = MAX_LENGTHS[name]
        if len(value) > limit:
            self.fail(name, f"must be at most {limit:,} characters (it has {len(value):,})")
        elif _has_control(value, multiline=name == "description"):
            self.fail(name, "must not contain control characters" + ("" if name == "description" else " or line breaks"))
        elif required and not value.strip():
            self.fail(name, required)
        elif name in HEADER_FIELDS and ENCODED_WORD.search(value):
            self.fail(name, "must not contain an encoded word (=?...?=): type the text itself")
        return value.strip()

    def email(self, value: str, *, smtputf8: bool) -> str:
        """The address as email-validator normalises it (its domain may be international: mail uses its ASCII form)."""
        if not value or "email" in self.problems:
            return value
        try:
            valid = validate_email(value, check_deliverability=False)
        except EmailNotValidError as error:
            self.fail("email", f"Enter an email address like name@example.com ({error})")
            return value
        if not smtputf8 and not valid.local_part.isascii():
            self.fail("email", "Our mail server cannot deliver to an address with accented or non-Latin letters "
                               "before the @; please give another address")
        return valid.normalized

    def choice(self, name: str, keys: Collection[str], default: str | None = None) -> str:
        value = self.data.get(name)
        if value is None and default is not None:
            return default
        if value is None or value == "":
            self.fail(name, CHOICES[name])
        elif not isinstance(value, str):
            self.fail(name, "must be a string")
        elif value not in keys:
            self.fail(name, f"{CHOICES[name]}: one of {', '.join(keys)}" if keys else
                      f"{CHOICES[name]}: there are none to choose from")
        else:
            return value
        return ""

    def credit_consent(self, *, charges_credits: bool) -> str | None:
        """Required on a desk that charges credits; refused on one that does not, so a client learns which it is."""
        if charges_credits:
            return self.choice("credit_consent", CREDIT_CONSENTS) or None
        if self.data.get("credit_consent") is not None:
            self.fail("credit_consent", "this desk does not charge credits: leave it out")
        return None

    def cover_from(self, policy: SupportPolicy, now: datetime | None) -> datetime | None:
        """When out-of-hours cover should start: outside office hours, with the notice the policy asks (from now)."""
        value = self.data.get("cover_from")
        if value is None or value == "":
            return None
        if policy.out_of_hours is None:
            self.fail("cover_from", "this desk offers no out-of-hours cover: leave it out")
            return None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= MAX_COVER_FROM else None
        except ValueError:
            moment = None
        if moment is None:
            self.fail("cover_from", "must be a date and time such as 2026-12-12T09:00 (the desk's local time)")
            return None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=policy.timezone)
        window = BusinessCalendar.from_policy(policy).window(moment.astimezone(policy.timezone).date())
        notice = timedelta(hours=policy.out_of_hours.notice_hours)
        if window is not None and window[0] <= moment < window[1]:
            self.fail("cover_from", "is within office hours: out-of-hours cover is for evenings, weekends and holidays")
        elif now is not None and moment < now + notice:
            self.fail("cover_from", f"needs {policy.out_of_hours.notice_hours:g} hours' notice: the earliest is "
                                    f"{local_time(now + notice, policy.timezone, year=True)}")
        return moment

    def site_path(self, name: str, value: str) -> str:
        problem = site_path_problem(value, MAX_LENGTHS[name]) if value and name not in self.problems else None
        if problem:
            self.fail(name, problem)
        return value

    def articles(self, name: str) -> list[dict[str, str]] | None:
        """The articles the client showed, or None when it did not say (the server then suggests)."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(name, "must be a list of {title, url} objects")
            return None
        if len(value) > MAX_SUGGESTED_ARTICLES:
            self.fail(name, f"must list at most {MAX_SUGGESTED_ARTICLES} articles")
            return None
        articles = []
        for position, article in enumerate(value):
            problem = _article_problem(article)
            if problem:
                self.fail(name, f"item {position}: {problem}")
                return None
            articles.append({"title": article["title"].strip(), "url": article["url"].strip()})
        return articles


def _article_problem(article: object) -> str | None:
    if not isinstance(article, Mapping) or set(article) != {"title", "url"}:
        return "must be an object with exactly the keys title and url"
    title = article["title"]
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_ARTICLE_TITLE or _has_control(title, multiline=False):
        return f"title must be one line of 1 to {MAX_ARTICLE_TITLE} characters"
    url_problem = site_path_problem(article["url"])
    return f"url {url_problem}" if url_problem else None
