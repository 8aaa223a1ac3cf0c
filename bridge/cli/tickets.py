"""`kb tickets show REF`: a ticket as the desk reads it out on the phone, times in the desk's own zone."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from bridge.cli.startup import fail, services_or_exit
from bridge.desk.targets import breached
from bridge.tickets.models import Ticket
from bridge.tickets.policy import SupportPolicy
from bridge.tickets.reference import InvalidReference, normalise_reference
from bridge.tickets.service import find_ticket
from bridge.tickets.status import TicketStatus
from bridge.tickets.times import local_time


COMMAND = "kb tickets show"


@click.group()
def tickets() -> None:
    """Look up tickets in the ticket store (KB_DATABASE_URL)."""


@tickets.command()
@click.argument("reference")
def show(reference: str) -> None:
    """Print the ticket REFERENCE; case, spaces and dashes do not matter (kb-0000123 4 finds KB-0000123-4).

    Exits 2 when the reference is not valid (its check digit catches a mistyped or swapped
    digit) and 1 when it is valid but no such ticket exists.
    """
    services = services_or_exit(COMMAND)
    policy = services.policy
    try:
        with services.sessions()() as session:
            ticket = find_ticket(session, reference, policy.reference_prefix)
    except InvalidReference as error:
        fail(COMMAND, 2, f"{reference!r} is {error}")
    except SQLAlchemyError as error:
        fail(COMMAND, 1, f"cannot read tickets from KB_DATABASE_URL: {error}")
    finally:
        services.close()
    if ticket is None:
        fail(COMMAND, 1, f"no ticket {normalise_reference(reference, policy.reference_prefix)}")
    click.echo(describe(ticket, policy, services.clock()))


def describe(ticket: Ticket, policy: SupportPolicy, now: datetime) -> str:
    """The ticket as aligned "label  value" lines, the description and suggested articles last."""
    request_type = policy.request_type(ticket.request_type)
    priority = policy.priority(ticket.priority)
    rows = [
        ("Reference", ticket.reference),
        ("Status", f"{TicketStatus(ticket.status).label} ({ticket.status}"
                   f"{': ' + ticket.withheld_reason if ticket.withheld_reason else ''})"),
        ("Priority", f"{priority.label} ({priority.target.describe()})"),
        ("Subject", ticket.subject),
        ("From", f"{ticket.name} <{ticket.email}>"),
        ("Product", ticket.product),
        ("Request type", request_type.label),
        ("Covered", "yes" if ticket.covered else "NO: not covered by the support agreement, flagged"),
        ("Created", _local(ticket.created_at, policy.timezone)),
        ("Acknowledge by", _local(ticket.acknowledge_by, policy.timezone)),
        ("Respond by", _local(ticket.respond_by, policy.timezone)),
        ("Responded", _local(ticket.responded_at, policy.timezone)),
        ("Resolve by", _local(ticket.resolve_by, policy.timezone)),
        ("Resolved", _local(ticket.resolved_at, policy.timezone)),
        ("Breached", "YES: a target was missed" if breached(ticket, now) else "no"),
        ("Assignee", ticket.assignee or "-"),
        ("Query", ticket.query or "-"),
        ("Page", ticket.page or "-"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {value}" for label, value in rows]
    lines.append("Suggested articles:" if ticket.suggested_articles else "Suggested articles: none")
    lines += [f"  - {article['title']}: {article['url']}" for article in ticket.suggested_articles]
    lines += ["Description:", *(f"  {line}" for line in ticket.description.splitlines())]
    return "\n".join(lines)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    """Times as customers read them (bridge.tickets.times), with the year, which a desk looking back needs;
    "-" for a target that is not running (a withheld ticket) or not met yet."""
    return local_time(moment, zone, year=True) if moment else "-"

