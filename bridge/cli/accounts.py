"""`kb org`, `kb contact`, `kb staff` and `kb accounts import`: the customer list, kept by the desk.

Each command checks every value (bridge.accounts.admin), changes the database in one
transaction and prints what it did; a bad value exits 2 naming the option, and nothing is
half-applied.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bridge.accounts import admin
from bridge.accounts.admin import AccountError, Done, Welcome
from bridge.accounts.customer_list import ImportRefused, import_customer_list
from bridge.cli.startup import fail, services_or_exit
from bridge.cli.credits import grant_credits
from bridge.db import upgrade_database

# How each field is typed on the command line, so an error names what the operator typed.
OPTIONS = {"key": "KEY", "email": "EMAIL", "organisation": "--org", "paid_until": "--paid-until",
           "out_of_hours_cover": "--out-of-hours", "products": "--products", "boards": "--boards", "name": "--name"}


def run(command: str, change: Callable[[Session, tuple[str, ...], Welcome | None], list[Done]]) -> None:
    """Apply change in one transaction on KB_DATABASE_URL (migrated first) and print each line it reports.

    change gets the session, the product keys, and what a new organisation is welcomed with: on a
    desk that charges credits, the policy's free credits.
    """
    services = services_or_exit(command)
    products = tuple(product.key for product in services.products)
    try:
        upgrade_database(services.settings.database_url)
        with services.sessions()() as session:
            done = change(session, products, grant_credits(services))
            session.commit()
    except AccountError as error:
        fail(command, 2, f"{OPTIONS.get(error.field, error.field)}: {error.problem}")
    except ImportRefused as refused:
        fail(command, 2, str(refused))
    except SQLAlchemyError as error:
        fail(command, 1, f"cannot write to KB_DATABASE_URL: {error}")
    finally:
        services.close()
    for line in done:
        click.echo(line.message)


def _given(**values: Any) -> dict[str, Any]:
    """The options the operator gave (None means not given), for an update that changes only those."""
    return {name: value for name, value in values.items() if value is not None}


# --- kb org --------------------------------------------------------------------------------------


@click.group()
def org() -> None:
    """Organisations: customers with a support plan (products covered, paid-until date, out-of-hours cover)."""


def _organisation_values(products: tuple[str, ...], name: str | None, product_list: str | None,
                         paid_until: str | None, out_of_hours: bool | None) -> dict[str, Any]:
    return _given(
        name=admin.text(name, "name") if name is not None else None,
        products=admin.products(product_list, products) if product_list is not None else None,
        out_of_hours_cover=out_of_hours,
    ) | ({"paid_until": admin.paid_until(paid_until)} if paid_until is not None else {})


@org.command("add")
@click.argument("key")
@click.option("--name", required=True, help="What the organisation is called.")
@click.option("--products", "product_list", required=True, help="Product keys its plan covers, e.g. ledger,rota.")
@click.option("--paid-until", help="The date its contract is paid up to, YYYY-MM-DD; left out: none recorded (support withheld).")
@click.option("--out-of-hours/--no-out-of-hours", default=None, help="Whether it has out-of-hours cover (default: no).")
def org_add(key: str, name: str, product_list: str, paid_until: str | None, out_of_hours: bool | None) -> None:
    """Add the organisation KEY (lower-case letters, digits, - and _)."""
    run("kb org add", lambda session, products, welcome: [admin.put_organisation(
        session, admin.key(key), _organisation_values(products, name, product_list, paid_until, out_of_hours),
        create=True, welcome=welcome)])


@org.command("update")
@click.argument("key")
@click.option("--name", help="A new name.")
@click.option("--products", "product_list", help="The products its plan covers now (contacts' products are narrowed to them).")
@click.option("--paid-until", help="The date its contract is paid up to, YYYY-MM-DD, or none.")
@click.option("--out-of-hours/--no-out-of-hours", default=None, help="Whether it has out-of-hours cover.")
def org_update(key: str, name: str | None, product_list: str | None, paid_until: str | None,
               out_of_hours: bool | None) -> None:
    """Change the organisation KEY; only the options given change."""
    run("kb org update", lambda session, products, _: [admin.put_organisation(
        session, key, _organisation_values(products, name, product_list, paid_until, out_of_hours), create=False)])


# --- kb contact ----------------------------------------------------------------------------------


@click.group()
def contact() -> None:
    """Contacts: people at an organisation; only nominated ones get support, for the products they may see."""


def _contact_values(products: tuple[str, ...], org_key: str | None, name: str | None, product_list: str | None,
                    nominated: bool | None) -> dict[str, Any]:
    return _given(
        organisation=org_key,
        name=admin.text(name, "name") if name is not None else None,
        products=admin.products(product_list, products) if product_list is not None else None,
        nominated=nominated,
    )


@contact.command("add")
@click.argument("email")
@click.option("--org", "org_key", required=True, help="The key of the contact's organisation.")
@click.option("--name", required=True, help="The contact's name.")
@click.option("--products", "product_list", help="Products they may see (default: all of the organisation's).")
@click.option("--nominated/--not-nominated", default=None, help="Whether they get support (default: not nominated).")
def contact_add(email: str, org_key: str, name: str, product_list: str | None, nominated: bool | None) -> None:
    """Add a contact whose account is EMAIL (any case: addresses are compared without it)."""
    run("kb contact add", lambda session, products, _: [admin.put_contact(
        session, admin.email(email), _contact_values(products, org_key, name, product_list, nominated), create=True)])


@contact.command("update")
@click.argument("email")
@click.option("--org", "org_key", help="Move them to this organisation.")
@click.option("--name", help="A new name.")
@click.option("--products", "product_list", help="The products they may see now.")
@click.option("--nominated/--not-nominated", default=None, help="Nominate them, or withdraw the nomination.")
def contact_update(email: str, org_key: str | None, name: str | None, product_list: str | None,
                   nominated: bool | None) -> None:
    """Change the contact EMAIL; only the options given change."""
    run("kb contact update", lambda session, products, _: [admin.put_contact(
        session, admin.email(email), _contact_values(products, org_key, name, product_list, nominated), create=False)])


# --- kb staff ------------------------------------------------------------------------------------


@click.group()
def staff() -> None:
    """Staff: the desk's people, the products whose review board they sit on, and who administers the desk."""


@staff.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Their name.")
@click.option("--boards", required=True, help="Products whose review board they sit on, e.g. ledger,rota.")
@click.option("--admin/--no-admin", "is_admin", default=False, help="Whether they administer the desk.")
def staff_add(email: str, name: str, boards: str, is_admin: bool) -> None:
    """Add the staff member EMAIL."""
    run("kb staff add", lambda session, products, _: [admin.put_staff(
        session, admin.email(email),
        {"name": admin.text(name, "name"), "boards": admin.products(boards, products, "boards"), "admin": is_admin},
        create=True)])


# --- kb accounts import --------------------------------------------------------------------------


@click.group()
def accounts() -> None:
    """The whole customer list at once."""


@accounts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_list(file: Path) -> None:
    """Add or update every organisation and contact in FILE (CSV, one row per contact; see the README).

    All or nothing: one bad row and nothing is imported, with every problem listed by row and
    column. Running it again with the same file changes nothing.
    """
    def change(session: Session, products: tuple[str, ...], welcome: Welcome | None) -> list[Done]:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            done = import_customer_list(session, handle, products, welcome)
        changed = [line for line in done if line.action != "unchanged"]
        unchanged = len(done) - len(changed)
        return [*changed, Done("summary", f"{len(changed)} changed, {unchanged} unchanged")]

    run("kb accounts import", change)
