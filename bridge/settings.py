"""Every `KB_` setting, declared once: the README table and `kb --help` are derived from this list.

Settings come from the environment only. Relative paths are taken from the project folder, so
`make run` works from anywhere in the checkout.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting stops the bridge from starting; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    is_path: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("KB_ENV", "development", "`development` or `production`; production refuses to start without KB_SECRET_KEY."),
    Setting("KB_SECRET_KEY", None, "Signs form tokens (CSRF) and confirmation links. Required in production; development creates one once in `var/secret-key`, shared by all workers."),
    Setting("KB_BUILD_DIR", "var/build", "Where `kb build` writes the site (`site/`) and the search index (`index/`), and `kb serve` reads them.", True),
    Setting("KB_DATABASE_URL", "sqlite:///var/kb.sqlite3", "Ticket store: SQLite by default, or e.g. `postgresql+psycopg://user@host/db`."),
    Setting("KB_SMTP_URL", None, "`smtp://host:port` to send mail; without it mail is written as .eml files to KB_OUTBOX_DIR."),
    Setting("KB_OUTBOX_DIR", "var/outbox", "Where mail goes when KB_SMTP_URL is not set.", True),
    Setting("KB_MAIL_FROM", "support@example.com", "The support address mail is sent from and customers write to."),
    Setting("KB_SITE_URL", "http://127.0.0.1:8000", "The public address of the help centre, for links in mail."),
    Setting("KB_SUPPORT_POLICY", "site_config/support.yml", "The support policy: hours, holidays, priorities, request types.", True),
    Setting("KB_PRODUCTS", "site_config/products.yml", "The product list articles and tickets may name.", True),
    Setting("KB_SEARCH_LOG_RETENTION_DAYS", "90", "How long the search log (queries, clicks, feedback; no personal data) is kept."),
    Setting("KB_TICKET_RATE_LIMIT", "10/minute", "How many tickets one client may submit, e.g. `10/minute`; empty turns the limit off."),
    Setting("KB_RATELIMIT_STORAGE_URL", "memory://", "Where rate-limit counters live: `memory://` counts per worker process; a shared store such as `redis://host:6379` counts across workers."),
)


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Defaults, then the environment, then explicit overrides (tests); paths made absolute."""
    environ = os.environ if environ is None else environ
    values: dict[str, str | None] = {}
    for setting in SETTINGS:
        value = (overrides or {}).get(setting.name, environ.get(setting.name, setting.default))
        if value and setting.is_path:
            value = str(PROJECT_ROOT / value)
        values[setting.name] = value
    return values


def settings_table() -> str:
    """The Markdown table of settings that the README carries (a test keeps the two in step)."""
    rows = ["| Variable | Default | What it does |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | {f'`{s.default}`' if s.default else '(none)'} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)
