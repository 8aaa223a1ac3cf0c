"""Security headers on every response the bridge sends: pages, assets, the API and errors alike.

- Content-Security-Policy: only the help centre's own scripts, styles and fonts, plus the inline
  scripts of the build being served (bridge/web/content_security.py), so injected markup cannot
  run; `frame-ancestors 'none'` with X-Frame-Options for older browsers, so no other site can
  frame a page and trick a click.
- X-Content-Type-Options: nosniff, so a browser never runs a file as a type it guessed.
- Referrer-Policy: same-origin, so other sites are not told which page (or which search, or the
  signed link of a confirmation) a customer came from.
- Ticket pages and the ticket API are `Cache-Control: no-store`: they hold a customer's details,
  signed links and the form's one-time keys, which must not stay in a shared or back-button cache.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

from bridge.web import site
from bridge.web.content_security import policy_for

EXTENSION = "kb_content_security"
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
PRIVATE_PREFIXES = ("/tickets/", "/api/tickets")
PRIVATE_EXCEPTIONS = ("/tickets/static/",)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = (None, "")
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = current_policy()
    for name, value in FIXED.items():
        response.headers[name] = value
    if request.path.startswith(PRIVATE_PREFIXES) and not request.path.startswith(PRIVATE_EXCEPTIONS):
        response.headers["Cache-Control"] = "no-store"
    return response


def current_policy() -> str:
    """The policy of the site generation being served now, read once each time a build is published."""
    generation = site.site_dir()
    served, policy = current_app.extensions[EXTENSION]
    if served != generation:
        policy = policy_for(generation)
        current_app.extensions[EXTENSION] = (generation, policy)
    return policy
