"""`kb serve` as a browser test meets it: gunicorn on a free port, its mail going to aiosmtpd in this process."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from aiosmtpd.controller import Controller

from bridge.accounts.models import Contact, Organisation, StaffMember
from bridge.db import make_engine, make_session_factory, upgrade_database
from tests.conftest import free_port, wait_until_up
from tests.tickets.smtp_recorder import RecordingHandler


def database_with_acme(folder: Path, contact: str, staff: Sequence[tuple[str, str]] = ()) -> str:
    """A migrated SQLite database in folder with Acme Ltd (ledger, paid up), contact as its nominated contact Ada
    Lovelace, and each (email, name) in staff on the ledger board; its URL, for `kb serve`."""
    database = f"sqlite:///{folder / 'kb.sqlite3'}"
    upgrade_database(database)
    engine = make_engine(database)
    with make_session_factory(engine)() as session:
        acme = Organisation(key="acme", name="Acme Ltd", products=["ledger"], paid_until=date(2099, 1, 1),
                            out_of_hours_cover=False)
        session.add(acme)
        session.flush()
        session.add(Contact(email=contact, name="Ada Lovelace", organisation_id=acme.id, nominated=True,
                            products=["ledger"]))
        session.add_all(StaffMember(email=email, name=name, boards=["ledger"]) for email, name in staff)
        session.commit()
    engine.dispose()
    return database


@contextmanager
def served_with_mail(built_kb: Path, database_url: str, **env: str) -> Iterator[tuple[str, RecordingHandler]]:
    """The served bridge's base URL and the recorder of every mail it sends, until the block ends."""
    handler = RecordingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    environment = {**os.environ, "KB_DATABASE_URL": database_url, "KB_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", **env}
    process = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", str(port), "--out", str(built_kb)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(base + "api/health", process)
        yield base, handler
    finally:
        process.terminate()
        process.wait(timeout=60)
        smtp.stop()
