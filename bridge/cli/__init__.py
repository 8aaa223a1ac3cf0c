"""The `kb` command: one group, a module per room (content, serving, the search log, tickets, accounts).

Each command imports what it needs when it runs, so `kb --help` and the light commands never
load the search engine or the model.
"""
from __future__ import annotations

import click

from bridge.cli.accounts import accounts, contact, org, staff
from bridge.cli.content import build, check
from bridge.cli.credits import credits
from bridge.cli.gaps import gaps
from bridge.cli.mail import mail
from bridge.cli.report import report
from bridge.cli.serve import serve
from bridge.cli.tickets import tickets
from bridge.settings import SETTINGS

SETTINGS_HELP = "\n\n".join(f"{s.name}: {s.help}" for s in SETTINGS)


@click.group(help=f"kb-bridge: a help centre with a ticket bridge.\n\nSettings (environment):\n\n{SETTINGS_HELP}")
def main() -> None:
    pass


for command in (check, build, serve, gaps, report, mail, tickets, org, contact, staff, accounts, credits):
    main.add_command(command)
