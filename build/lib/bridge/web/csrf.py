"""The bridge's signatures: form tokens against cross-site posts, and short-lived links to a confirmation.

Both are signed with KB_SECRET_KEY. A form token signs a random value that is also kept in the
customer's session cookie, so a page on another site can neither read a token nor make one that
matches the cookie; it expires after a few hours, so an old copy of the form cannot be replayed.
Every gunicorn worker must sign with the same key, which is why development does not use a
random key per process but one created once in var/secret-key.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bridge.settings import PROJECT_ROOT, SettingsError
from bridge.web.context import services

DEV_KEY_FILE = PROJECT_ROOT / "var" / "secret-key"
FORM_MAX_AGE = timedelta(hours=4)
RECEIPT_MAX_AGE = timedelta(days=1)
_FORM_SALT = "kb-bridge.ticket-form"
_RECEIPT_SALT = "kb-bridge.receipt"
_SESSION_KEY = "form_nonce"


def init_app(app: Flask) -> None:
    """Sign with the configured key; production refuses to start without one."""
    settings = services(app).settings
    app.secret_key = secret_key(settings.env, settings.secret_key)
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.env == "production")


def secret_key(env: str, configured: str | None, dev_key_file: Path = DEV_KEY_FILE) -> str:
    """The configured key; in development, a key created once in a file and shared by every worker."""
    if configured:
        return configured
    if env == "production":
        raise SettingsError(
            "KB_ENV=production needs KB_SECRET_KEY to sign forms: set it to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, the same for every worker"
        )
    return _dev_key(dev_key_file)


def _dev_key(path: Path) -> str:
    """Read the development key, creating it atomically on first use (link fails if another process won the race)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-key.")
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(32))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def form_token() -> str:
    """A token for one form, bound to this browser's session."""
    nonce = session.setdefault(_SESSION_KEY, secrets.token_urlsafe(16))
    return _serializer(_FORM_SALT).dumps(nonce)


def form_token_is_valid(token: str | None) -> bool:
    """Whether token was issued to this browser's session within FORM_MAX_AGE."""
    if not token or _SESSION_KEY not in session:
        return False
    try:
        nonce = _serializer(_FORM_SALT).loads(token, max_age=FORM_MAX_AGE.total_seconds())
    except BadSignature:
        return False
    return secrets.compare_digest(str(nonce), str(session[_SESSION_KEY]))


def receipt_token(reference: str) -> str:
    """A link token that lets whoever submitted a ticket see its confirmation, for RECEIPT_MAX_AGE."""
    return _serializer(_RECEIPT_SALT).dumps(reference)


def reference_from_receipt_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return str(_serializer(_RECEIPT_SALT).loads(token, max_age=RECEIPT_MAX_AGE.total_seconds()))
    except BadSignature:
        return None


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)
