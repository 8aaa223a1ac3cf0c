"""A retried submission never makes a second ticket or a second mail: `Idempotency-Key` on the API, one key per form."""
from __future__ import annotations

import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bridge.notify.models import OutboxMessage
from bridge.tickets.models import IdempotencyKey, Ticket
from bridge.web.context import services
from bridge.web.tickets import FORM_REUSED
from tests.ticket_web_fixtures import (  # noqa: F401 (fixtures)
    FRIDAY_EVENING,
    any_database,
    api_app,
    form_token,
    set_clock,
    ticket_app,
    valid_ticket,
)

KEY = "9b2f6c1e-5d0a-4c1b-8f43-3c8d2a7e6b10"
FORM_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def post(app, body: dict, key: str | None = KEY):
    headers = {"Idempotency-Key": key} if key is not None else {}
    with app.test_client().post("/api/tickets", json=body, headers=headers) as response:
        return response.status_code, response.get_json(), response.headers


def stored(app, table) -> list:
    with services(app).sessions()() as session:
        return list(session.scalars(select(table)))


def test_the_same_key_returns_the_first_ticket_and_sends_one_mail(api_app) -> None:
    first_status, first, first_headers = post(api_app, valid_ticket())
    again_status, again, again_headers = post(api_app, valid_ticket())
    assert (first_status, again_status) == (201, 201)
    assert again == first, "the same reference, targets and suggestions"
    assert "Idempotent-Replayed" not in first_headers and again_headers["Idempotent-Replayed"] == "true"
    assert [ticket.reference for ticket in stored(api_app, Ticket)] == [first["reference"]]
    assert len(stored(api_app, OutboxMessage)) == 1


def test_without_a_key_every_post_is_a_ticket(api_app) -> None:
    references = {post(api_app, valid_ticket(), key=None)[1]["reference"] for _ in range(2)}
    assert len(references) == 2 and len(stored(api_app, OutboxMessage)) == 2


def test_a_key_counts_only_with_the_same_email_address(api_app) -> None:
    _, ada, _ = post(api_app, valid_ticket())
    status, eve, headers = post(api_app, valid_ticket(email="eve@example.net"))
    assert status == 201 and eve["reference"] != ada["reference"], "another address cannot fetch Ada's receipt"
    assert "Idempotent-Replayed" not in headers
    status, _, _ = post(api_app, valid_ticket(email="ADA@EXAMPLE.ORG"))
    assert status == 422, "the same address in capitals is the same address, with a request written differently"
    assert len(stored(api_app, Ticket)) == 2


@pytest.mark.parametrize("change", [{"subject": "Another problem"}, {"priority": "standard"}, {"query": "vat"},
                                    {"suggested_articles": []}])
def test_the_same_key_for_a_different_request_is_refused(api_app, change: dict) -> None:
    post(api_app, valid_ticket())
    status, body, _ = post(api_app, valid_ticket(**change))
    assert status == 422
    assert body["error"]["code"] == "idempotency_key_reused" and "Idempotency-Key" in body["error"]["message"]
    assert len(stored(api_app, Ticket)) == 1 and len(stored(api_app, OutboxMessage)) == 1


def test_a_key_is_forgotten_after_a_day(api_app) -> None:
    set_clock(api_app, FRIDAY_EVENING)
    _, first, _ = post(api_app, valid_ticket())
    set_clock(api_app, FRIDAY_EVENING + timedelta(hours=23, minutes=59))
    assert post(api_app, valid_ticket())[1]["reference"] == first["reference"]
    set_clock(api_app, FRIDAY_EVENING + timedelta(hours=24))
    status, later, headers = post(api_app, valid_ticket())
    assert status == 201 and later["reference"] != first["reference"] and "Idempotent-Replayed" not in headers
    assert [row.ticket_id for row in stored(api_app, IdempotencyKey)] == [stored(api_app, Ticket)[1].id], \
        "the expired key was replaced"


@pytest.mark.parametrize("key", ["", " ", "a" * 256, "clé", "two words", "tab\there"])
def test_a_key_that_cannot_be_one_is_refused_naming_the_header(api_app, key: str) -> None:
    status, body, _ = post(api_app, valid_ticket(), key=key)
    assert status == 400 and body["error"]["code"] == "invalid_idempotency_key"
    assert set(body["error"]["fields"]) == {"Idempotency-Key"}
    assert stored(api_app, Ticket) == []


def test_an_invalid_ticket_is_reported_before_the_key_is_looked_at(api_app) -> None:
    status, body, _ = post(api_app, valid_ticket(email="nope"), key="")
    assert status == 400 and body["error"]["code"] == "invalid_ticket"


def test_neither_key_nor_address_is_stored_as_sent(api_app) -> None:
    post(api_app, valid_ticket())
    [row] = stored(api_app, IdempotencyKey)
    assert KEY not in (row.key_digest, row.fingerprint) and "ada" not in row.key_digest
    assert len(row.key_digest) == 64


def test_retries_sent_at_once_make_one_ticket(api_app) -> None:
    answers: list[tuple[int, dict]] = []
    start = threading.Barrier(6)

    def retry() -> None:
        start.wait()
        status, body, _ = post(api_app, valid_ticket())
        answers.append((status, body))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [201] * 6
    assert len({body["reference"] for _, body in answers}) == 1
    assert len(stored(api_app, Ticket)) == 1 and len(stored(api_app, OutboxMessage)) == 1


# --- the contact form ---------------------------------------------------------------------------

FILLED = {"email": "ada@example.org", "name": "Ada Lovelace", "product": "ledger", "subject": "invoice export",
          "description": "The export button does nothing.", "request_type": "technical", "priority": "critical"}


def loaded_form(client) -> dict[str, str]:
    """The hidden fields of a freshly loaded form: its token and its key."""
    with client.get("/tickets/new") as response:
        text = response.get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', text).group(1),
            "idempotency_key": FORM_KEY.search(text).group(1)}


def test_each_form_load_has_a_key_of_its_own(ticket_app) -> None:
    client = ticket_app.test_client()
    keys = {loaded_form(client)["idempotency_key"] for _ in range(3)}
    assert len(keys) == 3 and all(len(key) >= 24 for key in keys)


def test_a_form_sent_twice_raises_one_ticket(ticket_app) -> None:
    client = ticket_app.test_client()
    form = loaded_form(client)
    first = client.post("/tickets/new", data={**form, **FILLED})
    resent = client.post("/tickets/new", data={**form, **FILLED})
    assert (first.status_code, resent.status_code) == (303, 303)
    assert urlsplit(resent.headers["Location"]).path == urlsplit(first.headers["Location"]).path
    [ticket] = stored(ticket_app, Ticket)
    assert urlsplit(first.headers["Location"]).path == f"/tickets/{ticket.reference}/submitted"
    assert len(stored(ticket_app, OutboxMessage)) == 1


def test_two_forms_raise_two_tickets(ticket_app) -> None:
    client = ticket_app.test_client()
    for _ in range(2):
        assert client.post("/tickets/new", data={**loaded_form(client), **FILLED}).status_code == 303
    assert len(stored(ticket_app, Ticket)) == 2


def test_a_form_reused_for_other_details_asks_to_send_again_with_a_new_key(ticket_app) -> None:
    client = ticket_app.test_client()
    form = loaded_form(client)
    client.post("/tickets/new", data={**form, **FILLED})
    with client.post("/tickets/new", data={**form, **FILLED, "subject": "a second problem"}) as reused:
        text = reused.get_data(as_text=True)
    assert reused.status_code == 400 and FORM_REUSED in text
    assert 'value="a second problem"' in text, "the customer's typing is kept"
    fresh_key = FORM_KEY.search(text).group(1)
    assert fresh_key != form["idempotency_key"]
    resent = client.post("/tickets/new", data={"csrf_token": form_token(client), "idempotency_key": fresh_key,
                                               **FILLED, "subject": "a second problem"})
    assert resent.status_code == 303
    assert sorted(ticket.subject for ticket in stored(ticket_app, Ticket)) == ["a second problem", "invoice export"]
