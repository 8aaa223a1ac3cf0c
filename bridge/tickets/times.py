"""How a time is written for people: one way on every page, in every mail and in the CLI.

Customers read the desk's clock, because that is the clock its promises are made in, and they
read it the way people say it: "Monday 23 November, 10:00 UK time", not "(Europe/London)" or
"GMT". A zone without a common name is named after its city ("New York time").
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

ZONE_NAMES = {"Europe/London": "UK time"}


def zone_name(zone: ZoneInfo) -> str:
    return ZONE_NAMES.get(zone.key) or f"{zone.key.rpartition('/')[2].replace('_', ' ')} time"


def local_time(moment: datetime, zone: ZoneInfo, *, year: bool = False) -> str:
    """moment on the desk's clock: "Monday 23 November, 10:00 UK time" (with the year, for looking back)."""
    local = moment.astimezone(zone)
    day = f"{local:%A} {local.day} {local:%B}" + (f" {local.year}" if year else "")
    return f"{day}, {local:%H:%M} {zone_name(zone)}"
