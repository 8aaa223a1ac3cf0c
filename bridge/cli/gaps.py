"""`kb gaps`: what customers searched for in vain, newest first, for writers."""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from datetime import timedelta

import click

from bridge.cli.startup import services_or_exit
from bridge.db import upgrade_database, utc_now
from bridge.desk.articles_wanted import flagged_questions, with_flagged
from bridge.searchlog.gaps import Gap, unresolved_searches
from bridge.searchlog.redact import printable, spreadsheet_safe

COLUMNS = ("query", "searches", "no_results", "no_click", "contacted_support", "not_helpful", "last_searched",
           "flagged_by_board")


def _rows(gaps: list[Gap]) -> list[dict]:
    """Rows to print; queries are cleaned again here for entries stored before the log cleaned them."""
    return [{**asdict(gap), "query": printable(gap.query), "last_searched": gap.last_searched.isoformat(timespec="seconds")}
            for gap in gaps]


def _table(gaps: list[Gap]) -> str:
    rows = [COLUMNS] + [tuple(str(value) for value in row.values()) for row in _rows(gaps)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


@click.command()
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True, help="How far back to look.")
@click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def gaps(days: int, output: str) -> None:
    """List searches that found nothing, were not followed by a click, or led to support, and the questions
    the review board flagged as needing an article."""
    services = services_or_exit("kb gaps")
    upgrade_database(services.settings.database_url)
    try:
        with services.sessions()() as session:
            since = utc_now() - timedelta(days=days)
            found = with_flagged(unresolved_searches(session, since=since),
                                 flagged_questions(session, since, region=services.policy.holidays.country))
    finally:
        services.close()
    if output == "json":
        click.echo(json.dumps(_rows(found), indent=2))
    elif output == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({name: spreadsheet_safe(value) for name, value in row.items()} for row in _rows(found))
    elif found:
        click.echo(_table(found))
    else:
        click.echo(f"No unresolved searches in the last {days} days.")
