"""`kb mail ingest` as a mail server's pipe transport runs it: exit 0, 65 or 75, and nothing lost."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bridge.mailin.models import InboundMessage
from bridge.settings import PROJECT_ROOT
from tests.mailin.conftest import Desk, email, free_port

# Each case starts the command in a process of its own; the handler's work on both databases is in test_mail_in.py.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def ingest(env: dict[str, str], message: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge.cli", "mail", "ingest", *args], input=message.decode("latin-1"),
                          capture_output=True, text=True, encoding="latin-1", env={**os.environ, **env},
                          cwd=PROJECT_ROOT, timeout=120)


def test_a_stored_email_exits_0_and_names_its_ticket(desk: Desk) -> None:
    result = ingest(desk.env, email().as_bytes())

    assert result.returncode == 0, result.stderr
    [ticket] = desk.tickets()
    assert result.stdout.strip().startswith(f"ticket {ticket.reference}")


def test_a_duplicate_and_an_automatic_email_exit_0(desk: Desk) -> None:
    mail = email().as_bytes()
    assert ingest(desk.env, mail).returncode == 0
    again = ingest(desk.env, mail)
    robot = ingest(desk.env, email(Auto_Submitted="auto-replied").as_bytes())

    assert again.returncode == 0 and again.stdout.startswith("duplicate")
    assert robot.returncode == 0 and robot.stdout.startswith("automatic")
    assert len(desk.tickets()) == 1


def test_an_unreadable_message_exits_65_and_is_kept_in_the_dead_letter_folder(desk: Desk) -> None:
    garbage = b"\x00\x01\x02 this is not an email at all\r\n"

    result = ingest(desk.env, garbage)

    assert result.returncode == 65
    dead = Path(desk.env["KB_MAIL_DEAD_LETTER_DIR"])
    [kept] = dead.glob("*.eml")
    assert kept.read_bytes() == garbage
    assert kept.with_suffix(".txt").read_text() == "the message has no header\n"
    assert str(kept) in result.stderr and desk.tickets() == []


def test_an_oversized_message_exits_65_and_is_kept(desk: Desk) -> None:
    mail = email(text="x" * 2_100_000).as_bytes()

    result = ingest({**desk.env, "KB_MAIL_MAX_MB": "2"}, mail)

    assert result.returncode == 65 and "KB_MAIL_MAX_MB" in result.stderr
    assert len(list(Path(desk.env["KB_MAIL_DEAD_LETTER_DIR"]).glob("*.eml"))) == 1
    assert desk.tickets() == []


def test_with_the_database_down_it_exits_75_so_the_mail_server_tries_again(desk: Desk) -> None:
    down = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2"
    mail = email().as_bytes()

    result = ingest({**desk.env, "KB_DATABASE_URL": down}, mail)

    assert result.returncode == 75, result.stderr
    assert "tries again" in result.stderr
    assert ingest(desk.env, mail).returncode == 0  # the retry, once the database is back
    assert len(desk.tickets()) == 1


def test_the_raw_email_is_stored_before_anything_else(desk: Desk) -> None:
    mail = email().as_bytes()
    ingest(desk.env, mail)
    with desk.services.sessions()() as session:
        stored = session.scalars(select(InboundMessage)).one()
        assert stored.raw == mail  # byte for byte as the mail server piped it
        assert (stored.status, stored.outcome) == ("handled", "ticket")


def test_the_envelope_recipient_names_the_product(desk: Desk) -> None:
    """Postfix passes ${original_recipient}: support+rota@ even when the To header says support@."""
    result = ingest(desk.env, email(sender="bob@acme.example").as_bytes(), "--recipient", "support+rota@example.com")
    assert result.returncode == 0, result.stderr
    assert [ticket.product for ticket in desk.tickets()] == ["rota"]
