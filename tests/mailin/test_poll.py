"""`kb mail poll` against a real IMAP server (Dovecot): every email handled once, none lost when the server goes away."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bridge.cli.mail import Refused, take
from bridge.mailin.imap import MAILBOX_ERRORS, Disposition, Mailbox, Poller
from bridge.settings import PROJECT_ROOT
from tests.conftest import eventually, wait_until_up
from tests.mailin.conftest import Desk, email, free_port
from tests.mailin.dovecot import Dovecot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_kb_mail_poll_handles_each_email_and_moves_it_out_of_the_inbox(desk: Desk, dovecot: Dovecot) -> None:
    dovecot.deliver(email().as_bytes(), email(subject="Away", Auto_Submitted="auto-replied").as_bytes(),
                    b"\x00garbage, not an email\r\n")

    result = subprocess.run([sys.executable, "-m", "bridge.cli", "mail", "poll"], capture_output=True, text=True,
                            env={**os.environ, **desk.env, "KB_IMAP_URL": dovecot.url}, cwd=PROJECT_ROOT, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 handled, 1 refused (moved to kb-handled-refused)"
    assert (dovecot.count("INBOX"), dovecot.count("kb-handled"), dovecot.count("kb-handled-refused")) == (0, 2, 1)
    assert len(desk.tickets()) == 1
    assert len(desk.send_mail()) == 1  # the acknowledgement; none for the auto-reply


def test_an_email_over_the_size_limit_is_refused_without_being_downloaded(desk: Desk, dovecot: Dovecot) -> None:
    dovecot.deliver(email(subject="Small").as_bytes(), email(subject="Huge", text="x" * 50_000).as_bytes())
    handled: list[bytes] = []

    def handle(raw: bytes) -> Disposition:
        handled.append(raw)
        return Disposition.HANDLED

    done = Poller(Mailbox.from_url(dovecot.url), handle, handled_folder="kb-handled", timeout=5,
                  max_bytes=20_000).poll_once()

    assert (done.handled, done.refused) == (1, 1)
    assert len(handled) == 1 and b"Subject: Small" in handled[0]
    assert (dovecot.count("INBOX"), dovecot.count("kb-handled"), dovecot.count("kb-handled-refused")) == (0, 1, 1)


def test_the_server_stopped_mid_poll_and_restarted_loses_nothing_and_handles_nothing_twice(
        desk: Desk, dovecot: Dovecot) -> None:
    dovecot.deliver(*(email(subject=f"Problem {n}").as_bytes() for n in range(4)))
    handled: list[str] = []

    def handle_then_crash(raw: bytes) -> Disposition:
        outcome = take(desk.services, raw)
        handled.append(str(outcome))
        if len(handled) == 2:
            dovecot.stop()  # after storing the second email, before it is moved
        return Disposition.REFUSED if isinstance(outcome, Refused) else Disposition.HANDLED

    poller = Poller(Mailbox.from_url(dovecot.url), handle_then_crash, handled_folder="kb-handled", timeout=5)
    with pytest.raises(MAILBOX_ERRORS):
        poller.poll_once()
    dovecot.start()
    done = poller.poll_once()

    assert [outcome.split()[0] for outcome in handled] == ["ticket", "ticket", "duplicate:", "ticket", "ticket"]
    assert (done.handled, done.refused) == (3, 0)
    assert sorted(ticket.subject for ticket in desk.tickets()) == [f"Problem {n}" for n in range(4)]
    assert (dovecot.count("INBOX"), dovecot.count("kb-handled")) == (0, 4)
    assert len(desk.send_mail()) == 4


def test_polling_continues_through_the_server_going_away_and_coming_back(desk: Desk, dovecot: Dovecot) -> None:
    def handle(raw: bytes) -> Disposition:
        return Disposition.REFUSED if isinstance(take(desk.services, raw), Refused) else Disposition.HANDLED

    stop = threading.Event()
    poller = Poller(Mailbox.from_url(dovecot.url), handle, handled_folder="kb-handled", timeout=5)
    runner = threading.Thread(target=poller.run, args=(0.1, stop), daemon=True)
    runner.start()
    try:
        dovecot.deliver(email(subject="Before").as_bytes())
        assert len(eventually(desk.tickets, lambda tickets: len(tickets) == 1)) == 1
        dovecot.stop()
        dovecot.start()
        dovecot.deliver(email(subject="After").as_bytes())
        tickets = eventually(desk.tickets, lambda tickets: len(tickets) == 2, seconds=30)
        assert [ticket.subject for ticket in tickets] == ["Before", "After"]
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()


def test_kb_serve_polls_the_mailbox_beside_its_web_workers(desk: Desk, dovecot: Dovecot, built_kb: Path) -> None:
    port = free_port()
    env = {**os.environ, **desk.env, "KB_BUILD_DIR": str(built_kb), "KB_IMAP_URL": dovecot.url,
           "KB_IMAP_POLL_SECONDS": "1", "PORT": str(port)}
    serve = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--workers", "1"], env=env, cwd=PROJECT_ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/health", serve)
        dovecot.deliver(email(subject="Sent while the bridge runs").as_bytes())
        tickets = eventually(desk.tickets, lambda tickets: len(tickets) == 1, seconds=60)
        assert [ticket.subject for ticket in tickets] == ["Sent while the bridge runs"]
        assert eventually(lambda: dovecot.count("kb-handled"), lambda moved: moved == 1) == 1
    finally:
        serve.terminate()
        assert serve.wait(timeout=60) == 0


def test_with_the_database_down_a_poll_leaves_the_mail_in_the_mailbox(desk: Desk, dovecot: Dovecot) -> None:
    dovecot.deliver(email().as_bytes())
    down = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2"

    result = subprocess.run([sys.executable, "-m", "bridge.cli", "mail", "poll"], capture_output=True, text=True,
                            env={**os.environ, **desk.env, "KB_IMAP_URL": dovecot.url, "KB_DATABASE_URL": down},
                            cwd=PROJECT_ROOT, timeout=120)

    assert result.returncode == 1 and "the messages stay in the mailbox" in result.stderr
    assert (dovecot.count("INBOX"), dovecot.count("kb-handled")) == (1, 0)
