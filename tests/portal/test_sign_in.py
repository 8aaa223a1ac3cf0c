"""Signing in with an emailed link: single use, short-lived, opened safely by mail scanners, no enumeration."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event

from bridge.db import utc_now
from bridge.web.context import services
from tests.portal.portal_fixtures import add_organisation, add_staff, emailed_link, sign_in, sign_in_mails
from tests.ticket_web_fixtures import TOKEN, bridge_app, close_app

ADA = "ada@example.org"


@pytest.fixture
def app(built_kb: Path, database_file: str, tmp_path: Path) -> Iterator[Flask]:
    app = bridge_app(built_kb, database_file, tmp_path, KB_SITE_URL="https://help.example.com")
    add_organisation(app, "acme", ["ledger"], [(ADA, ["ledger"], True)])
    yield app
    close_app(app)


def page_token(client, path: str = "/account/sign-in") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def ask_for_link(client, email: str):
    return client.post("/account/sign-in", data={"email": email, "csrf_token": page_token(client)}, buffered=True)


def test_the_emailed_link_shows_a_button_and_only_the_button_signs_in(app: Flask) -> None:
    client = app.test_client()
    answer = ask_for_link(client, "Ada@Example.org")
    assert answer.status_code == 200 and "Check your mail" in answer.get_data(as_text=True)

    link, token = emailed_link(app, ADA)
    assert link.startswith("https://help.example.com/account/sign-in/")
    assert link in sign_in_mails(app, ADA)[0].splitlines(), "the link sits on a line of its own"

    browser = app.test_client()
    for _ in range(2):  # a mail scanner opens it, then the customer does: it still works
        opened = browser.get(f"/account/sign-in/{token}")
        assert opened.status_code == 200 and ">Sign in</button>" in opened.get_data(as_text=True)
        assert opened.headers["Referrer-Policy"] == "same-origin", "the token in the address goes to no other site"
    assert browser.get("/api/me").status_code == 401

    pressed = browser.post(f"/account/sign-in/{token}", data={"csrf_token": TOKEN.search(opened.get_data(as_text=True)).group(1)})
    assert pressed.status_code == 303 and pressed.headers["Location"] == "/account/tickets"
    cookie = pressed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie and "Expires=" in cookie
    me = browser.get("/api/me").get_json()
    assert me == {"email": ADA, "name": "Ada", "organisation": {"key": "acme", "name": "Acme"},
                  "products": ["ledger"], "nominated": True, "staff": None}


def test_a_link_works_once(app: Flask) -> None:
    sign_in(app.test_client(), app, ADA)
    _, token = emailed_link(app, ADA)
    again = app.test_client()
    assert "This link no longer works" in again.get(f"/account/sign-in/{token}").get_data(as_text=True)
    assert again.post("/api/session", json={"token": token}).status_code == 401
    assert again.get("/api/me").status_code == 401


def test_a_link_expires_after_15_minutes(app: Flask) -> None:
    client = app.test_client()
    client.post("/api/session", json={"email": ADA}, buffered=True)
    _, token = emailed_link(app, ADA)
    services(app).clock = lambda: utc_now() + timedelta(minutes=15, seconds=1)
    assert client.get(f"/account/sign-in/{token}").status_code == 404
    refused = client.post("/api/session", json={"token": token})
    assert refused.status_code == 401 and "expired" in refused.get_json()["error"]["message"]


def test_a_wrong_token_signs_nobody_in(app: Flask) -> None:
    client = app.test_client()
    client.post("/api/session", json={"email": ADA}, buffered=True)
    _, token = emailed_link(app, ADA)
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/account/sign-in/{wrong}").status_code == 404
    assert client.post("/api/session", json={"token": wrong}).status_code == 401
    assert client.get("/api/me").status_code == 401


def test_the_button_needs_the_pages_form_token(app: Flask) -> None:
    """Another site cannot post a link of its own into a visitor's browser and sign them in as someone else."""
    client = app.test_client()
    client.post("/api/session", json={"email": ADA}, buffered=True)
    _, token = emailed_link(app, ADA)
    assert client.post(f"/account/sign-in/{token}", data={}).status_code == 303
    assert client.get("/api/me").status_code == 401
    assert "Sign in</button>" in client.get(f"/account/sign-in/{token}").get_data(as_text=True), "the link was not used"


def test_the_answer_is_the_same_and_is_sent_before_the_address_is_looked_up(app: Flask) -> None:
    """No enumeration: the same answer for a known and an unknown address, and no database work before it
    leaves (its timing cannot depend on the address); only the known address gets a mail."""
    statements: list[str] = []
    engine = services(app).sessions().kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    answers = {}
    for email in (ADA, "nobody@example.org"):
        client = app.test_client()
        statements.clear()
        response = client.post("/api/session", json={"email": email}, buffered=False)
        answers[email] = (response.status_code, response.get_json()["message"].replace(email, "EMAIL"))
        assert statements == [], "nothing is looked up before the answer is complete"
        response.close()
        assert statements, "the look-up happens once the answer has gone"
    assert answers[ADA] == answers["nobody@example.org"] == (202, answers[ADA][1])
    assert len(sign_in_mails(app, ADA)) == 1 and sign_in_mails(app, "nobody@example.org") == []


def test_staff_sign_in_the_same_way(app: Flask) -> None:
    add_staff(app, "grace@desk.example.com", ["ledger", "rota"], admin=True)
    client = app.test_client()
    sign_in(client, app, "Grace@Desk.Example.com")
    me = client.get("/api/me").get_json()
    assert me["staff"] == {"boards": ["ledger", "rota"], "admin": True} and me["organisation"] is None


def test_the_session_lasts_a_fixed_time_and_signing_out_ends_it(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, app, ADA)
    services(app).clock = lambda: utc_now() + timedelta(hours=11, minutes=59)
    assert client.get("/api/me").status_code == 200
    services(app).clock = lambda: utc_now() + timedelta(hours=12, minutes=1)
    assert client.get("/api/me").status_code == 401
    services(app).clock = utc_now

    sign_in(client, app, ADA)
    assert client.delete("/api/session").status_code == 204
    assert client.get("/api/me").get_json()["error"]["code"] == "not_signed_in"

    sign_in(client, app, ADA)
    token = TOKEN.search(client.get("/account/tickets").get_data(as_text=True)).group(1)
    signed_out = client.post("/account/sign-out", data={"csrf_token": token}, follow_redirects=True)
    assert "You are signed out" in signed_out.get_data(as_text=True)
    assert client.get("/account/tickets").status_code == 303


def test_a_page_asks_to_sign_in_first_and_returns_after(app: Flask) -> None:
    client = app.test_client()
    sent = client.get("/account/tickets/KB-0000001-8")
    assert sent.status_code == 303 and sent.headers["Location"] == "/account/sign-in?next=/account/tickets/KB-0000001-8"
    token = page_token(client, sent.headers["Location"])
    client.post("/account/sign-in", data={"email": ADA, "next": "/account/tickets/KB-0000001-8", "csrf_token": token},
                buffered=True)
    link, token = emailed_link(app, ADA)
    assert link.endswith("?next=/account/tickets/KB-0000001-8")
    page = client.get(link.removeprefix("https://help.example.com")).get_data(as_text=True)
    pressed = client.post(f"/account/sign-in/{token}", data={"next": "/account/tickets/KB-0000001-8",
                                                             "csrf_token": TOKEN.search(page).group(1)})
    assert pressed.headers["Location"] == "/account/tickets/KB-0000001-8"


@pytest.mark.parametrize("elsewhere", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_after_signing_in_the_visitor_stays_on_the_help_centre(app: Flask, elsewhere: str) -> None:
    client = app.test_client()
    client.post("/api/session", json={"email": ADA}, buffered=True)
    _, token = emailed_link(app, ADA)
    page = client.get(f"/account/sign-in/{token}").get_data(as_text=True)
    pressed = client.post(f"/account/sign-in/{token}", data={"next": elsewhere, "csrf_token": TOKEN.search(page).group(1)})
    assert pressed.headers["Location"] == "/account/tickets"


def test_links_are_rate_limited_per_address_and_per_client(built_kb: Path, database_file: str, tmp_path: Path) -> None:
    app = bridge_app(built_kb, database_file, tmp_path, KB_SIGN_IN_ADDRESS_RATE_LIMIT="2/hour",
                     KB_SIGN_IN_CLIENT_RATE_LIMIT="4/hour")
    try:
        client = app.test_client()
        codes = [client.post("/api/session", json={"email": "ada@example.org"}, buffered=True).status_code for _ in range(3)]
        assert codes == [202, 202, 429], "per address"
        codes = [client.post("/api/session", json={"email": f"person{n}@example.org"}, buffered=True).status_code for n in range(3)]
        assert codes == [202, 202, 429], "per client: four links in all"
        other_client = app.test_client()
        refused = other_client.post("/api/session", json={"email": "ada@example.org"},
                                    environ_overrides={"REMOTE_ADDR": "192.0.2.9"})
        assert refused.status_code == 429, "the address's limit holds from any client"
        page = ask_for_link(app.test_client(), "ada@example.org")
        assert page.status_code == 429 and "Too many requests" in page.get_data(as_text=True)
    finally:
        close_app(app)


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"email": "not an address"}, 400, "email"), ({}, 400, "email"), ({"email": 7}, 400, "email")])
def test_a_bad_request_for_a_link_names_the_field(app: Flask, body: dict, status: int, field: str) -> None:
    response = app.test_client().post("/api/session", json=body)
    assert response.status_code == status and field in response.get_json()["error"]["fields"]


def test_json_writes_need_a_json_content_type(app: Flask) -> None:
    """A cross-site form can send a cookie-less text/plain POST but never application/json without a preflight."""
    response = app.test_client().post("/api/session", data='{"email": "ada@example.org"}', content_type="text/plain")
    assert response.status_code == 415 and sign_in_mails(app, ADA) == []


def test_production_cookies_are_secure(built_kb: Path, database_file: str, tmp_path: Path) -> None:
    app = bridge_app(built_kb, database_file, tmp_path, KB_ENV="production", KB_SECRET_KEY="s" * 40)
    try:
        add_organisation(app, "acme", ["ledger"], [(ADA, ["ledger"], True)])
        client = app.test_client()
        client.post("/api/session", json={"email": ADA}, buffered=True)
        _, token = emailed_link(app, ADA)
        assert "Secure" in client.post("/api/session", json={"token": token}).headers["Set-Cookie"]
    finally:
        close_app(app)
