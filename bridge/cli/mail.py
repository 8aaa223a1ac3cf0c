"""`kb mail`: email in (`ingest`, `poll`) and the mail the outbox gave up on (`failed`, `retry`).

`kb mail ingest` is what a mail server's pipe transport runs, so its exit status follows
sysexits.h, which Postfix, Exim and sendmail read: 0 stored (or deliberately ignored), 65 for a
message that cannot be read (kept in KB_MAIL_DEAD_LETTER_DIR, and the server bounces it), 75
when it cannot be stored now (the server keeps it and tries again later).
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from bridge.cli.startup import fail, services_or_exit
from bridge.db import utc_now
from bridge.notify.outbox import FailedMail, failed_mail, retry_failed
from bridge.services import Services
from bridge.settings import SettingsError, load_settings
from bridge.tickets.policy import PolicyError

EX_DATAERR = 65
EX_TEMPFAIL = 75


@click.group()
def mail() -> None:
    """Email in (ingest, poll) and the mail the outbox could not deliver (failed, retry)."""


@mail.command()
@click.argument("source", type=click.File("rb"), default="-")
@click.option("--recipient", "recipients", multiple=True, metavar="ADDRESS",
              help="The envelope recipient (Postfix: ${original_recipient}), e.g. support+ledger@...; repeatable.")
def ingest(source: BinaryIO, recipients: tuple[str, ...]) -> None:
    """Take one email (FILE, or standard input) as a mail server's pipe delivers it; exit 0, 65 or 75."""
    raw = source.read()
    try:
        services = Services(load_settings())
    except (SettingsError, PolicyError) as error:
        fail("kb mail ingest", EX_TEMPFAIL, f"{error}; the mail server keeps the message and tries again")
    try:
        kept = take(services, raw, recipients)
    except SQLAlchemyError as error:
        fail("kb mail ingest", EX_TEMPFAIL, f"cannot store the message in KB_DATABASE_URL "
                                             f"({type(error).__name__}); the mail server tries again later")
    except OSError as error:
        fail("kb mail ingest", EX_TEMPFAIL, f"cannot keep the unreadable message: {error}")
    except Exception as error:  # a fault of ours: the email is stored (or not at all), so let the server retry
        logging.getLogger(__name__).exception("kb mail ingest: could not handle the message")
        fail("kb mail ingest", EX_TEMPFAIL, f"could not handle the message ({type(error).__name__}); "
                                             "the mail server tries again later")
    finally:
        services.close()
    if isinstance(kept, Refused):
        fail("kb mail ingest", EX_DATAERR, f"not an email the desk can take: {kept.reason}; kept as {kept.path}")
    click.echo(kept)


@mail.command()
@click.option("--watch", is_flag=True, help="Keep polling every KB_IMAP_POLL_SECONDS (60 if 0) until stopped.")
def poll(watch: bool) -> None:
    """Handle every email in the KB_IMAP_URL mailbox and move it to KB_IMAP_HANDLED_FOLDER; exit 1 if it is unreachable."""
    from bridge.mailin.imap import MAILBOX_ERRORS, Disposition, Mailbox, Poller

    services = services_or_exit("kb mail poll")
    settings = services.settings
    if settings.imap_url is None:
        fail("kb mail poll", 2, "KB_IMAP_URL is not set: the mailbox to read, e.g. imaps://user:password@host:993/INBOX")
    try:
        mailbox = Mailbox.from_url(settings.imap_url)
    except ValueError as error:
        fail("kb mail poll", 2, f"KB_IMAP_URL: {error}")

    def handle(raw: bytes) -> Disposition:
        try:
            return Disposition.REFUSED if isinstance(take(services, raw), Refused) else Disposition.HANDLED
        except SQLAlchemyError:
            raise  # the database is down: the message stays in the mailbox for the next round
        except Exception:  # a fault of ours with this one message: it is stored; set it aside, not block the rest
            logging.getLogger(__name__).exception("kb mail poll: could not handle a message; moved to the refused folder")
            return Disposition.REFUSED

    poller = Poller(mailbox, handle, handled_folder=settings.imap_handled_folder,
                    max_bytes=settings.mail_max_mb * 1_000_000)
    try:
        if watch:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
            services.start_outbox_sender()
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                poller.run(float(settings.imap_poll_seconds or 60), stop)
            except KeyboardInterrupt:
                pass
            return
        try:
            done = poller.poll_once()
        except MAILBOX_ERRORS as error:
            fail("kb mail poll", 1, f"{mailbox.describe()}: {error}; nothing was lost, poll again")
        except SQLAlchemyError as error:
            fail("kb mail poll", 1, f"cannot store mail in KB_DATABASE_URL ({type(error).__name__}); "
                                    "the messages stay in the mailbox")
        click.echo(f"{done.handled} handled, {done.refused} refused (moved to {settings.imap_handled_folder}"
                   f"{'-refused' if done.refused else ''})")
    finally:
        services.close()


@dataclass(frozen=True)
class Refused:
    """A message the desk cannot take, kept in the dead-letter folder."""

    path: Path
    reason: str


def take(services: Services, raw: bytes, recipients: tuple[str, ...] = ()) -> str | Refused:
    """Hand raw to the mail desk: what it became, or where a message it cannot take was kept and why."""
    from bridge.mailin.dead_letter import keep
    from bridge.mailin.parse import Unreadable

    try:
        return services.mail_desk().receive(raw, envelope_recipients=recipients).describe()
    except Unreadable as unreadable:
        return Refused(keep(services.settings.mail_dead_letter_dir, raw, str(unreadable), utc_now()), str(unreadable))


@mail.command()
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="Show at most this many.")
def failed(limit: int) -> None:
    """List the mail the outbox gave up on, most recent first, with the reason; exit 0 either way."""
    services = services_or_exit("kb mail failed")
    try:
        messages = failed_mail(services.sessions(), limit)
    except SQLAlchemyError as error:
        fail("kb mail failed", 1, f"cannot read the outbox from KB_DATABASE_URL: {error}")
    finally:
        services.close()
    if not messages:
        click.echo("No failed mail.")
    for message in messages:
        click.echo(describe(message, services.policy.timezone))


@mail.command()
@click.argument("ids", nargs=-1, type=int, required=True)
def retry(ids: tuple[int, ...]) -> None:
    """Queue the failed messages IDS again, with a fresh count of attempts; exit 1 if any was not a failed message."""
    services = services_or_exit("kb mail retry")
    try:
        retried = retry_failed(services.sessions(), list(ids))
    except SQLAlchemyError as error:
        fail("kb mail retry", 1, f"cannot update the outbox in KB_DATABASE_URL: {error}")
    finally:
        services.close()
    if retried:
        click.echo(f"Queued again: {', '.join(map(str, retried))}. `kb serve` sends them on its next round.")
    missing = sorted(set(ids) - set(retried))
    if missing:
        fail("kb mail retry", 1, f"not failed mail: {', '.join(map(str, missing))}")


def describe(message: FailedMail, zone: ZoneInfo) -> str:
    """One failed message: when and to whom on the first line, its subject and the mail server's reason below."""
    failed_at = message.failed_at.astimezone(zone)
    return (f"#{message.id}  {failed_at:%a %d %b %Y %H:%M %Z}  {message.kind} to {message.recipient}  "
            f"after {message.attempts} attempt{'s' if message.attempts != 1 else ''}\n"
            f"  Subject: {message.subject}\n  Reason:  {message.reason}")
