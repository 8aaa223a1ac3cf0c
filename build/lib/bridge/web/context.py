"""What a request works with: this process's services, and a database session of its own.

The request owns its session and transaction, as flaskr's `db.py` does: the session opens on
first use and closes when the request ends, rolling back whatever the view did not commit. A view
commits once, after every step of its change (a ticket, its mail, later an audit event or a
credit charge) is in the session, so they land together or not at all.
"""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from bridge.services import Services

EXTENSION = "kb_services"


def init_app(app: Flask, services: Services) -> None:
    app.extensions[EXTENSION] = services
    app.teardown_appcontext(_close_session)


def services(app: Flask | None = None) -> Services:
    """The services of `app` (default: the app handling this request)."""
    return (app or current_app).extensions[EXTENSION]


def db_session() -> Session:
    """This request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = services().sessions()()
    return g.db_session


def _close_session(exception: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
