"""A migrated PostgreSQL schema of each test's own, so the ticket tests run on both backends.

Each schema is selected through `search_path` in the URL: tests never see each other's tables,
even when several runs share one server. An unreachable server skips outside CI and fails in CI.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bridge.db import make_engine, upgrade_database
from tests.conftest import skip_or_fail

SERVER_URL = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def migrated_schema(server_url: str = SERVER_URL) -> Iterator[str]:
    """Yield the URL of a new, migrated schema; drop it afterwards."""
    schema = f"kb_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        first_line = str(error.orig).splitlines()[0]
        skip_or_fail(f"PostgreSQL at {make_url(server_url).render_as_string()} is unreachable: {first_line}")
    try:
        url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        upgrade_database(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
