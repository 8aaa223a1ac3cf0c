"""`kb report`: the review board's figures for the last N days, as a table, CSV or JSON."""
from __future__ import annotations

import csv
import json
import sys
from datetime import timedelta

import click

from bridge.cli.startup import fail, services_or_exit
from bridge.db import upgrade_database
from bridge.desk.report import DeskReport, desk_report
from bridge.searchlog.redact import printable, spreadsheet_safe
from bridge.tickets.business_time import BusinessCalendar


@click.command()
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Tickets raised, searches made and articles marked solved in the last N days.")
@click.option("--product", help="Only this product (a key from the product list).")
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def report(days: int, product: str | None, output: str) -> None:
    """Desk figures: tickets raised, response and resolution times, targets, ratings, self-service."""
    services = services_or_exit("kb report")
    keys = [p.key for p in services.products]
    if product is not None and product not in keys:
        services.close()
        fail("kb report", 2, f"--product must be one of: {', '.join(keys)}")
    upgrade_database(services.settings.database_url)
    try:
        now = services.clock()
        with services.sessions()() as session:
            figures = desk_report(session, since=now - timedelta(days=days), until=now,
                                  calendar=BusinessCalendar.from_policy(services.policy),
                                  priorities=[p.key for p in services.policy.priorities],
                                  request_types=[t.key for t in services.policy.request_types],
                                  credit_categories=[c.key for c in services.policy.credits.categories]
                                  if services.policy.credits else (),
                                  products=[product] if product else None)
    finally:
        services.close()
    if output == "json":
        click.echo(json.dumps(figures.as_json(), indent=2))
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(("section", "figure", "value"))
        writer.writerows((section, spreadsheet_safe(printable(name)), "" if value is None else value)
                         for section, name, value in figures.rows())
    else:
        click.echo(_table(figures, days, product))


def _table(figures: DeskReport, days: int, product: str | None) -> str:
    lines = [f"Desk figures for the last {days} days{f' ({product})' if product else ''}:"]
    section = None
    for heading, name, value in figures.rows():
        if heading != section:
            lines.append(f"\n{heading}")
            section = heading
        lines.append(f"  {printable(name):<50} {'-' if value is None else value}")
    return "\n".join(lines)
