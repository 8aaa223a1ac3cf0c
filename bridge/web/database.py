"""The bridge's database connection: one engine and session factory per process, made on demand.

Made lazily (not in create_app) so that gunicorn workers each open their own connections after
forking; the schema itself is upgraded once by `kb serve` before the workers start.
"""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import make_engine, make_session_factory

EXTENSION = "kb_database"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = None


def session_factory() -> sessionmaker[Session]:
    factory = current_app.extensions.get(EXTENSION)
    if factory is None:
        factory = make_session_factory(make_engine(current_app.config["KB_DATABASE_URL"]))
        current_app.extensions[EXTENSION] = factory
    return factory
