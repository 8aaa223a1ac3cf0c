"""`kb org add` grants the credits desk's free credits; `kb credits add`, `adjust` and `statement`, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

from click.testing import CliRunner, Result
from sqlalchemy import select

from bridge.credits.models import TicketAssessment
from bridge.db import make_engine, make_session_factory
from bridge.tickets.models import Ticket
from tests.credits.ledger_fixtures import CREDITS_POLICY, NOW, STAFF, credit_desk, raise_ticket
from tests.ticket_web_fixtures import any_database  # noqa: F401 (fixture)
from bridge.accounts.directory import organisation_by_key
from bridge.cli import main


def kb(database: str, *args: str, policy: str = str(CREDITS_POLICY)) -> Result:
    return CliRunner().invoke(main, list(args), env={"KB_DATABASE_URL": database, "KB_SUPPORT_POLICY": policy})


def test_a_new_organisation_gets_the_grant_and_a_package_charges_the_ticket_that_waited(
        any_database: str) -> None:  # noqa: F811
    added = kb(any_database, "org", "add", "acme", "--name", "Acme Ltd", "--products", "ledger")
    assert added.exit_code == 0, added.output
    assert added.output.endswith("; granted 40 free credits\n")
    engine = make_engine(any_database)
    desk = credit_desk()
    with make_session_factory(engine)() as session:
        acme = organisation_by_key(session, "acme")
        ticket = raise_ticket(session, acme)
        desk.assess(session, ticket, "investigation", note=None, actor=STAFF, now=NOW)
        desk.assess(session, raise_ticket(session, acme), "investigation", note=None, actor=STAFF, now=NOW)
        waiting = raise_ticket(session, acme)
        desk.assess(session, waiting, "standard", note=None, actor=STAFF, now=NOW)
        session.commit()
        reference = waiting.reference
    assert waiting.status == "awaiting_credits"

    bought = kb(any_database, "credits", "add", "acme", "--package", "25", "--note", "invoice 1042")
    assert bought.exit_code == 0, bought.output
    assert bought.output.splitlines() == ["added 25 credits to acme (invoice 1042)",
                                          f"charged {reference}: 10 credits (standard); work resumes",
                                          "balance now 15"]
    with make_session_factory(engine)() as session:
        assert session.scalar(select(Ticket.status).where(Ticket.reference == reference)) == "open"
        assert session.get(Ticket, waiting.id).waiting_since is None
        assert session.get(TicketAssessment, waiting.id).category == "standard"
    engine.dispose()

    statement = json.loads(kb(any_database, "credits", "statement", "acme", "--format", "json").output)
    assert statement["balance"] == 15
    assert [(e["kind"], e["amount"]) for e in statement["entries"]] == [
        ("grant", 40), ("charge", -20), ("charge", -20), ("purchase", 25), ("charge", -10)]
    assert set(statement["entries"][0]) == {"at", "kind", "amount", "ticket", "note", "by"}
    assert statement["entries"][3]["note"] == "Package of 25 credits (125.00 USD): invoice 1042"
    assert statement["entries"][4]["ticket"] == reference

    fixed = kb(any_database, "credits", "adjust", "acme", "--amount", "-5", "--note", "=SUM(A1) goodwill undone")
    assert fixed.output == "adjusted acme by -5 credits (=SUM(A1) goodwill undone); balance now 10\n"
    csv_lines = kb(any_database, "credits", "statement", "acme", "--format", "csv").output.splitlines()
    assert csv_lines[0] == "at,kind,amount,ticket,note,by"
    assert ",adjustment,-5,,'=SUM(A1) goodwill undone," in csv_lines[-1]
    table = kb(any_database, "credits", "statement", "acme").output.splitlines()
    assert table[-1] == "Balance: 10 credits"


def test_refusals_name_what_to_fix(any_database: str) -> None:  # noqa: F811
    assert kb(any_database, "org", "add", "acme", "--name", "Acme", "--products", "ledger").exit_code == 0
    wrong = kb(any_database, "credits", "add", "acme", "--package", "30", "--note", "x")
    assert (wrong.exit_code, wrong.output) == (
        2, "kb credits add: --package: no package of 30 credits; the packages are 10, 25, 50, 100, 200\n")
    missing = kb(any_database, "credits", "statement", "nobody")
    assert (missing.exit_code, missing.output) == (
        2, "kb credits statement: ORG: no organisation nobody; add it first with kb org add\n")
    off = kb(any_database, "credits", "statement", "acme", policy="site_config/support.yml")
    assert off.exit_code == 2 and "does not charge credits" in off.output


def test_an_imported_organisation_gets_the_grant_once(any_database: str, tmp_path) -> None:  # noqa: F811
    customers = tmp_path / "customers.csv"
    customers.write_text("organisation,organisation_name,organisation_products,paid_until,out_of_hours_cover,"
                         "email,name,nominated,products\nbeta,Beta plc,ledger,2027-01-31,no,ann@beta.example,Ann,yes,\n")
    first = kb(any_database, "accounts", "import", str(customers))
    assert first.exit_code == 0, first.output
    assert "added organisation beta:" in first.output and "granted 40 free credits" in first.output
    assert "granted" not in kb(any_database, "accounts", "import", str(customers)).output
    entries = json.loads(kb(any_database, "credits", "statement", "beta", "--format", "json").output)["entries"]
    assert [(e["kind"], e["amount"], e["by"]) for e in entries] == [("grant", 40, "system")]
