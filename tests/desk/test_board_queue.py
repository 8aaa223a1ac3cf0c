"""The board's queue, as JSON (`GET /api/tickets` for staff) and as the page `/desk`: order, filters, targets."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask

from bridge.tickets.status import TicketStatus
from tests.desk.board_fixtures import GRACE, LINUS, ROTA_ONLY, add_board, change, raise_at, staff_client
from tests.portal.portal_fixtures import add_organisation, add_staff, sign_in
from tests.ticket_web_fixtures import LONDON, any_database, bridge_app, close_app, set_clock  # noqa: F401

MONDAY = datetime(2026, 11, 23, tzinfo=LONDON)


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return MONDAY.replace(day=MONDAY.day + day, hour=hour, minute=minute)


@pytest.fixture
def board(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[tuple[Flask, dict[str, str]]]:  # noqa: F811
    """Monday morning on the ledger board: two new tickets nobody has taken, one taken, one open, one waiting on
    the customer, one closed, and a rota ticket the ledger board never sees."""
    app = bridge_app(built_kb, any_database, tmp_path)
    add_board(app)
    add_organisation(app, "acme", ["ledger", "rota"], [("ada@example.org", ["ledger", "rota"], True)])
    refs = {
        "open-urgent": raise_at(app, at(8, 40), priority="urgent", subject="Bank feed stalls"),
        "new-standard": raise_at(app, at(9, 0), priority="standard", subject="How do I export?"),
        "new-critical": raise_at(app, at(9, 10), priority="critical", subject="Nobody can log in"),
        "taken-critical": raise_at(app, at(9, 20), priority="critical", subject="Payroll totals wrong"),
        "waiting": raise_at(app, at(9, 25), priority="standard", subject="Which VAT rate?"),
        "closed": raise_at(app, at(9, 30), priority="critical", subject="Printer jammed"),
        "rota": raise_at(app, at(9, 35), priority="critical", product="rota", subject="Rota is empty"),
    }
    change(app, refs["open-urgent"], at(8, 50), status=TicketStatus.OPEN, assignee=LINUS)
    change(app, refs["taken-critical"], at(9, 21), assignee=GRACE)
    change(app, refs["waiting"], at(9, 40), status=TicketStatus.WAITING_ON_CUSTOMER, assignee=GRACE, responded=True)
    change(app, refs["closed"], at(9, 45), status=TicketStatus.CLOSED)
    yield app, refs
    close_app(app)


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/api/tickets{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [ticket["reference"] for ticket in response.get_json()["tickets"]]


def test_new_untaken_tickets_come_first_then_by_target(board: tuple[Flask, dict[str, str]]) -> None:
    app, refs = board
    grace = staff_client(app, GRACE, at(10))
    expected = [refs[name] for name in ("new-critical", "new-standard", "taken-critical", "open-urgent", "waiting")]
    assert listed(grace) == expected
    page = grace.get("/desk").get_data(as_text=True)
    assert re.findall(r'data-reference="([^"]+)"', page) == expected
    assert refs["rota"] not in page and refs["closed"] not in page


def test_each_row_carries_what_the_board_reads(board: tuple[Flask, dict[str, str]]) -> None:
    app, refs = board
    grace = staff_client(app, GRACE, at(10))
    rows = {row["reference"]: row for row in grace.get("/api/tickets").get_json()["tickets"]}
    critical = rows[refs["new-critical"]]
    # Raised 09:10, CRITICAL is 2 business hours: due 11:10, 1 h 10 min left at 10:00.
    assert (critical["business_hours_left"], critical["breached"], critical["assignee"]) == (1.17, False, None)
    assert datetime.fromisoformat(critical["target"]) == at(11, 10)
    assert rows[refs["taken-critical"]]["assignee"] == GRACE
    assert rows[refs["open-urgent"]]["organisation"] == "Acme"
    # Waiting on the customer after the first reply: no resolution target in this policy, nothing ticking.
    assert rows[refs["waiting"]]["business_hours_left"] is None

    page = grace.get("/desk").get_data(as_text=True)
    row = re.search(rf'<tr[^>]*data-reference="{refs["new-critical"]}".*?</tr>', page, re.S).group(0)
    assert "kb-priority--red" in row and "CRITICAL" in row and "1.2 business hours left" in row
    assert "Nobody can log in" in row and "New" in row


def test_past_a_target_is_breached_in_the_queue_and_the_api(board: tuple[Flask, dict[str, str]]) -> None:
    app, refs = board
    grace = staff_client(app, GRACE, at(10))
    set_clock(app, at(12))
    assert listed(grace, "?breached=yes") == [refs["new-critical"], refs["taken-critical"]]
    assert listed(grace, "?breached=no") == [refs["new-standard"], refs["open-urgent"], refs["waiting"]]
    page = grace.get("/desk?breached=yes").get_data(as_text=True)
    assert page.count("kb-queue__row--breached") == 2 and "0.8 business hours over" in page


@pytest.mark.parametrize(("query", "names"), [
    ("?status=open", ["open-urgent"]),
    ("?status=closed", ["closed"]),
    ("?priority=critical", ["new-critical", "taken-critical"]),
    ("?assignee=me", ["taken-critical", "waiting"]),
    (f"?assignee={LINUS}", ["open-urgent"]),
    ("?assignee=none", ["new-critical", "new-standard"]),
    ("?product=rota", []),
    ("?product=ledger&priority=urgent", ["open-urgent"]),
    ("?withheld=yes", []),
    ("?q=payroll", ["taken-critical"]),
])
def test_filters_narrow_the_queue(board: tuple[Flask, dict[str, str]], query: str, names: list[str]) -> None:
    app, refs = board
    grace = staff_client(app, GRACE, at(10))
    assert listed(grace, query) == [refs[name] for name in names]
    page = grace.get(f"/desk{query}").get_data(as_text=True)
    assert re.findall(r'data-reference="([^"]+)"', page) == [refs[name] for name in names]


@pytest.mark.parametrize(("query", "field"), [
    ("?status=pending", "status"), ("?priority=p1", "priority"), ("?assignee=someone@else.example", "assignee"),
    ("?product=payroll", "product"), ("?breached=maybe", "breached"), ("?withheld=2", "withheld"),
    ("?limit=0", "limit"), ("?start=-1", "start"),
])
def test_a_bad_filter_is_a_400_naming_the_field(board: tuple[Flask, dict[str, str]], query: str, field: str) -> None:
    app, _ = board
    grace = staff_client(app, GRACE, at(10))
    response = grace.get(f"/api/tickets{query}")
    assert response.status_code == 400
    assert list(response.get_json()["error"]["fields"]) == [field]
    if field not in ("limit", "start"):
        page = grace.get(f"/desk{query}")
        assert page.status_code == 400 and f"#kb-filter-{field}" in page.get_data(as_text=True)


def test_the_queue_pages(board: tuple[Flask, dict[str, str]]) -> None:
    app, refs = board
    grace = staff_client(app, GRACE, at(10))
    first = grace.get("/api/tickets?limit=2").get_json()
    second = grace.get(f"/api/tickets?limit=2&start={first['next_start']}").get_json()
    last = grace.get("/api/tickets?limit=2&start=4").get_json()
    assert [t["reference"] for t in first["tickets"] + second["tickets"] + last["tickets"]] == listed(grace)
    assert last["next_start"] is None


def test_only_staff_come_in_and_each_sees_only_their_boards(board: tuple[Flask, dict[str, str]]) -> None:
    app, refs = board
    rota = staff_client(app, ROTA_ONLY, at(10))
    assert listed(rota) == [refs["rota"]]
    customer = app.test_client()
    sign_in(customer, app, "ada@example.org")
    missing = customer.get("/no-such-page")
    assert customer.get("/desk").status_code == missing.status_code == 404
    assert customer.get("/desk").get_data() == missing.get_data()
    # The customer's own list keeps its order (newest first) and shows no desk fields.
    mine = customer.get("/api/tickets").get_json()["tickets"]
    assert [t["reference"] for t in mine] == [refs[n] for n in ("rota", "closed", "waiting", "taken-critical",
                                                                "new-critical", "new-standard", "open-urgent")]
    assert "assignee" not in mine[0]
    assert app.test_client().get("/desk").status_code == 303


def test_an_admin_sees_every_boards_queue(board: tuple[Flask, dict[str, str]]) -> None:
    app, refs = board
    add_staff(app, "boss@desk.example", [], admin=True)
    boss = staff_client(app, "boss@desk.example", at(10))
    assert set(listed(boss)) == {refs[name] for name in refs if name != "closed"}
    assert listed(boss, "?product=rota") == [refs["rota"]]
