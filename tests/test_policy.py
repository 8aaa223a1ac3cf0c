"""The support policy loader: the shipped file, the second desk's file, and the errors an editor would meet."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.tickets.policy import (
    BusinessDays,
    BusinessHours,
    OpeningHours,
    PolicyError,
    SupportPolicy,
    load_policy,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "site_config" / "support.yml"
TWO_TIER = ROOT / "tests" / "policies" / "two_tier_days.yml"


@pytest.fixture(scope="module")
def shipped() -> SupportPolicy:
    return load_policy(SHIPPED)


@pytest.fixture(scope="module")
def two_tier() -> SupportPolicy:
    return load_policy(TWO_TIER)


def test_shipped_policy_hours_and_holidays(shipped: SupportPolicy) -> None:
    weekday = OpeningHours(dt.time(8, 30), dt.time(18, 0))
    assert shipped.timezone.key == "Europe/London"
    assert shipped.office_hours == (weekday,) * 5 + (None, None)
    assert (shipped.holidays.country, shipped.holidays.subdivision) == ("GB", "ENG")
    assert shipped.holidays.extra_closed_days == (dt.date(2026, 12, 29), dt.date(2026, 12, 30), dt.date(2026, 12, 31))
    assert shipped.acknowledgement_target == BusinessHours(1)
    assert shipped.reference_prefix == "KB"
    assert shipped.entitlement == "nominated"


def test_shipped_policy_priorities(shipped: SupportPolicy) -> None:
    assert [(p.key, p.label, p.colour, p.target) for p in shipped.priorities] == [
        ("critical", "CRITICAL", "red", BusinessHours(2)),
        ("urgent", "URGENT", "amber", BusinessHours(15)),
        ("standard", "STANDARD", "green", BusinessHours(32)),
    ]
    assert shipped.default_priority is shipped.priority("standard")
    assert shipped.priority("critical").description == "Your business cannot function"


def test_shipped_policy_request_types(shipped: SupportPolicy) -> None:
    coverage = {rt.key: rt.covered for rt in shipped.request_types}
    assert coverage == {
        "configuration": True,
        "technical": True,
        "usage": True,
        "training": False,
        "installation": False,
        "third_party": False,
        "new_requirement": False,
    }
    for rt in shipped.request_types:
        if not rt.covered:
            assert rt.message is not None and "logged" in rt.message and "flagged" in rt.message
    assert "product management" in (shipped.request_type("new_requirement").message or "")


def test_lookup_of_unknown_keys_names_the_choices(shipped: SupportPolicy) -> None:
    with pytest.raises(KeyError, match="critical, urgent, standard"):
        shipped.priority("low")
    with pytest.raises(KeyError, match="configuration, technical"):
        shipped.request_type("gardening")


def test_public_view_is_json_and_worded_for_customers(shipped: SupportPolicy) -> None:
    public = json.loads(json.dumps(shipped.public()))
    assert public["timezone"] == "Europe/London"
    assert public["office_hours"]["monday"] == {"opens": "08:30", "closes": "18:00"}
    assert public["office_hours"]["sunday"] is None
    assert public["acknowledgement_target"] == "within 1 business hour"
    assert public["default_priority"] == "standard"
    assert public["priorities"][0] == {
        "key": "critical",
        "label": "CRITICAL",
        "colour": "red",
        "description": "Your business cannot function",
        "target": "within 2 business hours",
        "target_hours": 2,
        "resolution": None,
    }
    assert public["request_types"][3]["covered"] is False
    assert public["holidays"]["extra_closed_days"][0] == "2026-12-29"


def test_second_desk_fits_the_same_schema(two_tier: SupportPolicy) -> None:
    assert two_tier.timezone.key == "America/New_York"
    assert two_tier.entitlement == "anyone"  # left out of the file: the desk serves anyone
    assert two_tier.office_hours[0] == OpeningHours(dt.time(9, 0), dt.time(17, 30))
    assert two_tier.office_hours[5:] == (None, None)  # weekend left out of the file means closed
    assert (two_tier.holidays.country, two_tier.holidays.subdivision) == ("US", "NY")
    assert [p.target for p in two_tier.priorities] == [BusinessDays(1), BusinessDays(2), BusinessDays(10)]
    assert [p.resolution for p in two_tier.priorities] == [BusinessDays(1), BusinessDays(2), BusinessDays(10)]
    assert [p["target"] for p in two_tier.public()["priorities"]] == [
        "by close of business the same day",
        "by close of business the next business day",
        "by close of business within 10 business days",
    ]


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (BusinessHours(1), "within 1 business hour"),
        (BusinessHours(1.5), "within 1.5 business hours"),
        (BusinessHours(32), "within 32 business hours"),
        (BusinessDays(1), "by close of business the same day"),
        (BusinessDays(3), "by close of business within 3 business days"),
    ],
)
def test_target_wording(target: BusinessHours | BusinessDays, text: str) -> None:
    assert target.describe() == text


# --- errors -------------------------------------------------------------------------------------


def _base() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets a dotted path; integer parts index lists."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _duplicate_first(list_key: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        data[list_key].append(copy.deepcopy(data[list_key][0]))

    return mutate


def _days_target(index: int, days: object) -> Callable[[dict[str, Any]], None]:
    """A mutation that swaps a priority's hours target for a days target."""

    def mutate(data: dict[str, Any]) -> None:
        priority = data["priorities"][index]
        del priority["target_hours"]
        priority["target_days"] = days

    return mutate


def _both_resolutions(data: dict[str, Any]) -> None:
    data["priorities"][1].update(resolution_hours=40, resolution_days=5)


def _close_every_day(data: dict[str, Any]) -> None:
    data["office_hours"] = {"saturday": "closed"}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("priorities.1.target_hours", 0), "priorities[1].target_hours: must be a positive number"),
        (_set("priorities.1.target_hours", "fifteen"), "priorities[1].target_hours: must be a positive number"),
        (_set("priorities.0.target_days", 1), "priorities[0]: give exactly one of target_hours or target_days"),
        (_delete("priorities.0.target_hours"), "priorities[0]: give exactly one of target_hours or target_days"),
        (_days_target(2, 1.5), "priorities[2].target_days: must be a positive whole number"),
        (_days_target(2, 0), "priorities[2].target_days: must be a positive whole number"),
        (_set("priorities.0.resolution_hours", -1), "priorities[0].resolution_hours: must be a positive number"),
        (_set("priorities.0.resolution_days", 0.5), "priorities[0].resolution_days: must be a positive whole number"),
        (_both_resolutions, "priorities[1]: give at most one of resolution_hours or resolution_days"),
        (_set("office_hours.monday", "8-6"), 'office_hours.monday: expected "HH:MM-HH:MM" or "closed", got "8-6"'),
        (_set("office_hours.monday", 510), 'office_hours.monday: expected "HH:MM-HH:MM" or "closed", got 510'),
        (_set("office_hours.friday", "18:00-08:30"), "office_hours.friday: opening time 18:00 must be before closing time 08:30"),
        (_set("office_hours.tuseday", "08:30-18:00"), 'office_hours.tuseday: unknown key (did you mean "tuesday"?)'),
        (_close_every_day, "office_hours: at least one weekday must be open"),
        (_set("timezon", "Europe/London"), 'timezon: unknown key (did you mean "timezone"?)'),
        (_set("priorities.0.colur", "red"), 'priorities[0].colur: unknown key (did you mean "colour"?)'),
        (_delete("priorities.0.label"), 'priorities[0]: missing required key "label"'),
        (_delete("reference_prefix"), '(top level): missing required key "reference_prefix"'),
        (_set("priorities.0.colour", "blue"), 'priorities[0].colour: expected one of red, amber, green, got "blue"'),
        (_set("timezone", "Europe/Lundon"), 'timezone: unknown time zone "Europe/Lundon"'),
        (_set("holidays.country", "XX"), 'holidays.country: unknown country code "XX"'),
        (_set("holidays.subdivision", "XYZ"), 'holidays.subdivision: "XYZ" is not a subdivision of GB (known: ENG, NIR, SCT, WLS)'),
        (_set("holidays.extra_closed_days", ["2026-13-01"]), 'holidays.extra_closed_days[0]: expected a date YYYY-MM-DD, got "2026-13-01"'),
        (_duplicate_first("priorities"), 'priorities[3].key: duplicate key "critical"'),
        (_duplicate_first("request_types"), 'request_types[7].key: duplicate key "configuration"'),
        (_set("default_priority", "low"), 'default_priority: "low" is not one of the priorities (critical, urgent, standard)'),
        (_delete("request_types.3.message"), "request_types[3].message: required when covered is false"),
        (_set("request_types.0.covered", "yes"), 'request_types[0].covered: expected true or false, got "yes"'),
        (_set("priorities.0.key", "Critical"), 'priorities[0].key: expected a lower-case identifier'),
        (_set("reference_prefix", "K1"), 'reference_prefix: expected 1 to 5 upper-case letters A-Z, got "K1"'),
        (_set("acknowledgement_target_hours", True), "acknowledgement_target_hours: must be a positive number"),
        (_set("priorities", []), "priorities: expected a non-empty list, got []"),
        (_set("entitlement", "everyone"), 'entitlement: expected one of anyone, contacts, nominated, got "everyone"'),
    ],
)
def test_invalid_policy_names_file_and_key_path(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    data = _base()
    mutate(data)
    path = tmp_path / "support.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"{path}: {expected}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timezone: Europe/London\ntimezone: Europe/Paris\n", 'not valid YAML: line 2: duplicate key "timezone"'),
        ("timezone: [Europe/London\n", "not valid YAML: line 2"),
        ("- just\n- a list\n", "(top level): expected a mapping of settings"),
    ],
)
def test_unusable_yaml_is_a_policy_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "support.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"{path}: {expected}")


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"
    with pytest.raises(PolicyError, match="absent.yml: cannot read"):
        load_policy(path)


def test_policy_error_keeps_its_parts_for_callers(tmp_path: Path) -> None:
    data = _base()
    data["timezone"] = "Mars/Olympus"
    path = tmp_path / "support.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert (raised.value.file, raised.value.key_path) == (str(path), "timezone")


def test_the_shipped_email_desk_promises_resolution_the_same_day_in_two_days_or_two_weeks() -> None:
    from bridge.tickets.business_time import BusinessCalendar

    email_desk = load_policy(ROOT / "site_config" / "support-email-desk.yml")
    assert [(p.key, p.resolution) for p in email_desk.priorities] == [
        ("p1", BusinessDays(1)), ("p2", BusinessDays(2)), ("p3", BusinessDays(10))]
    assert [p["resolution"] for p in email_desk.public()["priorities"]] == [
        "by close of business the same day", "by close of business the next business day",
        "by close of business within 10 business days"]
    calendar, monday = BusinessCalendar.from_policy(email_desk), dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    assert calendar.resolution_due(monday, email_desk.priority("p1")) == dt.datetime(2026, 11, 23, 18, tzinfo=dt.UTC)
    assert calendar.resolution_due(monday, email_desk.priority("p3")) == dt.datetime(2026, 12, 4, 18, tzinfo=dt.UTC)
