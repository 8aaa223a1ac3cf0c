"""A signed-in customer's posts on a ticket share the per-client allowance for raising tickets.

Each message, sign-off, follow-up or approval mails someone, so a script holding a session must
not be able to send them without end. Staff answering on the board are not counted, and a post
that is refused (a missing field) does not use up the allowance.
"""
from __future__ import annotations

from pathlib import Path

from tests.portal.portal_fixtures import add_staff, signed_in
from tests.ticket_web_fixtures import TOKEN, bridge_app, close_app, valid_ticket

ADA = "ada@example.org"
LED = "led@desk.example"


def test_messages_count_against_the_ticket_allowance_and_staff_replies_do_not(
        built_kb: Path, database_file: str, tmp_path: Path) -> None:
    app = bridge_app(built_kb, database_file, tmp_path, KB_TICKET_RATE_LIMIT="3/minute",
                     KB_SIGN_IN_CLIENT_RATE_LIMIT="", KB_SIGN_IN_ADDRESS_RATE_LIMIT="")
    try:
        add_staff(app, LED, ["ledger"])
        raised = app.test_client().post("/api/tickets", json=valid_ticket(email=ADA))  # the first of three
        assert raised.status_code == 201
        ada, led = signed_in(app, ADA), signed_in(app, LED)
        path = f"/api/tickets/{raised.get_json()['reference']}/messages"
        assert [led.post(path, json={"body": f"Reply {n}"}).status_code for n in range(4)] == [201] * 4
        assert ada.post(path, json={"body": ""}).status_code == 400  # refused: not counted
        assert [ada.post(path, json={"body": f"More {n}"}).status_code for n in range(3)] == [201, 201, 429]
        limited = ada.post(path, json={"body": "Still more"})
        assert limited.get_json()["error"]["code"] == "too_many_requests"
        ticket_page = f"/account/tickets/{raised.get_json()['reference']}"
        token = TOKEN.search(ada.get(ticket_page).get_data(as_text=True)).group(1)
        form = ada.post(f"{ticket_page}/messages", data={"csrf_token": token, "body": "By the form"})
        assert form.status_code == 429 and "Too many requests" in form.get_data(as_text=True)
        assert ada.post(f"{ticket_page}/close", data={"csrf_token": token}).status_code == 429
    finally:
        close_app(app)
