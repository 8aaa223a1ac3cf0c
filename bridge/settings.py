"""Every setting, declared once with its parser: the README table and `kb --help` are derived from it.

Settings come from the environment only. Each field of `Settings` carries its variable's name,
default, help text and parser, so adding a setting is one declaration, and a bad value stops
start-up with a message that names the variable instead of failing later on a customer's request.
Relative paths are taken from the project folder, so `make run` works from anywhere in the checkout.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from limits import parse as parse_rate_limit

from bridge.tickets.policy.model import ENTITLEMENTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Parser = Callable[[str], Any]


class SettingsError(ValueError):
    """A setting stops the bridge from starting; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, its default as it would be typed, what it does, how to read it."""

    name: str
    default: str | None
    help: str
    parse: Parser


def text(raw: str) -> str:
    return raw


def project_path(raw: str) -> Path:
    return PROJECT_ROOT / raw


def choice(*allowed: str) -> Parser:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"must be one of: {', '.join(allowed)}")
        return raw
    return parse


def whole_number(*, minimum: int, maximum: int | None = None) -> Parser:
    def parse(raw: str) -> int:
        if not raw.strip().isdigit():
            raise ValueError("must be a whole number")
        number = int(raw)
        if number < minimum or (maximum is not None and number > maximum):
            raise ValueError(f"must be from {minimum} to {maximum}" if maximum else f"must be {minimum} or more")
        return number
    return parse


def rate_limit(raw: str) -> str:
    try:
        parse_rate_limit(raw)
    except ValueError as error:
        raise ValueError("must be a rate such as 10/minute (empty turns the limit off)") from error
    return raw


def yes_no(raw: str) -> bool:
    if raw not in ("yes", "no"):
        raise ValueError("must be yes or no")
    return raw == "yes"


def url_with_scheme(*schemes: str) -> Parser:
    def parse(raw: str) -> str:
        scheme = raw.partition("://")[0]
        if "://" not in raw or scheme not in schemes:
            raise ValueError(f"must be a URL starting with {' or '.join(f'{s}://' for s in schemes)}")
        return raw.rstrip("/") if scheme in ("http", "https") else raw
    return parse


def mail_address(raw: str) -> str:
    """An address, with or without a display name: `support@example.com` or `Help Centre <support@example.com>`.

    It is on every message the bridge sends, with or without SMTPUTF8, so its local part must be
    ASCII; bridge.services checks that the mail composer can write its name.
    """
    name, address = parseaddr(raw)
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"must be an email address such as Help Centre <support@example.com> ({error})") from error
    if not valid.local_part.isascii():
        raise ValueError("must have only ASCII letters before the @: it goes on every message, SMTPUTF8 or not")
    if set(name) & set('()<>[]:;@\\,"'):
        raise ValueError("the name before <address> must not contain ( ) < > [ ] : ; @ \\ , or quotes")
    return f"{name} <{valid.normalized}>" if name else valid.normalized


def declare(name: str, default: str | None, help: str, parse: Parser = text) -> Any:
    """A field of `Settings` read from the environment variable `name`; an empty value means unset."""
    return field(metadata={"setting": Setting(name, default, help, parse)})


@dataclass(frozen=True)
class Settings:
    """The bridge's whole configuration, parsed and checked; made by `load_settings`, never changed after."""

    env: str = declare("KB_ENV", "development", "`development` or `production`; production refuses to start without KB_SECRET_KEY. Any other value refuses to start.", choice("development", "production"))
    secret_key: str | None = declare("KB_SECRET_KEY", None, "Signs form tokens (CSRF) and confirmation links. Required in production; development creates one once in `var/secret-key`, shared by all workers.")
    build_dir: Path = declare("KB_BUILD_DIR", "var/build", "Where `kb build` writes the site (`site/`) and the search index (`index/`), and `kb serve` reads them.", project_path)
    mkdocs_config: Path = declare("KB_MKDOCS_CONFIG", "mkdocs.yml", "The MkDocs configuration `kb build` uses: ours, or a company's own (name, logo, colours, footer, pages); `kb build --config` overrides it. The kb-bridge plugin is added either way.", project_path)
    cache_dir: Path = declare("KB_CACHE_DIR", "var/cache", "Where `kb build` keeps the sentence vectors it has encoded, by model and exact text, and a copy of the last index it wrote, so a build (even into an empty output folder) encodes only texts it has never seen and re-indexes only articles that changed. Safe to delete; keep it between CI runs.", project_path)
    database_url: str = declare("KB_DATABASE_URL", "sqlite:///var/kb.sqlite3", "Ticket store: SQLite by default, or e.g. `postgresql+psycopg://user@host/db`.", url_with_scheme("sqlite", "postgresql", "postgresql+psycopg"))
    smtp_url: str | None = declare("KB_SMTP_URL", None, "`smtp://host:port` to send mail; without it mail is written as .eml files to KB_OUTBOX_DIR.", url_with_scheme("smtp"))
    smtp_utf8: bool = declare("KB_SMTP_UTF8", "yes", "`yes` if the relay at KB_SMTP_URL offers SMTPUTF8, so mail can go to addresses such as `josé@example.com`; `no` refuses such addresses when a ticket is submitted (a relay that turns out not to offer it fails that mail, listed by `kb mail failed`).", yes_no)
    mail_max_attempts: int = declare("KB_MAIL_MAX_ATTEMPTS", "100", "How many times the outbox tries a message before giving up (2 to 4 days with its back-off of 30 s doubling to 1 hour, jittered); `kb mail failed` lists what it gave up on and why. A refusal the mail server says is final gives up at once.", whole_number(minimum=1))
    outbox_dir: Path = declare("KB_OUTBOX_DIR", "var/outbox", "Where mail goes when KB_SMTP_URL is not set.", project_path)
    mail_from: str = declare("KB_MAIL_FROM", "support@example.com", "The support address mail is sent from and customers write to.", mail_address)
    site_url: str | None = declare("KB_SITE_URL", None, "The public address of the help centre, for links in mail. Unset: `http://127.0.0.1:PORT`, the port actually served.", url_with_scheme("http", "https"))
    port: int = declare("PORT", "8000", "The port `kb serve` listens on when `--port` is not given.", whole_number(minimum=1, maximum=65535))
    support_policy: Path = declare("KB_SUPPORT_POLICY", "site_config/support.yml", "The support policy: hours, holidays, priorities, request types.", project_path)
    entitlement: str | None = declare("KB_ENTITLEMENT", None, "Who gets support, overriding the policy's `entitlement`: `anyone`, `contacts` or `nominated`. Unset: the policy's.", choice(*ENTITLEMENTS))
    products: Path = declare("KB_PRODUCTS", "site_config/products.yml", "The product list articles and tickets may name.", project_path)
    search_log_retention_days: int = declare("KB_SEARCH_LOG_RETENTION_DAYS", "90", "How long the search log (queries, clicks, feedback; no personal data) is kept, in days.", whole_number(minimum=1))
    ticket_rate_limit: str | None = declare("KB_TICKET_RATE_LIMIT", "10/minute", "How many tickets one client may submit, e.g. `10/minute`; a signed-in customer's messages, sign-offs, follow-ups and approvals count too (staff replies do not). Empty turns the limit off.", rate_limit)
    ticket_recipient_rate_limit: str | None = declare("KB_TICKET_RECIPIENT_RATE_LIMIT", "5/hour;20/day", "How many tickets may name one email address (each is mailed an acknowledgement), e.g. `5/hour;20/day`, so the form cannot flood a mailbox; empty turns the limit off.", rate_limit)
    trusted_proxies: int = declare("KB_TRUSTED_PROXIES", "0", "How many reverse proxies in front of the bridge set `X-Forwarded-For` and `X-Forwarded-Proto`; rate limits then key on the client address they report. 0 trusts no such header.", whole_number(minimum=0))
    search_rate_limit: str | None = declare("KB_SEARCH_RATE_LIMIT", "300/minute", "How many searches, opened results and feedback answers one client may send together (`/api/search`, `/api/search-events`, `/api/feedback`); far above what a person typing sends. Empty turns the limit off.", rate_limit)
    session_hours: int = declare("KB_SESSION_HOURS", "12", "How long a sign-in lasts, in hours, from the moment the emailed link was used; then the customer signs in again.", whole_number(minimum=1, maximum=720))
    sign_in_address_rate_limit: str | None = declare("KB_SIGN_IN_ADDRESS_RATE_LIMIT", "5/hour", "How many sign-in links one address may be sent, e.g. `5/hour`; empty turns the limit off.", rate_limit)
    sign_in_client_rate_limit: str | None = declare("KB_SIGN_IN_CLIENT_RATE_LIMIT", "20/hour", "How many sign-in links one client may ask for, whatever the address, e.g. `20/hour`; empty turns the limit off.", rate_limit)
    attachment_max_mb: int = declare("KB_ATTACHMENT_MAX_MB", "10", "The largest file a customer may attach to a message, in MB (up to 5 files a message).", whole_number(minimum=1, maximum=100))
    ratelimit_storage_url: str = declare("KB_RATELIMIT_STORAGE_URL", "memory://", "Where rate-limit counters live: `memory://` counts per worker process; a shared store such as `redis://host:6379` counts across workers.", url_with_scheme("memory", "redis", "rediss"))
    mail_max_mb: int = declare("KB_MAIL_MAX_MB", "25", "The largest email `kb mail ingest` and `kb mail poll` take, in MB; a larger one is refused, never stored as a ticket (`ingest` keeps it in KB_MAIL_DEAD_LETTER_DIR; `poll` moves it unread to the refused folder). Attachments within it are still held to KB_ATTACHMENT_MAX_MB each.", whole_number(minimum=1, maximum=200))
    mail_dead_letter_dir: Path = declare("KB_MAIL_DEAD_LETTER_DIR", "var/mail/dead-letter", "Where an incoming email that cannot be read or is too large is kept, one `.eml` file each, so nothing sent to the desk is lost.", project_path)
    mail_acknowledgements_per_hour: int = declare("KB_MAIL_ACKNOWLEDGEMENTS_PER_HOUR", "5", "How many acknowledgements of emailed requests one address may be sent in an hour; past it the tickets are still raised, without a mail, so two robots cannot mail each other for ever.", whole_number(minimum=1))
    imap_url: str | None = declare("KB_IMAP_URL", None, "The support mailbox `kb mail poll` reads, e.g. `imaps://user:password@host:993/INBOX` (`imap://` for an unencrypted server on this machine); percent-encode `@` or `:` in the user or password.", url_with_scheme("imap", "imaps"))
    imap_handled_folder: str = declare("KB_IMAP_HANDLED_FOLDER", "kb-handled", "The IMAP folder each handled email is moved to (created if missing), so no email is handled twice; one that cannot be read goes to the same name with `-refused` added.", text)
    imap_poll_seconds: int = declare("KB_IMAP_POLL_SECONDS", "0", "With KB_IMAP_URL set, how often `kb serve` polls the mailbox, in seconds, in a process of its own beside the web workers; 0 leaves polling to `kb mail poll`.", whole_number(minimum=0))

    @property
    def public_url(self) -> str:
        """The address customers reach the help centre at, for links in mail."""
        return self.site_url or f"http://127.0.0.1:{self.port}"

    @property
    def site_dir(self) -> Path:
        return self.build_dir / "site"

    @property
    def index_dir(self) -> Path:
        return self.build_dir / "index"


SETTINGS: tuple[Setting, ...] = tuple(f.metadata["setting"] for f in fields(Settings))


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the environment, then explicit overrides (tests, `kb serve --port`), each parsed.

    Raises SettingsError naming the first variable whose value is unusable.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for declared in fields(Settings):
        setting: Setting = declared.metadata["setting"]
        raw = (overrides or {}).get(setting.name, environ.get(setting.name, setting.default))
        if raw is None or raw == "":
            values[declared.name] = None
            continue
        try:
            values[declared.name] = setting.parse(raw)
        except ValueError as error:
            raise SettingsError(f"{setting.name}={raw!r}: {error}") from error
    return Settings(**values)


def settings_table() -> str:
    """The Markdown table of settings that the README carries (a test keeps the two in step)."""
    rows = ["| Variable | Default | What it does |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | {f'`{s.default}`' if s.default else '(none)'} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)
