"""`kb org`, `kb contact`, `kb staff` and `kb accounts import`, on SQLite and PostgreSQL, as the desk types them."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.accounts.directory import contact_by_email, organisation_by_key, staff_by_email
from bridge.accounts.models import Contact, Organisation
from bridge.cli import main

HEADER = "organisation,organisation_name,organisation_products,paid_until,out_of_hours_cover,email,name,nominated,products\n"
CUSTOMERS = HEADER + (
    "acme,Acme Ltd,\"ledger,rota\",2027-03-31,no,Ada@Acme.example,Ada Lovelace,yes,\n"
    "acme,Acme Ltd,\"ledger,rota\",2027-03-31,no,bob@acme.example,Bob,no,rota\n"
    "beta,Beta plc,ledger,,yes,,,,\n"
)


def kb(database: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"KB_DATABASE_URL": database})


def test_an_organisation_and_its_contacts_are_added_and_changed_saying_what_changed(
        any_database: str, session: Session) -> None:
    added = kb(any_database, "org", "add", "acme", "--name", "Acme Ltd", "--products", "ledger,rota",
               "--paid-until", "2027-03-31")
    assert added.exit_code == 0, added.output
    assert added.output == ("added organisation acme: name Acme Ltd; products ledger,rota; paid_until 2027-03-31; "
                            "out_of_hours_cover no\n")
    assert kb(any_database, "contact", "add", "Ada@ACME.example", "--org", "acme", "--name", "Ada",
              "--nominated").output == ("added contact ada@acme.example: name Ada; organisation acme; nominated yes; "
                                        "products ledger,rota\n")
    assert kb(any_database, "contact", "add", "bob@acme.example", "--org", "acme", "--name", "Bob",
              "--products", "rota").exit_code == 0

    narrowed = kb(any_database, "org", "update", "acme", "--products", "ledger", "--out-of-hours")
    assert narrowed.output == ("updated organisation acme: products ledger,rota -> ledger; out_of_hours_cover no -> yes; "
                               "products of ada@acme.example, bob@acme.example narrowed to the plan's\n")
    assert kb(any_database, "org", "update", "acme", "--products", "ledger").output == "unchanged organisation acme\n"
    assert kb(any_database, "contact", "update", "ADA@acme.example", "--not-nominated").output == \
        "updated contact ada@acme.example: nominated yes -> no\n"
    staff = kb(any_database, "staff", "add", "Sam@Desk.example", "--name", "Sam", "--boards", "ledger,rota", "--admin")
    assert staff.output == "added staff member sam@desk.example: name Sam; boards ledger,rota; admin yes\n"

    acme = organisation_by_key(session, "acme")
    assert (acme.products, acme.paid_until, acme.out_of_hours_cover) == (["ledger"], date(2027, 3, 31), True)
    ada = contact_by_email(session, "ada@acme.example")
    assert (ada.nominated, ada.products, ada.organisation.key) == (False, ["ledger"], "acme")
    assert contact_by_email(session, "bob@acme.example").products == []
    assert (staff_by_email(session, "sam@desk.example").boards, staff_by_email(session, "sam@desk.example").admin) == \
        (["ledger", "rota"], True)


def test_a_bad_value_names_its_option_and_changes_nothing(any_database: str, session: Session) -> None:
    assert kb(any_database, "org", "add", "acme", "--name", "Acme", "--products", "ledger").exit_code == 0
    cases = [
        (["org", "add", "acme", "--name", "Again", "--products", "ledger"],
         "kb org add: KEY: organisation acme already exists; change it with update"),
        (["org", "add", "Beta Ltd", "--name", "Beta", "--products", "ledger"], "kb org add: KEY: expected lower-case"),
        (["org", "add", "beta", "--name", "Beta", "--products", "ledger,payroll"],
         "kb org add: --products: unknown product payroll; the products are support, ledger, rota"),
        (["org", "update", "acme", "--paid-until", "31/03/2027"],
         "kb org update: --paid-until: expected a date YYYY-MM-DD (or none), got '31/03/2027'"),
        (["org", "update", "gamma", "--name", "G"], "kb org update: KEY: no organisation gamma; add it first"),
        (["contact", "add", "ada@acme", "--org", "acme", "--name", "Ada"], "kb contact add: EMAIL: 'ada@acme' is not"),
        (["contact", "add", "ada@acme.example", "--org", "gamma", "--name", "Ada"],
         "kb contact add: --org: no organisation gamma; add it first with kb org add"),
        (["contact", "add", "ada@acme.example", "--org", "acme", "--name", "Ada", "--products", "rota"],
         "kb contact add: --products: rota not in organisation acme's plan (ledger)"),
        (["contact", "add", "ada@acme.example", "--org", "acme", "--name", "  "], "kb contact add: --name: must not be empty"),
        (["staff", "add", "sam@desk.example", "--name", "Sam", "--boards", "payroll"], "kb staff add: --boards: unknown product"),
    ]
    for args, message in cases:
        result = kb(any_database, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert session.scalars(select(Organisation.key)).all() == ["acme"]
    assert session.scalars(select(Contact)).all() == []


def test_a_customer_list_is_imported_once_and_again_changes_nothing(any_database: str, session: Session,
                                                                     tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")

    first = kb(any_database, "accounts", "import", str(customers))
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "added organisation acme: name Acme Ltd; products ledger,rota; paid_until 2027-03-31; out_of_hours_cover no",
        "added contact ada@acme.example: name Ada Lovelace; organisation acme; nominated yes; products ledger,rota",
        "added contact bob@acme.example: name Bob; organisation acme; nominated no; products rota",
        "added organisation beta: name Beta plc; products ledger; paid_until none; out_of_hours_cover yes",
        "4 changed, 0 unchanged",
    ]
    again = kb(any_database, "accounts", "import", str(customers))
    assert again.output == "0 changed, 4 unchanged\n"

    customers.write_text(CUSTOMERS.replace("2027-03-31", "2028-03-31").replace(",Bob,no,", ",Bob,yes,"), encoding="utf-8")
    assert kb(any_database, "accounts", "import", str(customers)).output.splitlines() == [
        "updated organisation acme: paid_until 2027-03-31 -> 2028-03-31",
        "updated contact bob@acme.example: nominated no -> yes",
        "2 changed, 2 unchanged",
    ]
    assert organisation_by_key(session, "beta").paid_until is None
    assert contact_by_email(session, "bob@acme.example").nominated is True


def test_a_list_with_bad_rows_is_refused_whole_with_every_problem_by_row_and_column(
        any_database: str, session: Session, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(HEADER + (
        "acme,Acme Ltd,ledger,2027-03-31,no,ada@acme.example,Ada,yes,\n"
        "acme,Acme Limited,ledger,2027-03-31,no,bob@acme.example,Bob,no,\n"
        "beta,Beta plc,ledger,2027-02-30,no,cy@beta.example,Cy,perhaps,\n"
        "gamma,Gamma,ledger,,no,ADA@acme.example,Ada again,yes,rota\n"
    ), encoding="utf-8")

    result = kb(any_database, "accounts", "import", str(customers))

    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "kb accounts import: 3 problem(s), nothing imported:",
        "row 3, organisation_name: differs from an earlier row for organisation acme",
        "row 4, paid_until: expected a date YYYY-MM-DD (or none), got '2027-02-30'",
        "row 5, email: ada@acme.example is on an earlier row too",
    ]
    assert session.scalars(select(Organisation)).all() == []


def test_a_list_with_the_wrong_columns_says_which(any_database: str, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("organisation,org_name,email\nacme,Acme,ada@acme.example\n", encoding="utf-8")

    result = kb(any_database, "accounts", "import", str(customers))

    assert result.exit_code == 2
    assert "header: missing column organisation_name" in result.output
    assert "header: unknown column 'org_name'" in result.output
