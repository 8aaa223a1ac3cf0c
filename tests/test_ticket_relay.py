"""The contact form is not a mail relay: what our mail says comes from our index, each mailbox and each
client may be mailed only so often, refused posts cost nothing, and behind a proxy the real client counts."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bridge.app import create_app
from bridge.notify.compose import parse_mail
from bridge.settings import SettingsError
from bridge.notify.models import OutboxMessage
from bridge.web.context import services
from tests.ticket_web_fixtures import form_token, make_app, valid_ticket  # noqa: F401 (fixtures)

BANK_FEED = "ledger/help-sheets/bank-feed-not-updating/#how-do-i-reconnect-my-bank"


def post(app, body: dict, address: str = "192.0.2.1", **headers: str) -> int:
    with app.test_client().post("/api/tickets", json=body, headers=headers,
                                environ_base={"REMOTE_ADDR": address}) as response:
        return response.status_code


def test_titles_and_links_in_the_mail_come_from_our_index_not_the_client(make_app) -> None:
    app = make_app()
    shown = [
        {"title": "PAY NOW at evil.example", "url": BANK_FEED},
        {"title": "Free money", "url": "ledger/help-sheets/bank-feed-not-updating/#no-such-section"},
        {"title": "Unknown", "url": "ledger/help-sheets/not-an-article/"},
        {"title": "Again", "url": BANK_FEED},
        {"title": "Home", "url": "#browse-by-product"},
    ]

    with app.test_client().post("/api/tickets", json=valid_ticket(suggested_articles=shown)) as response:
        body = response.get_json()

    assert body["suggested_articles"] == [
        {"title": "Bank feed not updating", "url": BANK_FEED},
        {"title": "Bank feed not updating", "url": "ledger/help-sheets/bank-feed-not-updating/"},
        {"title": "Help centre", "url": "#browse-by-product"},
    ]
    with services(app).sessions()() as session:
        [mail] = session.scalars(select(OutboxMessage))
    message = parse_mail(mail.message)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Bank feed not updating" in part
        assert "PAY NOW" not in part and "Free money" not in part and "not-an-article" not in part


def test_each_mailbox_may_be_sent_only_so_many_tickets_whoever_sends_them(make_app) -> None:
    app = make_app(KB_TICKET_RECIPIENT_RATE_LIMIT="2/hour")
    addresses = ["ada@example.org", "ADA+invoices@Example.ORG", "ada@example.org"]

    statuses = [post(app, valid_ticket(email=email), address=f"192.0.2.{n}") for n, email in enumerate(addresses)]

    assert statuses == [201, 201, 429]
    with app.test_client().post("/api/tickets", json=valid_ticket(), environ_base={"REMOTE_ADDR": "192.0.2.9"}) as limited:
        assert "email address" in limited.get_json()["error"]["message"]
    assert post(app, valid_ticket(email="grace@example.org"), address="192.0.2.9") == 201


def test_refused_posts_do_not_use_up_the_clients_allowance(make_app) -> None:
    app = make_app(KB_TICKET_RATE_LIMIT="2/minute", KB_TICKET_RECIPIENT_RATE_LIMIT="2/hour")
    refused = [valid_ticket(subject=""), valid_ticket(email="not an address"), valid_ticket(product="nope"),
               valid_ticket(name="=?utf-8?q?x=0D=0ABcc=3A_eve=40evil.example?=")] * 3

    assert {post(app, body) for body in refused} == {400}
    assert [post(app, valid_ticket()) for _ in range(3)] == [201, 201, 429]


def test_a_refused_form_post_does_not_count_either(make_app) -> None:
    client = make_app(KB_TICKET_RATE_LIMIT="1/minute").test_client()
    fields = {"email": "ada@example.org", "name": "Ada", "product": "ledger", "subject": "Export fails",
              "description": "It fails.", "request_type": "technical", "priority": "critical"}
    token = form_token(client)

    for _ in range(3):
        assert client.post("/tickets/new", data={**fields, "csrf_token": "forged"}).status_code == 400
        assert client.post("/tickets/new", data={**fields, "csrf_token": token, "subject": ""}).status_code == 400
    assert client.post("/tickets/new", data={**fields, "csrf_token": token}).status_code == 303
    assert client.post("/tickets/new", data={**fields, "csrf_token": token}).status_code == 429


def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_client(make_app) -> None:
    app = make_app(KB_TICKET_RATE_LIMIT="1/minute", KB_TRUSTED_PROXIES="1")
    proxy = "10.0.0.5"

    first = post(app, valid_ticket(), address=proxy, **{"X-Forwarded-For": "198.51.100.1"})
    again = post(app, valid_ticket(), address=proxy, **{"X-Forwarded-For": "198.51.100.1"})
    other = post(app, valid_ticket(), address=proxy, **{"X-Forwarded-For": "198.51.100.2"})
    # A client cannot pose as another by adding its own X-Forwarded-For in front: the proxy's entry counts.
    forged = post(app, valid_ticket(), address=proxy, **{"X-Forwarded-For": "203.0.113.7, 198.51.100.1"})

    assert (first, again, other, forged) == (201, 429, 201, 429)


def test_without_trusted_proxies_a_forwarded_header_changes_nothing(make_app) -> None:
    app = make_app(KB_TICKET_RATE_LIMIT="1/minute")

    assert post(app, valid_ticket(), **{"X-Forwarded-For": "198.51.100.1"}) == 201
    assert post(app, valid_ticket(), **{"X-Forwarded-For": "198.51.100.2"}) == 429


@pytest.mark.parametrize(("setting", "value"), [("KB_TRUSTED_PROXIES", "two"), ("KB_TRUSTED_PROXIES", "-1"),
                                                ("KB_TICKET_RECIPIENT_RATE_LIMIT", "lots"), ("KB_SMTP_UTF8", "maybe"),
                                                ("KB_MAIL_MAX_ATTEMPTS", "0"), ("KB_MAIL_MAX_ATTEMPTS", "forever")])
def test_a_mail_setting_the_bridge_cannot_use_stops_it_naming_the_setting(built_kb: Path, setting: str,
                                                                           value: str) -> None:
    with pytest.raises(SettingsError, match=setting):
        create_app({"KB_BUILD_DIR": str(built_kb), setting: value})
