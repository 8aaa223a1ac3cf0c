"""Reading a support policy file, strictly.

The policy lives in a YAML file rather than in code so that another desk (other
hours, another country, targets in days instead of hours) is a configuration
change, not a fork. Because a typo in that file would silently change what we
promise customers, the loader is strict: unknown keys, duplicate keys and
out-of-range values are all errors, and every error names the file and the key
path so that whoever edits the file can fix it without reading this code.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml

from bridge.tickets.policy.model import (
    COLOURS,
    ENTITLEMENTS,
    WEEKDAYS,
    BusinessDays,
    BusinessHours,
    CreditCategory,
    CreditPackage,
    CreditTerms,
    OutOfHoursCover,
    EmailDefaults,
    OpeningHours,
    PolicyError,
    Priority,
    PublicHolidays,
    RequestType,
    SupportPolicy,
    Target,
    listed_keys,
)

_HOURS_PATTERN = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)")
_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_PREFIX_PATTERN = re.compile(r"[A-Z]{1,5}")
_CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")



def load_policy(path: Path) -> SupportPolicy:
    """Read and validate a policy file; raises PolicyError naming the file and key path of the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(str(path), None, f"cannot read: {error.strerror or error}") from error
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as error:
        raise PolicyError(str(path), None, f"not valid YAML: {_yaml_problem(error)}") from error
    try:
        return _policy(data)
    except _Invalid as invalid:
        raise PolicyError(str(path), invalid.key_path, invalid.problem) from None


# --- YAML reading -----------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate mapping keys, which PyYAML would otherwise let the last one win."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f'duplicate key "{key_node.value}"', key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        return f"line {error.problem_mark.line + 1}: {error.problem}"
    return str(error)


# --- validation -------------------------------------------------------------------------------


class _Invalid(Exception):
    """Internal: a problem at a key path, turned into PolicyError once the file name is attached."""

    def __init__(self, key_path: str, problem: str) -> None:
        super().__init__(f"{key_path}: {problem}")
        self.key_path = key_path
        self.problem = problem


_TOP_LEVEL_KEYS = (
    "timezone",
    "office_hours",
    "holidays",
    "acknowledgement_target_hours",
    "reference_prefix",
    "default_priority",
    "priorities",
    "request_types",
)
_OPTIONAL_TOP_LEVEL_KEYS = ("entitlement", "credits", "email", "out_of_hours")


def _policy(data: object) -> SupportPolicy:
    """Validate in file order, so the first error reported is the first one the editor meets."""
    if not isinstance(data, Mapping):
        raise _Invalid("(top level)", f"expected a mapping of settings, got {_shown(data)}")
    _check_keys(data, "", required=_TOP_LEVEL_KEYS, optional=_OPTIONAL_TOP_LEVEL_KEYS)
    timezone = _timezone(data["timezone"], "timezone")
    office_hours = _office_hours(data["office_hours"], "office_hours")
    public_holidays = _holidays(data["holidays"], "holidays")
    acknowledgement = _positive_number(data["acknowledgement_target_hours"], "acknowledgement_target_hours")
    reference_prefix = _reference_prefix(data["reference_prefix"], "reference_prefix")
    priorities = _unique_keys(_list(data["priorities"], "priorities", _priority), "priorities")
    default_priority = _default_priority(data["default_priority"], priorities)
    request_types = _unique_keys(_list(data["request_types"], "request_types", _request_type), "request_types")
    entitlement = _entitlement(data.get("entitlement", "anyone"), "entitlement")
    credits = _credits(data["credits"], "credits") if "credits" in data else None
    email = _email(data.get("email", {}), request_types)
    out_of_hours = _out_of_hours(data["out_of_hours"], "out_of_hours") if "out_of_hours" in data else None
    return SupportPolicy(
        timezone=timezone,
        office_hours=office_hours,
        holidays=public_holidays,
        acknowledgement_target=BusinessHours(acknowledgement),
        reference_prefix=reference_prefix,
        priorities=priorities,
        default_priority=default_priority,
        request_types=request_types,
        entitlement=entitlement,
        credits=credits,
        email=email,
        out_of_hours=out_of_hours,
    )


def _out_of_hours(value: object, where: str) -> OutOfHoursCover:
    mapping = _mapping(value, where)
    _check_keys(mapping, where, required=("notice_hours",))
    return OutOfHoursCover(notice_hours=_positive_number(mapping["notice_hours"], f"{where}.notice_hours"))


def _email(value: object, request_types: tuple[RequestType, ...]) -> EmailDefaults:
    """What a ticket raised by mail is, when neither the address it was sent to nor the contact says."""
    mapping = _mapping(value, "email")
    _check_keys(mapping, "email", required=(), optional=("product", "request_type"))
    product = _key(mapping["product"], "email.product") if "product" in mapping else None
    request_type = mapping.get("request_type", request_types[0].key)
    if request_type not in {rt.key for rt in request_types}:
        raise _Invalid("email.request_type", f"{_shown(request_type)} is not one of {listed_keys(request_types)}")
    return EmailDefaults(product=product, request_type=request_type)


def _check_keys(
    mapping: Mapping[Any, Any], where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> None:
    """Reject unknown keys (with a did-you-mean hint) and report the first missing required key."""
    allowed = required + optional
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else f" (expected one of {', '.join(allowed)})"
            raise _Invalid(_join(where, str(key)), f"unknown key{hint}")
    for key in required:
        if key not in mapping:
            raise _Invalid(where or "(top level)", f'missing required key "{key}"')


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _shown(value: object) -> str:
    """Show a bad value the way the file's editor wrote it: text in double quotes, anything else in YAML syntax."""
    if isinstance(value, str):
        return f'"{value}"'
    dumped = yaml.safe_dump(value, default_flow_style=True).strip()
    return dumped.removesuffix("...").strip()  # PyYAML ends a bare scalar document with "..."


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Invalid(where, f"expected a mapping, got {_shown(value)}")
    return value


_Item = TypeVar("_Item")
_Keyed = TypeVar("_Keyed", Priority, RequestType, CreditCategory)


def _list(value: object, where: str, parse_item: Callable[[object, str], _Item]) -> tuple[_Item, ...]:
    if not isinstance(value, list) or not value:
        raise _Invalid(where, f"expected a non-empty list, got {_shown(value)}")
    return tuple(parse_item(item, f"{where}[{index}]") for index, item in enumerate(value))


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(where, f"expected non-empty text, got {_shown(value)}")
    return value.strip()


def _key(value: object, where: str) -> str:
    if not isinstance(value, str) or not _KEY_PATTERN.fullmatch(value):
        raise _Invalid(where, f"expected a lower-case identifier such as standard or third_party, got {_shown(value)}")
    return value


def _positive_number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise _Invalid(where, "must be a positive number")
    return float(value)


def _positive_integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _Invalid(where, "must be a positive whole number")
    return value


def _timezone(value: object, where: str) -> ZoneInfo:
    if not isinstance(value, str):
        raise _Invalid(where, f"expected an IANA time zone name such as Europe/London, got {_shown(value)}")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(where, f'unknown time zone "{value}" (expected an IANA name such as Europe/London)') from None


def _office_hours(value: object, where: str) -> tuple[OpeningHours | None, ...]:
    days = _mapping(value, where)
    _check_keys(days, where, required=(), optional=WEEKDAYS)
    week = tuple(_opening_hours(days.get(name, "closed"), f"{where}.{name}") for name in WEEKDAYS)
    if all(hours is None for hours in week):
        raise _Invalid(where, "at least one weekday must be open")
    return week


def _opening_hours(value: object, where: str) -> OpeningHours | None:
    if value == "closed":
        return None
    match = _HOURS_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _Invalid(where, f'expected "HH:MM-HH:MM" or "closed", got {_shown(value)}')
    open_hour, open_minute, close_hour, close_minute = (int(part) for part in match.groups())
    hours = OpeningHours(dt.time(open_hour, open_minute), dt.time(close_hour, close_minute))
    if hours.opens >= hours.closes:
        raise _Invalid(where, f"opening time {hours.opens:%H:%M} must be before closing time {hours.closes:%H:%M}")
    return hours


def _holidays(value: object, where: str) -> PublicHolidays:
    settings = _mapping(value, where)
    _check_keys(settings, where, required=("country",), optional=("subdivision", "extra_closed_days"))
    supported = holidays.list_supported_countries()
    country = settings["country"]
    if not isinstance(country, str) or country not in supported:
        raise _Invalid(
            f"{where}.country",
            f"unknown country code {_shown(country)} (expected an ISO 3166 code the holidays package supports, e.g. GB)",
        )
    subdivision = settings.get("subdivision")
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "none"
        problem = f"{_shown(subdivision)} is not a subdivision of {country} (known: {known})"
        raise _Invalid(f"{where}.subdivision", problem)
    extra = settings.get("extra_closed_days", [])
    if not isinstance(extra, list):
        raise _Invalid(f"{where}.extra_closed_days", f"expected a list of dates, got {_shown(extra)}")
    days = [_date(day, f"{where}.extra_closed_days[{index}]") for index, day in enumerate(extra)]
    return PublicHolidays(country=country, subdivision=subdivision, extra_closed_days=tuple(sorted(set(days))))


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid(where, f"expected a date YYYY-MM-DD, got {_shown(value)}")


def _reference_prefix(value: object, where: str) -> str:
    if not isinstance(value, str) or not _PREFIX_PATTERN.fullmatch(value):
        raise _Invalid(where, f"expected 1 to 5 upper-case letters A-Z, got {_shown(value)}")
    return value


def _priority(value: object, where: str) -> Priority:
    item = _mapping(value, where)
    _check_keys(item, where, required=("key", "label", "colour", "description"),
                optional=("target_hours", "target_days", "resolution_hours", "resolution_days"))
    return Priority(
        key=_key(item["key"], f"{where}.key"),
        label=_text(item["label"], f"{where}.label"),
        colour=_colour(item["colour"], f"{where}.colour"),
        description=_text(item["description"], f"{where}.description"),
        target=_target(item, where),
        resolution=_resolution(item, where),
    )


def _entitlement(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in ENTITLEMENTS:
        raise _Invalid(where, f"expected one of {', '.join(ENTITLEMENTS)}, got {_shown(value)}")
    return value


def _colour(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in COLOURS:
        raise _Invalid(where, f"expected one of {', '.join(COLOURS)}, got {_shown(value)}")
    return value


def _target(item: Mapping[str, Any], where: str) -> Target:
    if ("target_hours" in item) == ("target_days" in item):
        raise _Invalid(where, "give exactly one of target_hours or target_days")
    if "target_hours" in item:
        return BusinessHours(_positive_number(item["target_hours"], f"{where}.target_hours"))
    return BusinessDays(_positive_integer(item["target_days"], f"{where}.target_days"))


def _resolution(item: Mapping[str, Any], where: str) -> Target | None:
    """The optional resolution target: at most one of resolution_hours or resolution_days."""
    if "resolution_hours" in item and "resolution_days" in item:
        raise _Invalid(where, "give at most one of resolution_hours or resolution_days")
    if "resolution_hours" in item:
        return BusinessHours(_positive_number(item["resolution_hours"], f"{where}.resolution_hours"))
    if "resolution_days" in item:
        return BusinessDays(_positive_integer(item["resolution_days"], f"{where}.resolution_days"))
    return None


def _request_type(value: object, where: str) -> RequestType:
    item = _mapping(value, where)
    _check_keys(item, where, required=("key", "label", "covered"), optional=("message",))
    covered = item["covered"]
    if not isinstance(covered, bool):
        raise _Invalid(f"{where}.covered", f"expected true or false, got {_shown(covered)}")
    if not covered and "message" not in item:
        raise _Invalid(f"{where}.message", "required when covered is false: tell the customer what happens next")
    return RequestType(
        key=_key(item["key"], f"{where}.key"),
        label=_text(item["label"], f"{where}.label"),
        covered=covered,
        message=_text(item["message"], f"{where}.message") if "message" in item else None,
    )


def _unique_keys(items: tuple[_Keyed, ...], where: str) -> tuple[_Keyed, ...]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.key in seen:
            raise _Invalid(f"{where}[{index}].key", f'duplicate key "{item.key}"')
        seen.add(item.key)
    return items


def _default_priority(value: object, priorities: tuple[Priority, ...]) -> Priority:
    for priority in priorities:
        if priority.key == value:
            return priority
    raise _Invalid("default_priority", f"{_shown(value)} is not one of the priorities ({listed_keys(priorities)})")


def _credits(value: object, where: str) -> CreditTerms:
    """The credits desk's terms: a whole-number grant, categories (one may be free), packages in one currency."""
    terms = _mapping(value, where)
    _check_keys(terms, where, required=("grant", "currency", "categories", "packages"))
    grant = _whole_number(terms["grant"], f"{where}.grant")
    currency = terms["currency"]
    if not isinstance(currency, str) or not _CURRENCY_PATTERN.fullmatch(currency):
        raise _Invalid(f"{where}.currency", f"expected a three-letter ISO 4217 code such as USD, got {_shown(currency)}")
    categories = _unique_keys(_list(terms["categories"], f"{where}.categories", _credit_category), f"{where}.categories")
    if all(category.credits == 0 for category in categories):
        raise _Invalid(f"{where}.categories", "at least one category must cost credits")
    packages = _list(terms["packages"], f"{where}.packages", lambda item, at: _credit_package(item, at, currency))
    for index, package in enumerate(packages):
        if package.credits in (earlier.credits for earlier in packages[:index]):
            raise _Invalid(f"{where}.packages[{index}].credits", f"another package already has {package.credits} credits")
    return CreditTerms(grant=grant, categories=categories, packages=packages)


def _credit_category(value: object, where: str) -> CreditCategory:
    item = _mapping(value, where)
    _check_keys(item, where, required=("key", "label", "credits", "description"))
    return CreditCategory(key=_key(item["key"], f"{where}.key"), label=_text(item["label"], f"{where}.label"),
                          credits=_whole_number(item["credits"], f"{where}.credits"),
                          description=_text(item["description"], f"{where}.description"))


def _credit_package(value: object, where: str, currency: str) -> CreditPackage:
    item = _mapping(value, where)
    _check_keys(item, where, required=("credits", "price"))
    return CreditPackage(credits=_positive_integer(item["credits"], f"{where}.credits"),
                         price=_price(item["price"], f"{where}.price"), currency=currency)


def _whole_number(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Invalid(where, f"must be a whole number of credits, 0 or more, got {_shown(value)}")
    return value


def _price(value: object, where: str) -> Decimal:
    """A price with at most two decimals, read from its text so 0.1 stays 0.10 and never 0.1000000000000000055."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise _Invalid(where, f"must be a positive amount such as 50 or 49.99, got {_shown(value)}")
    price = Decimal(str(value))
    if price != price.quantize(Decimal("0.01")):
        raise _Invalid(where, f"must have at most two decimal places, got {_shown(value)}")
    return price
