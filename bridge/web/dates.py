"""How the bridge's pages write a moment: on the desk's clock, in its time zone, the same on every page.

A moment that has happened carries its year (tickets and statements are read long after); a
target still to come does not, since it falls within days.
"""
from __future__ import annotations

from datetime import datetime

from bridge.tickets.times import local_time
from bridge.web.tickets import get_desk


def when(moment: datetime) -> str:
    """When something happened, with the year."""
    return local_time(moment, get_desk().policy.timezone, year=True)


def due(moment: datetime) -> str:
    """When a target falls due."""
    return local_time(moment, get_desk().policy.timezone)
