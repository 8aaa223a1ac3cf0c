"""What a support policy says: office hours, holidays, priorities with their targets, request types.

Plain values, built only by the loader (`bridge.tickets.policy.loader`), which checks them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
COLOURS = ("red", "amber", "green")
# Who is entitled to support (bridge.tickets.entitlement): anyone who writes, any contact of a
# customer organisation, or only its nominated contacts.
ENTITLEMENTS = ("anyone", "contacts", "nominated")


class PolicyError(ValueError):
    """The policy file is unreadable or invalid; the message says where and why."""

    def __init__(self, file: str, key_path: str | None, problem: str) -> None:
        self.file = file
        self.key_path = key_path
        self.problem = problem
        where = f"{file}: {key_path}" if key_path else file
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class BusinessHours:
    """A target measured in office hours, e.g. 2 business hours."""

    hours: float

    def describe(self) -> str:
        """Customer-facing wording, e.g. "within 2 business hours"."""
        unit = "business hour" if self.hours == 1 else "business hours"
        return f"within {self.hours:g} {unit}"


@dataclass(frozen=True)
class BusinessDays:
    """A target measured in business days: due at close of business on the Nth business day.

    Day 1 is the business day on which the clock starts, so 1 day means "the same
    day" when raised in hours and "the next business day" when raised after close.
    """

    days: int

    def describe(self) -> str:
        """Customer-facing wording, e.g. "by close of business the same day"."""
        if self.days == 1:
            return "by close of business the same day"
        if self.days == 2:
            return "by close of business the next business day"
        return f"by close of business within {self.days} business days"


Target = BusinessHours | BusinessDays


@dataclass(frozen=True)
class OpeningHours:
    """One weekday's office hours in the desk's local time; opens is before closes."""

    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class Priority:
    """A priority level customers choose, with the response target the desk commits to.

    resolution is the optional second promise, by when the problem is solved (the email desk's
    "P1 same day"); None where the policy makes none, as the traffic-light desk does.
    """

    key: str
    label: str
    colour: str
    description: str
    target: Target
    resolution: Target | None = None


@dataclass(frozen=True)
class RequestType:
    """A kind of request; uncovered ones are still logged, and message tells the customer what happens next."""

    key: str
    label: str
    covered: bool
    message: str | None


@dataclass(frozen=True)
class PublicHolidays:
    """Which days the desk is shut besides its weekly closed days."""

    country: str
    subdivision: str | None
    extra_closed_days: tuple[dt.date, ...]


@dataclass(frozen=True)
class CreditCategory:
    """What an assessed request costs: the board puts each chargeable ticket in one category (0 credits: free)."""

    key: str
    label: str
    credits: int
    description: str


@dataclass(frozen=True)
class CreditPackage:
    """Credits a customer can buy, at a price; payment happens outside the bridge (an invoice)."""

    credits: int
    price: Decimal
    currency: str


@dataclass(frozen=True)
class CreditTerms:
    """A desk that charges credits per request: the grant a new organisation gets, the categories, the packages."""

    grant: int
    categories: tuple[CreditCategory, ...]
    packages: tuple[CreditPackage, ...]

    def category(self, key: str) -> CreditCategory:
        """Look a category up by key; KeyError lists the valid keys because the key comes from a request."""
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(f"unknown category {key!r}; expected one of {', '.join(c.key for c in self.categories)}")

    def package(self, credits: int) -> CreditPackage:
        """The package of that many credits; KeyError lists the packages sold."""
        for package in self.packages:
            if package.credits == credits:
                return package
        raise KeyError(f"no package of {credits} credits; the packages are {', '.join(str(p.credits) for p in self.packages)}")

    def public(self) -> dict[str, Any]:
        return {
            "grant": self.grant,
            "categories": [{"key": c.key, "label": c.label, "credits": c.credits, "description": c.description}
                           for c in self.categories],
            "packages": [{"credits": p.credits, "price": f"{p.price:.2f}", "currency": p.currency}
                         for p in self.packages],
        }


@dataclass(frozen=True)
class EmailDefaults:
    """A ticket raised by mail: its request type, and its product when the address (support+ledger@...)
    and the contact's products do not decide it (None: the first product in the product list)."""

    product: str | None = None
    request_type: str | None = None


@dataclass(frozen=True)
class OutOfHoursCover:
    """Cover on evenings and weekends at extra cost: asked for at least notice_hours ahead, quoted, then agreed."""

    notice_hours: float


@dataclass(frozen=True)
class SupportPolicy:
    """Everything the ticket bridge needs to know about a desk's service commitments."""

    timezone: ZoneInfo
    office_hours: tuple[OpeningHours | None, ...]  # indexed by date.weekday(): Monday is 0; None means closed
    holidays: PublicHolidays
    acknowledgement_target: BusinessHours
    reference_prefix: str
    priorities: tuple[Priority, ...]  # most severe first
    default_priority: Priority
    request_types: tuple[RequestType, ...]
    entitlement: str = "anyone"  # one of ENTITLEMENTS
    # None: the desk does not charge (the traffic-light desk); otherwise requests are assessed in credits.
    credits: CreditTerms | None = None
    email: EmailDefaults = EmailDefaults()
    # None: the desk offers no cover outside office hours.
    out_of_hours: OutOfHoursCover | None = None

    def priority(self, key: str) -> Priority:
        """Look a priority up by key; KeyError lists the valid keys because the key usually comes from a form."""
        for priority in self.priorities:
            if priority.key == key:
                return priority
        raise KeyError(f"unknown priority {key!r}; expected one of {listed_keys(self.priorities)}")

    def request_type(self, key: str) -> RequestType:
        """Look a request type up by key; KeyError lists the valid keys."""
        for request_type in self.request_types:
            if request_type.key == key:
                return request_type
        raise KeyError(f"unknown request type {key!r}; expected one of {listed_keys(self.request_types)}")

    def public(self) -> dict[str, Any]:
        """The customer-visible part of the policy as JSON-able data, for the help centre and the ticket form."""
        return {
            "timezone": self.timezone.key,
            "office_hours": {
                name: None if hours is None else {"opens": f"{hours.opens:%H:%M}", "closes": f"{hours.closes:%H:%M}"}
                for name, hours in zip(WEEKDAYS, self.office_hours)
            },
            "holidays": {
                "country": self.holidays.country,
                "subdivision": self.holidays.subdivision,
                "extra_closed_days": [day.isoformat() for day in self.holidays.extra_closed_days],
            },
            "acknowledgement_target": self.acknowledgement_target.describe(),
            "reference_prefix": self.reference_prefix,
            "default_priority": self.default_priority.key,
            "priorities": [_public_priority(priority) for priority in self.priorities],
            "request_types": [
                {"key": rt.key, "label": rt.label, "covered": rt.covered, "message": rt.message}
                for rt in self.request_types
            ],
            "credits": self.credits.public() if self.credits else None,
            "out_of_hours": {"notice_hours": self.out_of_hours.notice_hours} if self.out_of_hours else None,
        }


def _public_priority(priority: Priority) -> dict[str, Any]:
    target = priority.target
    amount = {"target_hours": target.hours} if isinstance(target, BusinessHours) else {"target_days": target.days}
    return {
        "key": priority.key,
        "label": priority.label,
        "colour": priority.colour,
        "description": priority.description,
        "target": target.describe(),
        **amount,
        "resolution": priority.resolution.describe() if priority.resolution else None,
    }


def listed_keys(items: tuple[Priority, ...] | tuple[RequestType, ...]) -> str:
    return ", ".join(item.key for item in items)
