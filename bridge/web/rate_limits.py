"""Per-client rate limits: one Flask-Limiter per limit, each from a `KB_..._RATE_LIMIT` setting.

Ticket posts and the search endpoints are limited apart, so a customer who searched a lot can
still file a ticket. A breach answers 429: under /api/ with the API's JSON error
(`bridge.web.errors`), elsewhere as the caller's `on_breach` decides.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from bridge.web.context import services

# Answers a breach with a page of its own, or None for Flask-Limiter's 429 (JSON under /api/).
OnBreach = Callable[[RequestLimit], Response | None]


def shared_limit(app: Flask, rate: str | None, scope: str, on_breach: OnBreach | None = None,
                 methods: list[str] | None = None) -> Callable | None:
    """A decorator that puts views or blueprints under one limit per client, or None when `rate` is empty.

    No Limiter is made for an empty rate: a disabled one sets the app's RATELIMIT_ENABLED, which
    would switch the app's other limits off too.
    """
    if not rate:
        return None
    limiter = Limiter(get_remote_address, app=app, storage_uri=services(app).settings.ratelimit_storage_url,
                      headers_enabled=True)
    return limiter.shared_limit(rate, scope=scope, methods=methods, on_breach=on_breach)
