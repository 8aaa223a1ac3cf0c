"""Business-time arithmetic: when is a ticket due, given a desk's office hours and closed days?

Response targets only run while the desk is open, so "2 business hours" raised at
17:30 on a Friday is due on Monday morning. Everything here works on office-hours
windows built per local date in the desk's time zone (so DST changes and bank
holidays fall out naturally) and converted to UTC instants; a window therefore
lasts its real elapsed length even on a day the clocks change. Inputs may be in any
time zone but must be aware; outputs are always aware UTC datetimes, which is how
the rest of the bridge stores time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

import holidays

from bridge.tickets.policy import BusinessDays, BusinessHours, OpeningHours, Priority, PublicHolidays, SupportPolicy

UTC = dt.timezone.utc
_ONE_HOUR = dt.timedelta(hours=1)

Window = tuple[dt.datetime, dt.datetime]


class BusinessCalendar:
    """One desk's opening windows: weekly office hours minus public holidays and extra closed days."""

    def __init__(
        self, timezone: ZoneInfo, office_hours: Sequence[OpeningHours | None], public_holidays: PublicHolidays
    ) -> None:
        if len(office_hours) != 7:
            raise ValueError(f"office_hours needs one entry per weekday (7), got {len(office_hours)}")
        if all(hours is None for hours in office_hours):
            raise ValueError("office_hours must open on at least one weekday, or no ticket could ever fall due")
        self.timezone = timezone
        self.office_hours = tuple(office_hours)
        self.public_holidays = public_holidays
        self._closed_by_year: dict[int, frozenset[dt.date]] = {}
        # Each date's window, worked out once: the board's queue asks for the business time left on
        # every row of every page, walking the same few weeks of dates each time.
        self._windows: dict[dt.date, Window | None] = {}

    @classmethod
    def from_policy(cls, policy: SupportPolicy) -> BusinessCalendar:
        """The calendar a support policy describes."""
        return cls(policy.timezone, policy.office_hours, policy.holidays)

    def is_business_day(self, day: dt.date) -> bool:
        """Whether the desk opens at all on this local date."""
        return self.window(day) is not None

    def window(self, day: dt.date) -> Window | None:
        """The opening and closing instants (UTC) of this local date, or None if the desk is shut all day."""
        if day not in self._windows:
            self._windows[day] = self._window(day)
        return self._windows[day]

    def _window(self, day: dt.date) -> Window | None:
        hours = self.office_hours[day.weekday()]
        if hours is None or day in self._closed_days(day.year):
            return None
        opens = dt.datetime.combine(day, hours.opens, tzinfo=self.timezone)
        closes = dt.datetime.combine(day, hours.closes, tzinfo=self.timezone)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def clock_start(self, moment: dt.datetime) -> dt.datetime:
        """When the clock starts for a ticket raised at moment: moment itself if open, else the next opening."""
        raised = _as_utc(moment, "moment")
        opens, _ = next(self._windows_after(raised))
        return max(opens, raised)

    def add_business_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The instant `hours` of office time after start.

        Landing exactly on a closing time returns that close, not the next opening,
        so "due by 18:00" reads as the customer expects.
        """
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
        cursor = _as_utc(start, "start")
        remaining = dt.timedelta(hours=hours)
        windows = self._windows_after(cursor)
        while True:
            opens, closes = next(windows)
            begin = max(opens, cursor)
            if begin + remaining <= closes:
                return begin + remaining
            remaining -= closes - begin

    def add_business_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Close of business on the `days`-th business day, counting the day the clock starts as day 1.

        So 1 day is "by close of business the same day" when raised in hours, and the
        close of the next business day when raised after close or on a closed day.
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(f"days must be a whole number >= 1, got {days!r}")
        windows = self._windows_after(_as_utc(start, "start"))
        _, closes = next(itertools.islice(windows, days - 1, None))
        return closes

    def due(self, start: dt.datetime, priority_or_target: Priority | BusinessHours | BusinessDays) -> dt.datetime:
        """When a ticket raised at start is due under a priority's target, or a bare target such as acknowledgement."""
        target = priority_or_target.target if isinstance(priority_or_target, Priority) else priority_or_target
        match target:
            case BusinessHours(hours=hours):
                return self.add_business_hours(start, hours)
            case BusinessDays(days=days):
                return self.add_business_days(start, days)
        raise TypeError(f"expected a Priority, BusinessHours or BusinessDays, got {type(priority_or_target).__name__}")

    def resolution_due(self, start: dt.datetime, priority: Priority) -> dt.datetime | None:
        """When a ticket raised at start must be resolved under its priority, or None when the policy promises nothing."""
        return None if priority.resolution is None else self.due(start, priority.resolution)

    def business_hours_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Office hours elapsed from a to b (negative if b is before a), e.g. for response-time reports."""
        start, end = _as_utc(a, "a"), _as_utc(b, "b")
        if end < start:
            return -self.business_hours_between(b, a)
        total = dt.timedelta(0)
        for opens, closes in self._windows_after(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total / _ONE_HOUR

    def _windows_after(self, moment: dt.datetime) -> Iterator[Window]:
        """Opening windows that close after moment, in order; endless, made safe by the one-open-weekday rule."""
        day = moment.astimezone(self.timezone).date()
        while True:
            window = self.window(day)
            if window is not None and window[1] > moment:
                yield window
            day += dt.timedelta(days=1)

    def _closed_days(self, year: int) -> frozenset[dt.date]:
        """Public holidays and extra closed days of one year, built on first use and cached per year."""
        closed = self._closed_by_year.get(year)
        if closed is None:
            official = holidays.country_holidays(
                self.public_holidays.country, subdiv=self.public_holidays.subdivision, years=year
            )
            extra = (day for day in self.public_holidays.extra_closed_days if day.year == year)
            closed = frozenset(official) | frozenset(extra)
            self._closed_by_year[year] = closed
        return closed


def _as_utc(moment: dt.datetime, name: str) -> dt.datetime:
    """Reject naive datetimes: guessing their zone is how SLA clocks end up an hour out."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)
