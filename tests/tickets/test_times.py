"""Times are written one way for people: the desk's clock, named as people name it."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bridge.tickets.times import local_time


def test_the_uk_desk_writes_uk_time_in_summer_and_winter() -> None:
    london = ZoneInfo("Europe/London")
    assert local_time(datetime(2026, 7, 2, 12, 15, tzinfo=UTC), london) == "Thursday 2 July, 13:15 UK time"
    assert local_time(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), london, year=True) == \
        "Monday 23 November 2026, 10:00 UK time"


def test_another_zone_is_named_after_its_city() -> None:
    moment = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert local_time(moment, ZoneInfo("America/New_York")) == "Monday 23 November, 10:00 New York time"
