"""The board's figures (`kb report`, `/desk/report`) over tickets, searches and answers in a real database."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from bridge.accounts.identity import account_for
from bridge.cli import main
from bridge.desk import actions
from bridge.desk.report import desk_report
from bridge.searchlog.models import SearchEvent
from bridge.tickets.conversation import close
from bridge.tickets.models import Deflection, Ticket
from bridge.tickets.status import TicketStatus
from bridge.web.context import services
from tests.desk.board_fixtures import GRACE, add_board, raise_at, staff_client
from tests.portal.portal_fixtures import add_organisation
from tests.ticket_web_fixtures import LONDON, any_database, bridge_app, close_app, set_clock  # noqa: F401

MONDAY = datetime(2026, 11, 23, tzinfo=LONDON)
INVOICE = "ledger/quick-starts/your-first-invoice/"
FEED = "ledger/help-sheets/bank-feed-not-updating/"


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return MONDAY.replace(hour=hour, minute=minute) + timedelta(days=day)


def act(app: Flask, reference: str, moment: datetime, do) -> None:  # noqa: ANN001 (a call on the desk core)
    """Do something as Grace at moment, through the desk core, and commit it."""
    kb = services(app)
    with kb.sessions()() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        do(session, kb.desk(), ticket, account_for(session, GRACE), moment)
        session.commit()


def reply(session, desk, ticket, grace, moment) -> None:  # noqa: ANN001
    actions.add_staff_message(session, desk, ticket, actor=grace, body="Try this.", internal=False, now=moment)


def status(to: TicketStatus):  # noqa: ANN201
    def move(session, desk, ticket, grace, moment) -> None:  # noqa: ANN001
        actions.update_ticket(session, desk, ticket, {"status": to.value}, actor=grace, now=moment)
    return move


def signed_off(rating: int):  # noqa: ANN201
    def sign_off(session, desk, ticket, grace, moment) -> None:  # noqa: ANN001
        close(session, ticket, actor=ticket.email, rating=rating, comment=None, now=moment)
    return sign_off


@pytest.fixture
def desk_week(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[tuple[Flask, dict[str, str]]]:  # noqa: F811
    """Monday and Tuesday on the ledger board (London office hours 08:30-18:00)."""
    app = bridge_app(built_kb, any_database, tmp_path, KB_ENTITLEMENT="contacts")
    add_board(app)
    add_organisation(app, "acme", ["ledger"], [("ada@example.org", ["ledger"], True),
                                               ("bob@example.org", ["ledger"], True)])
    refs = {
        # Answered in 1 h, waited on the customer 2 h, resolved at 14:00: 3 h of the desk's time; rated 5.
        "answered": raise_at(app, at(9), priority="critical", query="Export invoices",
                             suggested_articles=[{"title": "Sending your first invoice", "url": INVOICE}]),
        # Answered in 2 h, resolved at 09:30 the next day: 9.5 business hours; rated 3.
        "slow": raise_at(app, at(9, 30), priority="standard", request_type="usage", email="bob@example.org",
                         suggested_articles=[]),
        # CRITICAL and never answered: 2 h target missed by Tuesday.
        "ignored": raise_at(app, at(9), priority="critical", subject="Nobody can log in", suggested_articles=[]),
        # Withheld (an unknown address), released at 13:00, answered at 14:00: 1 h from the release.
        "released": raise_at(app, at(9), priority="critical", email="walk@in.example", suggested_articles=[]),
    }
    act(app, refs["answered"], at(10), reply)
    act(app, refs["answered"], at(10), status(TicketStatus.WAITING_ON_CUSTOMER))
    act(app, refs["answered"], at(12), status(TicketStatus.OPEN))
    act(app, refs["answered"], at(14), status(TicketStatus.RESOLVED))
    act(app, refs["answered"], at(15), signed_off(5))
    act(app, refs["slow"], at(11, 30), reply)
    act(app, refs["slow"], at(9, 30, day=1), status(TicketStatus.RESOLVED))
    act(app, refs["slow"], at(10, day=1), signed_off(3))
    act(app, refs["released"], at(13), lambda s, d, t, g, m: actions.release(s, d, t, actor=g, now=m))
    act(app, refs["released"], at(14), reply)
    with services(app).sessions()() as session:
        # Searches that ended in an article, one that went on to support anyway, and a "This solved it".
        session.add_all([
            SearchEvent(id="s1", query="export invoices", result_count=3, top_results=[INVOICE], created_at=at(8, 55),
                        opened_url=f"/{INVOICE}#export"),
            SearchEvent(id="s2", query="bank feed", result_count=2, top_results=[FEED], created_at=at(9, 5),
                        opened_url=FEED),
            SearchEvent(id="s3", query="bank feed stuck", result_count=2, top_results=[FEED], created_at=at(9, 6),
                        opened_url=FEED, contacted_support=True),
            SearchEvent(id="s4", query="old search", result_count=1, top_results=[FEED], created_at=at(9, day=-60),
                        opened_url=FEED),
            Deflection(article_url=FEED, subject="Feed stuck", created_at=at(11)),
            Deflection(article_url="rota/help-sheets/swap-a-shift/", subject="Swap", created_at=at(11)),
        ])
        session.commit()
    yield app, refs
    close_app(app)


def report(app: Flask, **narrow: object):  # noqa: ANN201
    kb = services(app)
    with kb.sessions()() as session:
        return desk_report(session, since=at(0, day=-7), until=at(12, day=1), calendar=kb.desk().calendar,
                           priorities=["critical", "urgent", "standard"],
                           request_types=[t.key for t in kb.policy.request_types], **narrow)


def test_the_figures_count_what_the_desk_did(desk_week: tuple[Flask, dict[str, str]]) -> None:
    app, _ = desk_week
    figures = report(app)
    assert figures.raised == 4
    assert figures.by_priority == {"critical": 3, "urgent": 0, "standard": 1}
    assert (figures.by_request_type["technical"], figures.by_request_type["usage"]) == (3, 1)
    # First responses: 1 h, 2 h, and 1 h counted from the release; resolutions 3 h (less the 2 h wait) and 9.5 h.
    assert figures.median_response_hours == 1.0
    assert figures.median_resolution_hours == pytest.approx(6.25)
    assert (figures.response.met, figures.response.breached, figures.response.running) == (3, 1, 0)
    assert figures.ratings == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1} and figures.average_rating == 4.0


def test_self_service_sets_answers_against_tickets_per_product_and_article(
        desk_week: tuple[Flask, dict[str, str]]) -> None:
    app, _ = desk_week
    figures = report(app)
    by_product = {row.key: (row.opened, row.solved, row.tickets, round(row.share, 2)) for row in figures.per_product}
    # ledger: two searches ended in an article (the one that went on to support does not count), one
    # "This solved it", one ticket raised from a search; rota: one "This solved it" and no ticket.
    assert by_product == {"ledger": (2, 1, 1, 0.75), "rota": (0, 1, 0, 1.0)}
    by_article = {row.key: (row.opened, row.solved, row.tickets) for row in figures.per_article}
    assert by_article[INVOICE] == (1, 0, 1)  # opened once, and suggested to a ticket raised anyway
    assert by_article[FEED] == (1, 1, 0)
    assert [row.key for row in report(app, products=["rota"]).per_product] == ["rota"]


def test_the_page_shows_the_figures_of_the_viewers_boards(desk_week: tuple[Flask, dict[str, str]]) -> None:
    app, _ = desk_week
    grace = staff_client(app, GRACE, at(12, day=1))
    page = grace.get("/desk/report?days=7").get_data(as_text=True)
    assert 'id="kb-report-raised">4<' in page
    assert "1.0 business hours" in page and "6.2 business hours" in page
    assert 'id="kb-report-average">4.0<' in page
    assert "75%" in page  # ledger's self-service share
    assert "rota" not in page.split('id="kb-report-products"')[1].split("</table>")[0]  # not Grace's board
    bad = grace.get("/desk/report?days=5&product=rota")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Days: must be one of: 7, 30, 90, 365" in text and "Product: must be one of your boards" in text


def test_kb_report_prints_a_table_csv_and_json(built_kb: Path, database_file: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    app = bridge_app(built_kb, database_file, tmp_path)
    now = datetime.now(LONDON)
    set_clock(app, now - timedelta(days=2))
    for priority in ("critical", "urgent", "urgent"):
        raise_at(app, now - timedelta(days=2), priority=priority)
    raise_at(app, now - timedelta(days=40), priority="standard")
    close_app(app)
    monkeypatch.setenv("KB_DATABASE_URL", database_file)
    monkeypatch.setenv("KB_BUILD_DIR", str(built_kb))
    runner = CliRunner()
    figures = json.loads(runner.invoke(main, ["report", "--format", "json"]).output)
    assert figures["raised"] == 3 and figures["by_priority"] == {"critical": 1, "urgent": 2, "standard": 0}
    assert json.loads(runner.invoke(main, ["report", "--days", "60", "--format", "json"]).output)["raised"] == 4
    assert json.loads(runner.invoke(main, ["report", "--product", "rota", "--format", "json"]).output)["raised"] == 0
    rows = list(csv.reader(io.StringIO(runner.invoke(main, ["report", "--format", "csv"]).output)))
    assert rows[0] == ["section", "figure", "value"] and ["by priority", "urgent", "2"] in rows
    table = runner.invoke(main, ["report"]).output
    assert "Desk figures for the last 30 days" in table and "raised" in table
    refused = runner.invoke(main, ["report", "--product", "nope"])
    assert refused.exit_code == 2 and "--product must be one of: support, ledger, rota" in refused.output
