"""Business-time clock: weekends, bank holidays, DST and out-of-hours tickets, on both desks' policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.policy import BusinessDays, BusinessHours, PublicHolidays, SupportPolicy, load_policy

ROOT = Path(__file__).resolve().parent.parent
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def shipped() -> SupportPolicy:
    return load_policy(ROOT / "site_config" / "support.yml")


@pytest.fixture(scope="module")
def two_tier() -> SupportPolicy:
    return load_policy(ROOT / "tests" / "policies" / "two_tier_days.yml")


@pytest.fixture(scope="module")
def london(shipped: SupportPolicy) -> BusinessCalendar:
    return BusinessCalendar.from_policy(shipped)


@pytest.fixture(scope="module")
def new_york(two_tier: SupportPolicy) -> BusinessCalendar:
    return BusinessCalendar.from_policy(two_tier)


def uk(text: str) -> dt.datetime:
    """A London wall-clock time, e.g. uk("2026-11-20 17:30")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


def ny(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- hours targets (traffic-light desk, 08:30-18:00 Europe/London) --------------------------------


@pytest.mark.parametrize(
    ("raised", "priority", "expected"),
    [
        pytest.param("2026-11-20 17:30", "critical", "2026-11-23 10:00", id="friday-evening-critical-due-monday"),
        pytest.param("2026-11-21 11:00", "critical", "2026-11-23 10:30", id="saturday-starts-monday-opening"),
        pytest.param("2026-11-23 07:00", "critical", "2026-11-23 10:30", id="before-opening-starts-at-opening"),
        pytest.param("2026-11-23 16:00", "critical", "2026-11-23 18:00", id="due-exactly-at-close-stays-today"),
        pytest.param("2026-11-23 18:00", "critical", "2026-11-24 10:30", id="raised-at-close-starts-tomorrow"),
        pytest.param("2026-05-01 17:30", "critical", "2026-05-05 10:00", id="early-may-bank-holiday-skipped"),
        pytest.param("2026-04-02 17:30", "critical", "2026-04-07 10:00", id="good-friday-and-easter-monday-skipped"),
        pytest.param("2026-12-24 17:30", "critical", "2027-01-04 10:00", id="christmas-extra-closed-days-new-year"),
        pytest.param("2026-11-16 10:00", "urgent", "2026-11-17 15:30", id="urgent-15h-spans-two-days"),
        pytest.param("2026-11-19 12:00", "standard", "2026-11-24 15:30", id="standard-32h-spans-weekend"),
    ],
)
def test_due_in_business_hours(
    london: BusinessCalendar, shipped: SupportPolicy, raised: str, priority: str, expected: str
) -> None:
    due = london.due(uk(raised), shipped.priority(priority))
    assert due.tzinfo is UTC
    assert due == uk(expected)


@pytest.mark.parametrize(
    ("raised", "priority", "expected_utc"),
    [
        # Clocks go forward on Sunday 2026-03-29: Friday is GMT (UTC+0), Monday is BST (UTC+1).
        pytest.param(utc("2026-03-27 17:00"), "critical", "2026-03-30 08:30", id="spring-forward-weekend"),
        pytest.param(uk("2026-03-27 08:30"), "standard", "2026-04-01 11:00", id="spring-forward-standard"),
        # Clocks go back on Sunday 2026-10-25: Friday is BST, Monday is GMT.
        pytest.param(uk("2026-10-23 17:00"), "critical", "2026-10-26 09:30", id="fall-back-weekend"),
        pytest.param(utc("2026-10-23 16:00"), "critical", "2026-10-26 09:30", id="fall-back-weekend-utc-input"),
    ],
)
def test_due_across_dst_weekends(
    london: BusinessCalendar, shipped: SupportPolicy, raised: dt.datetime, priority: str, expected_utc: str
) -> None:
    assert london.due(raised, shipped.priority(priority)) == utc(expected_utc)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        ("2026-11-21 11:00", "2026-11-23 08:30"),  # Saturday
        ("2026-11-23 06:15", "2026-11-23 08:30"),  # before opening
        ("2026-11-23 12:34", "2026-11-23 12:34"),  # in hours
        ("2026-11-23 18:00", "2026-11-24 08:30"),  # at close
        ("2026-12-28 09:00", "2027-01-04 08:30"),  # Boxing Day (observed), extra closed days, New Year
    ],
)
def test_clock_start(london: BusinessCalendar, raised: str, expected: str) -> None:
    assert london.clock_start(uk(raised)) == uk(expected)


def test_zero_hours_is_the_clock_start(london: BusinessCalendar) -> None:
    assert london.add_business_hours(uk("2026-11-21 11:00"), 0) == uk("2026-11-23 08:30")


def test_acknowledgement_target(london: BusinessCalendar, shipped: SupportPolicy) -> None:
    assert london.due(uk("2026-11-20 17:30"), shipped.acknowledgement_target) == uk("2026-11-23 09:00")


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (dt.date(2026, 11, 20), True),
        (dt.date(2026, 11, 21), False),  # Saturday
        (dt.date(2026, 4, 6), False),  # Easter Monday
        (dt.date(2026, 12, 30), False),  # extra closed day
        (dt.date(2031, 12, 25), False),  # holidays built on demand for any year
        (dt.date(2031, 12, 24), True),
    ],
)
def test_is_business_day(london: BusinessCalendar, day: dt.date, open_: bool) -> None:
    assert london.is_business_day(day) is open_


# --- days targets (second desk, 09:00-17:30 America/New_York) -------------------------------------


@pytest.mark.parametrize(
    ("raised", "priority", "expected"),
    [
        pytest.param("2026-11-17 10:00", "p1", "2026-11-17 17:30", id="p1-in-hours-same-day"),
        pytest.param("2026-11-17 08:00", "p1", "2026-11-17 17:30", id="p1-before-opening-same-day"),
        pytest.param("2026-11-17 17:30", "p1", "2026-11-18 17:30", id="p1-at-close-next-day"),
        pytest.param("2026-11-17 18:00", "p1", "2026-11-18 17:30", id="p1-after-close-next-day"),
        pytest.param("2026-11-20 17:45", "p1", "2026-11-23 17:30", id="p1-friday-night-monday"),
        pytest.param("2026-11-25 10:00", "p2", "2026-11-27 17:30", id="p2-skips-thanksgiving"),
        pytest.param("2026-11-16 10:00", "p3", "2026-11-30 17:30", id="p3-ten-days-skips-thanksgiving"),
        pytest.param("2026-03-06 18:00", "p1", "2026-03-09 17:30", id="p1-over-us-spring-forward"),
    ],
)
def test_due_in_business_days(
    new_york: BusinessCalendar, two_tier: SupportPolicy, raised: str, priority: str, expected: str
) -> None:
    assert new_york.due(ny(raised), two_tier.priority(priority)) == ny(expected)


def test_days_policy_due_is_the_right_utc_instant(new_york: BusinessCalendar) -> None:
    assert new_york.add_business_days(ny("2026-11-17 10:00"), 1) == utc("2026-11-17 22:30")  # EST, UTC-5
    assert new_york.add_business_days(ny("2026-03-06 18:00"), 1) == utc("2026-03-09 21:30")  # EDT, UTC-4


# --- measuring and invariants ---------------------------------------------------------------------


def test_business_hours_between(london: BusinessCalendar) -> None:
    assert london.business_hours_between(uk("2026-11-20 17:30"), uk("2026-11-23 10:00")) == 2.0
    assert london.business_hours_between(uk("2026-11-23 10:00"), uk("2026-11-20 17:30")) == -2.0
    assert london.business_hours_between(uk("2026-11-21 09:00"), uk("2026-11-22 17:00")) == 0.0


@pytest.mark.parametrize("hours", [0, 0.25, 1, 2, 9.5, 15, 32, 100, 1 / 3])
@pytest.mark.parametrize(
    "raised",
    ["2026-11-20 17:30", "2026-11-21 03:00", "2026-03-27 12:00", "2026-10-23 12:00", "2026-12-23 16:59"],
)
def test_business_hours_between_round_trips(london: BusinessCalendar, raised: str, hours: float) -> None:
    start = uk(raised)
    assert london.business_hours_between(start, london.add_business_hours(start, hours)) == pytest.approx(hours, abs=1e-6)


def _week_of_quarter_hours(first: dt.datetime) -> list[dt.datetime]:
    return [first + dt.timedelta(minutes=15 * step) for step in range(7 * 24 * 4)]


@pytest.mark.parametrize(
    ("desk", "first"),
    [
        ("london", utc("2026-03-26 00:00")),  # spans the spring-forward weekend
        ("london", utc("2026-04-01 00:00")),  # spans Easter
        ("new_york", utc("2026-11-23 00:00")),  # spans Thanksgiving
    ],
)
def test_due_is_monotonic_in_start_time(request: pytest.FixtureRequest, desk: str, first: dt.datetime) -> None:
    calendar: BusinessCalendar = request.getfixturevalue(desk)
    policy: SupportPolicy = request.getfixturevalue("shipped" if desk == "london" else "two_tier")
    for priority in policy.priorities:
        previous = None
        for start in _week_of_quarter_hours(first):
            due = calendar.due(start, priority)
            assert due > start, (priority.key, start)
            assert previous is None or due >= previous, (priority.key, start)
            previous = due


# --- rejected input -------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected(london: BusinessCalendar) -> None:
    naive = dt.datetime(2026, 11, 20, 17, 30)
    aware = uk("2026-11-20 17:30")
    with pytest.raises(ValueError, match="timezone-aware"):
        london.add_business_hours(naive, 2)
    with pytest.raises(ValueError, match="timezone-aware"):
        london.add_business_days(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        london.due(naive, BusinessHours(2))
    with pytest.raises(ValueError, match="timezone-aware"):
        london.clock_start(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        london.business_hours_between(aware, naive)


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_bad_hours_rejected(london: BusinessCalendar, hours: float) -> None:
    with pytest.raises(ValueError, match="hours must be"):
        london.add_business_hours(uk("2026-11-20 12:00"), hours)


@pytest.mark.parametrize("days", [0, -2])
def test_bad_days_rejected(london: BusinessCalendar, days: int) -> None:
    with pytest.raises(ValueError, match="days must be"):
        london.add_business_days(uk("2026-11-20 12:00"), days)


def test_due_rejects_other_targets(london: BusinessCalendar) -> None:
    with pytest.raises(TypeError, match="got str"):
        london.due(uk("2026-11-20 12:00"), "critical")  # type: ignore[arg-type]


def test_calendar_that_never_opens_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        BusinessCalendar(LONDON, (None,) * 7, PublicHolidays("GB", "ENG", ()))


def test_days_target_object_works_without_a_priority(london: BusinessCalendar) -> None:
    assert london.due(uk("2026-11-20 17:30"), BusinessDays(1)) == uk("2026-11-20 18:00")
    assert london.due(uk("2026-11-20 18:30"), BusinessDays(1)) == uk("2026-11-23 18:00")
