"""`kb serve` as a browser test meets it: gunicorn on a free port, its mail going to aiosmtpd in this process."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from bridge.accounts.models import Contact, Organisation, StaffMember
from bridge.db import make_engine, make_session_factory, upgrade_database
from tests.conftest import free_port, wait_until_up
from tests.tickets.smtp_recorder import RecordingHandler

SIGN_IN_LINK = re.compile(r"^(http://\S+/account/sign-in/\S+?)\r?$", re.MULTILINE)


def mail_to(mail: RecordingHandler, address: str, subject_has: str, body_has: str = "",
            seconds: float = 20) -> EmailMessage:
    """The newest mail to address whose subject (and text) has the words, once the server has accepted it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for received in reversed(mail.received):
            message = message_from_bytes(received.content, policy=policy.default)
            if (received.rcpt_tos == [address] and subject_has in message["Subject"]
                    and body_has in message.get_body(("plain",)).get_content()):
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address} about {subject_has!r} within {seconds} s")


def sign_in_link(mail: RecordingHandler, address: str) -> str:
    """The link in the newest sign-in mail to address."""
    text = mail_to(mail, address, "sign in").get_body(("plain",)).get_content()
    return SIGN_IN_LINK.search(text).group(1)


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
def kb_serve(built_kb: Path, database_url: str, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`kb serve` of the build: its base URL and its (gunicorn master's) process, until the block ends."""
    port = free_port()
    environment = {**os.environ, "KB_DATABASE_URL": database_url, **env}
    process = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", str(port), "--out", str(built_kb)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(base + "api/health", process)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def served_with_mail(built_kb: Path, database_url: str, **env: str) -> Iterator[tuple[str, RecordingHandler]]:
    """The served bridge's base URL and the recorder of every mail it sends, until the block ends."""
    handler = RecordingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with kb_serve(built_kb, database_url, KB_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}", **env) as (base, _):
            yield base, handler
    finally:
        smtp.stop()
