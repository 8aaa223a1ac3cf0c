"""`kb accounts import FILE.csv`: a whole customer list, one row per contact, applied all or nothing.

A CRM export is one row per person with their organisation's details repeated, so that is the
shape read here (the README shows it). A row with no email adds or updates only its organisation.
Every row is checked before anything is written, and every problem is reported with its row and
column, so a list is fixed in one pass; nothing is deleted (a contact missing from the list is
left alone), so importing the same list twice changes nothing the second time.
"""
from __future__ import annotations

import csv
from collections.abc import Collection, Iterable
from typing import Any, TextIO

from sqlalchemy.orm import Session

from bridge.accounts import admin
from bridge.accounts.admin import AccountError, Done

COLUMNS = ("organisation", "organisation_name", "organisation_products", "paid_until", "out_of_hours_cover",
           "email", "name", "nominated", "products")
REQUIRED = ("organisation", "organisation_name", "organisation_products")


class ImportRefused(ValueError):
    """The list was not imported; `problems` holds one line per bad value ("row 3, paid_until: ...")."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s), nothing imported:\n" + "\n".join(problems))


def import_customer_list(session: Session, file: TextIO, known_products: Collection[str],
                         welcome: admin.Welcome | None = None) -> list[Done]:
    """Add or update every organisation and contact in file within session (the caller commits); ImportRefused if any row is bad.

    Each new organisation is passed to welcome, as `kb org add` does."""
    reader = csv.DictReader(file)
    _check_header(reader.fieldnames)
    problems: list[str] = []
    done: list[Done] = []
    organisations: dict[str, dict[str, Any]] = {}
    emails: set[str] = set()
    for row in _rows(reader):
        line = reader.line_num
        try:
            org_key, org_values = _organisation(row, known_products)
            if org_key in organisations:
                _same_as_before(org_values, organisations[org_key], org_key)
            else:
                organisations[org_key] = org_values
                done.append(admin.put_organisation(session, org_key, org_values, create=None,
                                                   welcome=welcome))
            if row.get("email", "").strip():
                address, contact_values = _contact(row, org_key, known_products)
                if address in emails:
                    raise AccountError("email", f"{address} is on an earlier row too")
                emails.add(address)
                done.append(admin.put_contact(session, address, contact_values, create=None))
        except AccountError as error:
            problems.append(f"row {line}, {error.field}: {error.problem}")
    if problems:
        raise ImportRefused(problems)
    return done


def _check_header(fieldnames: Iterable[str] | None) -> None:
    names = [name.strip() for name in fieldnames or ()]
    missing = [name for name in REQUIRED if name not in names]
    unknown = [name for name in names if name not in COLUMNS]
    if missing or unknown:
        problems = [f"header: missing column {name}" for name in missing]
        problems += [f"header: unknown column {name!r} (the columns are {', '.join(COLUMNS)})" for name in unknown]
        raise ImportRefused(problems)


def _rows(reader: csv.DictReader) -> Iterable[dict[str, str]]:
    for row in reader:
        cleaned = {(name or "").strip(): (value or "") for name, value in row.items() if name is not None}
        if any(value.strip() for value in cleaned.values()):
            yield cleaned


def _organisation(row: dict[str, str], known_products: Collection[str]) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {
        "name": admin.text(row["organisation_name"], "organisation_name"),
        "products": admin.products(row["organisation_products"], known_products, "organisation_products"),
        "paid_until": admin.paid_until(row.get("paid_until", ""), "paid_until"),
    }
    if row.get("out_of_hours_cover", "").strip():
        values["out_of_hours_cover"] = admin.flag(row["out_of_hours_cover"], "out_of_hours_cover")
    return admin.key(row["organisation"], "organisation"), values


def _same_as_before(values: dict[str, Any], first: dict[str, Any], org_key: str) -> None:
    for name, value in values.items():
        if first.get(name) != value:
            column = {"name": "organisation_name", "products": "organisation_products"}.get(name, name)
            raise AccountError(column, f"differs from an earlier row for organisation {org_key}")


def _contact(row: dict[str, str], org_key: str, known_products: Collection[str]) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {"organisation": org_key, "name": admin.text(row.get("name", ""), "name")}
    if row.get("nominated", "").strip():
        values["nominated"] = admin.flag(row["nominated"], "nominated")
    if row.get("products", "").strip():
        values["products"] = admin.products(row["products"], known_products, "products")
    return admin.email(row["email"]), values
