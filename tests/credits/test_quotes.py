"""Work outside the agreement on the shipped desk: a new requirement and out-of-hours cover are quoted, and
nothing starts before the customer accepts; the mails go to a real SMTP server."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from tests.credits.web_fixtures import ADA, LED, ROT, delivered, set_clock, ticket_row
from tests.portal.portal_fixtures import add_organisation, add_staff, signed_in
from tests.tickets.smtp_recorder import RecordingHandler
from tests.ticket_web_fixtures import TOKEN, any_database, bridge_app, close_app, valid_ticket  # noqa: F401

MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
QUOTE = {"cost": 1200, "currency": "GBP", "timescale": "two weeks from acceptance"}


@pytest.fixture
def app(built_kb: Path, any_database: str, tmp_path: Path,  # noqa: F811
        smtp_server: tuple[RecordingHandler, str]) -> Iterator[Flask]:
    app = bridge_app(built_kb, any_database, tmp_path, KB_SMTP_URL=smtp_server[1], KB_SIGN_IN_CLIENT_RATE_LIMIT="",
                     KB_SIGN_IN_ADDRESS_RATE_LIMIT="")
    add_organisation(app, "acme", ["ledger"], [(ADA, ["ledger"], True)])
    add_staff(app, LED, ["ledger"])
    add_staff(app, ROT, ["rota"])
    set_clock(app, MONDAY)
    yield app
    close_app(app)


def raise_ticket(app: Flask, **changes: object) -> str:
    answer = signed_in(app, ADA).post("/api/tickets", json=valid_ticket(email=ADA, **changes))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["reference"]


def test_a_new_requirement_is_quoted_and_starts_only_when_accepted(
        app: Flask, smtp_server: tuple[RecordingHandler, str]) -> None:
    reference = raise_ticket(app, request_type="new_requirement")
    led = signed_in(app, LED)
    page = led.get(f"/account/tickets/{reference}").get_data(as_text=True)
    assert "Send a quote" in page and "Assess in credits" not in page
    assert signed_in(app, ROT).post(f"/api/tickets/{reference}/quote", json=QUOTE).status_code == 404
    assert signed_in(app, ADA).post(f"/api/tickets/{reference}/quote", json=QUOTE).status_code == 404
    bad = led.post(f"/api/tickets/{reference}/quote", json={**QUOTE, "cost": "12.345"})
    assert bad.status_code == 400 and "cost" in bad.get_json()["error"]["fields"]
    quoted = led.post(f"/api/tickets/{reference}/quote", json=QUOTE).get_json()
    assert quoted["status"] == "awaiting_approval" and quoted["charging"] is None
    assert {k: quoted["quote"][k] for k in ("reason", "cost", "currency", "status")} == {
        "reason": "new_requirement", "cost": "1200.00", "currency": "GBP", "status": "offered"}
    [mail] = delivered(app, smtp_server[0], "Quote for")
    assert mail["Subject"] == f"[{reference}] Quote for your new requirement: 1200.00 GBP"
    assert "timescale: two weeks from acceptance" in mail.get_body(("plain",)).get_content()

    ada = signed_in(app, ADA)
    shown = ada.get(f"/account/tickets/{reference}").get_data(as_text=True)
    assert "1200.00 GBP" in shown and "Accept the quote" in shown
    accepted = ada.post(f"/account/tickets/{reference}/approval",
                        data={"csrf_token": TOKEN.search(shown).group(1), "approve": "yes"})
    assert accepted.status_code == 303
    assert ticket_row(app, reference).status == "open"
    assert ada.post(f"/api/tickets/{reference}/approval", json={"approve": False}).status_code == 409
    assert delivered(app, smtp_server[0], "Quote accepted")[0]["To"].addresses[0].addr_spec == ADA


def test_a_declined_new_requirement_is_closed(app: Flask) -> None:
    reference = raise_ticket(app, request_type="new_requirement")
    signed_in(app, LED).post(f"/api/tickets/{reference}/quote", json=QUOTE)
    answer = signed_in(app, ADA).post(f"/api/tickets/{reference}/approval", json={"approve": False}).get_json()
    assert (answer["status"], answer["quote"]["status"]) == ("closed", "declined")


def test_out_of_hours_cover_needs_notice_and_a_time_outside_office_hours(app: Flask) -> None:
    client = signed_in(app, ADA)
    for when, problem in (("2026-12-10T11:00", "is within office hours"),
                          ("2026-12-07T19:00", "needs 48 hours' notice: the earliest is Wednesday 9 December 2026, 10:00"),
                          ("next saturday", "must be a date and time such as")):
        refused = client.post("/api/tickets", json=valid_ticket(email=ADA, cover_from=when))
        assert refused.status_code == 400
        assert refused.get_json()["error"]["fields"]["cover_from"].startswith(problem)
    reference = raise_ticket(app, cover_from="2026-12-12T10:00")
    assert ticket_row(app, reference).cover_from == datetime(2026, 12, 12, 10, 0, tzinfo=UTC)
    led = signed_in(app, LED)
    assert led.post(f"/api/tickets/{raise_ticket(app)}/quote", json=QUOTE).status_code == 409
    quoted = led.post(f"/api/tickets/{reference}/quote", json={**QUOTE, "cost": "350.50"}).get_json()
    assert (quoted["status"], quoted["quote"]["reason"]) == ("awaiting_approval", "out_of_hours")
    declined = client.post(f"/api/tickets/{reference}/approval", json={"approve": False}).get_json()
    assert (declined["status"], declined["quote"]["status"]) == ("open", "declined")


def test_a_desk_without_cover_refuses_the_field(built_kb: Path, database_file: str, tmp_path: Path) -> None:
    policy = tmp_path / "no-cover.yml"
    text = (Path(__file__).resolve().parents[2] / "site_config" / "support.yml").read_text()
    policy.write_text(text.replace("out_of_hours:\n  notice_hours: 48\n", ""))
    app = bridge_app(built_kb, database_file, tmp_path, KB_SUPPORT_POLICY=str(policy))
    refused = app.test_client().post("/api/tickets", json=valid_ticket(cover_from="2026-12-12T10:00"))
    close_app(app)
    assert refused.get_json()["error"]["fields"] == {"cover_from": "this desk offers no out-of-hours cover: leave it out"}
