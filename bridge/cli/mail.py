"""`kb mail failed` and `kb mail retry ID...`: the mail the outbox gave up on, and sending it again."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from bridge.cli.startup import fail, services_or_exit
from bridge.notify.outbox import FailedMail, failed_mail, retry_failed


@click.group()
def mail() -> None:
    """Mail the outbox could not deliver (KB_DATABASE_URL)."""


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
