"""Changing the customer list: organisations, contacts and staff, as `kb org`, `kb contact`, `kb staff`
and `kb accounts import` ask.

Every value arrives as text (from a command line or a CSV cell) and is checked here, so both
say the same thing about the same mistake, naming the field. Each function adds to the caller's
session and returns what it did in words; the caller commits once, so an import with one bad row
changes nothing. Setting a record to what it already holds is not a change, which is what makes
an import safe to run twice.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from bridge.accounts.directory import contact_by_email, normalise_email, organisation_by_key, staff_by_email
from bridge.accounts.models import Contact, Organisation, StaffMember

# What happens to a new organisation besides being stored (a desk that charges credits grants its
# free credits, bridge/credits); returns the words to add to what the command prints.
Welcome = Callable[[Session, Organisation], str]

KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
YES = ("yes", "true", "1")
NO = ("no", "false", "0")


class AccountError(ValueError):
    """A value that cannot be stored; `field` names it (a CSV column, or a command's option without dashes)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


# --- reading values -----------------------------------------------------------------------------


def key(raw: str, field: str = "key") -> str:
    value = raw.strip()
    if not KEY.fullmatch(value):
        raise AccountError(field, f"expected lower-case letters, digits, - or _ (at most 64), such as acme-ltd; got {raw!r}")
    return value


def text(raw: str, field: str) -> str:
    value = " ".join(raw.split())
    if not value:
        raise AccountError(field, "must not be empty")
    return value


def email(raw: str, field: str = "email") -> str:
    try:
        validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(field, f"{raw!r} is not an email address ({error})") from error
    return normalise_email(raw)


def products(raw: str, known: Collection[str], field: str = "products") -> list[str]:
    """A comma-separated list of product keys from site_config/products.yml, in the order given, without repeats."""
    listed = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [product for product in listed if product not in known]
    if unknown:
        raise AccountError(field, f"unknown product {', '.join(unknown)}; the products are {', '.join(known)}")
    return listed


def paid_until(raw: str, field: str = "paid_until") -> date | None:
    """A date YYYY-MM-DD, or empty / "none" for no paid contract recorded."""
    value = raw.strip()
    if value.lower() in ("", "none"):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise AccountError(field, f"expected a date YYYY-MM-DD (or none), got {raw!r}") from None


def flag(raw: str, field: str) -> bool:
    value = raw.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise AccountError(field, f"expected yes or no, got {raw!r}")


# --- changing records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """What one call did, for the operator: "added", "updated" or "unchanged", and the sentence to print."""

    action: str
    message: str


def put_organisation(session: Session, org_key: str, values: Mapping[str, Any], *, create: bool | None,
                     welcome: Welcome | None = None) -> Done:
    """Add (create=True), update (create=False) or either (None, for imports) the organisation org_key.

    Narrowing its products narrows its contacts' products too, since theirs are a subset of its.
    A new organisation is then passed to welcome, if given.
    """
    organisation = _existing(organisation_by_key(session, org_key), create, f"organisation {org_key}", "key")
    if organisation is None:
        _require(values, ("name", "products"), "organisation")
        organisation = Organisation(key=org_key, name=values["name"], products=values["products"],
                                    paid_until=values.get("paid_until"),
                                    out_of_hours_cover=values.get("out_of_hours_cover", False))
        session.add(organisation)
        welcomed = f"; {welcome(session, organisation)}" if welcome else ""
        return Done("added", f"added organisation {org_key}: {_describe(organisation, ORGANISATION_FIELDS)}{welcomed}")
    changes = _apply(organisation, values, ORGANISATION_FIELDS)
    narrowed = [contact for contact in organisation.contacts if set(contact.products) - set(organisation.products)]
    for contact in narrowed:
        contact.products = [product for product in contact.products if product in organisation.products]
    if narrowed:
        changes.append(f"products of {', '.join(contact.email for contact in narrowed)} narrowed to the plan's")
    return _done(f"organisation {org_key}", changes)


def put_contact(session: Session, address: str, values: Mapping[str, Any], *, create: bool | None) -> Done:
    """Add, update or either the contact at address; `organisation` in values is an organisation key.

    A new contact's products default to all of the organisation's; any products must be among it.
    """
    contact = _existing(contact_by_email(session, address), create, f"contact {address}", "email")
    values = dict(values)
    if "organisation" in values:
        found = organisation_by_key(session, values["organisation"])
        if found is None:
            raise AccountError("organisation", f"no organisation {values['organisation']}; add it first with kb org add")
        values["organisation"] = found
    if contact is None:
        _require(values, ("organisation", "name"), "contact")
        values.setdefault("products", list(values["organisation"].products))
        contact = Contact(email=address, name=values["name"], organisation=values["organisation"],
                          nominated=values.get("nominated", False), products=values["products"])
        _check_subset(contact)
        session.add(contact)
        return Done("added", f"added contact {address}: {_describe(contact, CONTACT_FIELDS)}")
    changes = _apply(contact, values, CONTACT_FIELDS)
    _check_subset(contact)
    return _done(f"contact {address}", changes)


def put_staff(session: Session, address: str, values: Mapping[str, Any], *, create: bool | None) -> Done:
    """Add, update or either the staff member at address."""
    staff = _existing(staff_by_email(session, address), create, f"staff member {address}", "email")
    if staff is None:
        _require(values, ("name", "boards"), "staff member")
        staff = StaffMember(email=address, name=values["name"], boards=values["boards"], admin=values.get("admin", False))
        session.add(staff)
        return Done("added", f"added staff member {address}: {_describe(staff, STAFF_FIELDS)}")
    return _done(f"staff member {address}", _apply(staff, values, STAFF_FIELDS))


# --- helpers ------------------------------------------------------------------------------------

ORGANISATION_FIELDS = ("name", "products", "paid_until", "out_of_hours_cover")
CONTACT_FIELDS = ("name", "organisation", "nominated", "products")
STAFF_FIELDS = ("name", "boards", "admin")


def _existing(found: Any, create: bool | None, what: str, field: str) -> Any:
    if create is True and found is not None:
        raise AccountError(field, f"{what} already exists; change it with update")
    if create is False and found is None:
        raise AccountError(field, f"no {what}; add it first")
    return found


def _require(values: Mapping[str, Any], names: tuple[str, ...], what: str) -> None:
    for name in names:
        if name not in values:
            raise AccountError(name, f"required for a new {what}")


def _check_subset(contact: Contact) -> None:
    outside = [product for product in contact.products if product not in contact.organisation.products]
    if outside:
        raise AccountError("products", f"{', '.join(outside)} not in organisation {contact.organisation.key}'s plan "
                                       f"({', '.join(contact.organisation.products) or 'no products'})")


def _apply(record: Any, values: Mapping[str, Any], names: tuple[str, ...]) -> list[str]:
    changes = []
    for name in names:
        if name in values and _shown(getattr(record, name)) != _shown(values[name]):
            changes.append(f"{name} {_shown(getattr(record, name))} -> {_shown(values[name])}")
            setattr(record, name, values[name])
    return changes


def _done(what: str, changes: list[str]) -> Done:
    if not changes:
        return Done("unchanged", f"unchanged {what}")
    return Done("updated", f"updated {what}: {'; '.join(changes)}")


def _describe(record: Any, names: tuple[str, ...]) -> str:
    return "; ".join(f"{name} {_shown(getattr(record, name))}" for name in names)


def _shown(value: Any) -> str:
    if isinstance(value, Organisation):
        return value.key
    if isinstance(value, list):
        return ",".join(value) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    return str(value)
