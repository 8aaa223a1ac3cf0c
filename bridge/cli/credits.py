"""`kb credits add`, `kb credits adjust` and `kb credits statement`: an organisation's credits, kept by the desk.

Payment itself happens outside the bridge (an invoice, a card payment): `add` records that a
package was paid for, and charges the tickets that were waiting for credits. Every command
writes new ledger entries only; a mistake is put right with `adjust`, never by editing.
"""
from __future__ import annotations

import csv
import getpass
import json
import sys

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bridge.accounts.admin import Welcome
from bridge.accounts.directory import organisation_by_key
from bridge.accounts.models import Organisation
from bridge.cli.startup import fail, services_or_exit
from bridge.credits.assessment import CreditDesk, CreditsRefused
from bridge.credits.ledger import EntryKind, Statement, balance, lock_organisation, record, statement
from bridge.db import upgrade_database
from bridge.services import Services
from bridge.searchlog.redact import spreadsheet_safe
from bridge.tickets.lifecycle import SYSTEM

COLUMNS = ("at", "kind", "amount", "ticket", "note", "by")


def grant_credits(services: Services) -> Welcome | None:
    """What `kb org add` and imports do to a new organisation: give it the policy's free credits (none if off)."""
    desk = services.credits()
    if desk is None:
        return None

    def welcome(session: Session, organisation: Organisation) -> str:
        desk.grant(session, organisation, actor=SYSTEM, now=services.clock())
        return f"granted {desk.terms.grant} free credits"

    return welcome


@click.group()
def credits() -> None:
    """Organisations' credits, on a desk whose policy charges them (KB_SUPPORT_POLICY with a credits section)."""


def _operator() -> str:
    return f"{getpass.getuser()} (kb credits)"


def _open(command: str) -> tuple[Services, CreditDesk]:
    services = services_or_exit(command)
    desk = services.credits()
    if desk is None:
        fail(command, 2, f"the support policy {services.settings.support_policy} does not charge credits "
                         "(it has no credits section)")
    upgrade_database(services.settings.database_url)
    return services, desk


def _organisation(command: str, session: Session, key: str) -> Organisation:
    found = organisation_by_key(session, key)
    if found is None:
        fail(command, 2, f"ORG: no organisation {key}; add it first with kb org add")
    return found


@credits.command("add")
@click.argument("org")
@click.option("--package", "credits_bought", type=int, required=True, help="The package bought: how many credits.")
@click.option("--note", required=True, help="Why, for the statement: the invoice or payment, e.g. \"invoice 1042\".")
def add(org: str, credits_bought: int, note: str) -> None:
    """Record that ORG paid for a package of credits. Payment happens outside the bridge (an invoice); this
    records it, then charges ORG's tickets that were waiting for credits, oldest first."""
    command = "kb credits add"
    services, desk = _open(command)
    try:
        with services.sessions()() as session:
            organisation = _organisation(command, session, org)
            _, charged = desk.purchase(session, organisation, credits_bought, note=note, actor=_operator(),
                                       now=services.clock())
            left = balance(session, organisation.id)
            session.commit()
    except CreditsRefused as refused:
        fail(command, 2, f"--{refused.field}: {refused.message}")
    except SQLAlchemyError as error:
        fail(command, 1, f"cannot write to KB_DATABASE_URL: {error}")
    finally:
        services.close()
    click.echo(f"added {credits_bought} credits to {org} ({note})")
    for charging in charged:
        click.echo(f"charged {charging.reference}: {charging.charged} credits ({charging.category}); work resumes")
    click.echo(f"balance now {left}")


@credits.command("adjust")
@click.argument("org")
@click.option("--amount", type=int, required=True, help="Credits to add (positive) or take (negative).")
@click.option("--note", required=True, help="Why: the statement shows it to the customer.")
def adjust(org: str, amount: int, note: str) -> None:
    """Correct ORG's credits with a new entry (entries are never edited or deleted)."""
    command = "kb credits adjust"
    services, _ = _open(command)
    if amount == 0:
        fail(command, 2, "--amount: must not be 0")
    try:
        with services.sessions()() as session:
            organisation = _organisation(command, session, org)
            lock_organisation(session, organisation.id)
            record(session, organisation.id, EntryKind.ADJUSTMENT, amount, note=note, actor=_operator(),
                   now=services.clock())
            left = balance(session, organisation.id)
            session.commit()
    except SQLAlchemyError as error:
        fail(command, 1, f"cannot write to KB_DATABASE_URL: {error}")
    finally:
        services.close()
    click.echo(f"adjusted {org} by {amount:+d} credits ({note}); balance now {left}")


@credits.command("statement")
@click.argument("org")
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def show_statement(org: str, output: str) -> None:
    """Every entry of ORG's ledger, oldest first, and its balance (charges are negative)."""
    command = "kb credits statement"
    services, _ = _open(command)
    try:
        with services.sessions()() as session:
            found = statement(session, _organisation(command, session, org).id)
    finally:
        services.close()
    if output == "json":
        click.echo(json.dumps(found.as_json(), indent=2))
    elif output == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({name: spreadsheet_safe(value) for name, value in line.items()}
                         for line in found.as_json()["entries"])
    else:
        click.echo(_table(found))


def _table(found: Statement) -> str:
    rows = [COLUMNS] + [(line.at.isoformat(timespec="seconds"), line.kind, f"{line.amount:+d}", line.ticket or "",
                         line.note, line.by) for line in found.entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join([*lines, f"Balance: {found.balance} credits"])
