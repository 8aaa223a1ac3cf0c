"""The services a `kb` command works with, built from the environment the way `kb serve` builds them."""
from __future__ import annotations

import sys
from typing import NoReturn

import click

from bridge.services import Services
from bridge.settings import Settings, SettingsError, load_settings
from bridge.tickets.policy import PolicyError


def settings_or_exit(command: str) -> Settings:
    """The settings, or exit 2 with the message naming the bad variable."""
    try:
        return load_settings()
    except SettingsError as error:
        fail(command, 2, str(error))


def services_or_exit(command: str) -> Services:
    """The services, or exit 2 naming the setting or file that stops them."""
    try:
        return Services(settings_or_exit(command))
    except (SettingsError, PolicyError) as error:
        fail(command, 2, str(error))


def fail(command: str, status: int, message: str) -> NoReturn:
    click.echo(f"{command}: {message}", err=True)
    sys.exit(status)
