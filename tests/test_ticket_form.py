"""The contact form as a browser without JavaScript uses it: plain GETs and POSTs through the Flask test client."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bridge.app import create_app
from bridge.settings import SettingsError
from bridge.tickets.models import Deflection, Ticket
from bridge.web import csrf
from bridge.web.context import services
from bridge.web.shell import CONTENT, HEAD, TITLE
from bridge.web.tickets import AUTOMATED, EXPIRED
from tests.ticket_web_fixtures import (  # noqa: F401 (fixtures)
    FRIDAY_EVENING,
    form_token,
    make_app,
    set_clock,
    ticket_app,
)

FILLED = {"email": "ada@example.org", "name": "Ada Lovelace", "product": "ledger", "subject": "invoice export",
          "description": "The export button does nothing.", "request_type": "technical", "priority": "critical"}


@pytest.fixture
def client(ticket_app):
    return ticket_app.test_client()


def page_of(response) -> str:
    return response.get_data(as_text=True)


def send(client, fields: dict[str, str], **extra: str):
    """Post the form as a browser would, with the token of a freshly loaded form."""
    return client.post("/tickets/new", data={"csrf_token": form_token(client), **fields, **extra})


def tickets_in(app) -> list[Ticket]:
    with services(app).sessions()() as session:
        return list(session.scalars(select(Ticket)))


def field(text: str, name: str) -> str:
    """The opening tag of the form control called name."""
    return re.search(rf'<(?:input|select|textarea)[^>]*\bname="{name}"[^>]*>', text).group(0)


def test_a_search_link_arrives_as_a_form_that_carries_the_query(client) -> None:
    with client.get("/tickets/new?q=xylophone+zeppelin&from=search&reason=none") as moved:
        assert moved.status_code == 302
        location = urlsplit(moved.headers["Location"])
    assert parse_qs(location.query) == {"query": ["xylophone zeppelin"], "from": ["search"], "reason": ["none"]}
    with client.get(f"{location.path}?{location.query}") as response:
        text = page_of(response)
    assert response.status_code == 200
    assert "You searched for <q class=\"kb-context__query\">xylophone zeppelin</q>" in text
    assert 'value="xylophone zeppelin"' in field(text, "subject")
    assert 'type="hidden" name="query" value="xylophone zeppelin"' in text
    assert "One issue per ticket" in text


def test_an_article_link_carries_the_page_and_its_product(client) -> None:
    with client.get("/tickets/new?page=ledger/help-sheets/bank-feed-not-updating/") as response:
        text = page_of(response)
    assert 'You came from <a href="/ledger/help-sheets/bank-feed-not-updating/">' in text
    assert '<option value="ledger" selected>' in text
    with client.get("/tickets/new?page=https://evil.example/") as foreign:
        assert "evil.example" not in page_of(foreign)


def test_the_form_is_in_the_sites_look_with_labelled_fields(client) -> None:
    with client.get("/tickets/new") as response:
        text = page_of(response)
    assert "<title>Contact support - Help Centre</title>" in text
    assert 'class="md-search__input"' in text and "/assets/stylesheets/main." in text
    assert '<a href="#kb-main" class="md-skip">Skip to content</a>' in text and 'id="kb-main"' in text
    assert not any(placeholder in text for placeholder in (TITLE, HEAD, CONTENT))
    for name in ("email", "name", "product", "subject", "description"):
        assert f'<label for="kb-{name}">' in text and f'id="kb-{name}"' in text
    order = ["email", "name", "product", "subject", "description", "request_type-configuration", "priority-critical"]
    positions = [text.index(f'id="kb-{name}"') for name in order]
    assert positions == sorted(positions), "fields in the order they are read and tabbed through"
    critical = "<strong>CRITICAL</strong>: Your business cannot function — answer within 2 business hours"
    assert critical in html.unescape(text)
    assert 'id="kb-request_type-training-coverage">Not covered by your support agreement' in text
    assert re.search(r'<input type="radio" id="kb-priority-standard" name="priority" value="standard" checked>', text)


def test_without_javascript_errors_are_shown_beside_the_fields_with_the_values_kept(ticket_app, client) -> None:
    response = send(client, {**FILLED, "email": "ada.example.org", "description": ""})
    text = page_of(response)
    assert response.status_code == 400
    assert 'role="alert"' in text
    assert text.index('href="#kb-email"') < text.index('href="#kb-description"')
    email = field(text, "email")
    assert 'aria-describedby="kb-email-hint kb-email-error"' in email and 'aria-invalid="true"' in email
    assert 'id="kb-email-error"' in text and "Enter an email address like name@example.com" in text
    assert 'value="ada.example.org"' in email and 'value="Ada Lovelace"' in field(text, "name")
    assert '<option value="ledger" selected>' in text
    assert 'value="technical" checked' in text
    assert "Sending your first invoice" in text, "the server suggests articles when no script did"
    assert tickets_in(ticket_app) == []


def test_a_sent_form_redirects_to_a_confirmation_with_reference_and_target(ticket_app, client) -> None:
    set_clock(ticket_app, FRIDAY_EVENING)
    response = send(client, FILLED, query="invoice export", page="ledger/")
    assert response.status_code == 303
    [ticket] = tickets_in(ticket_app)
    assert urlsplit(response.headers["Location"]).path == f"/tickets/{ticket.reference}/submitted"
    with client.get(response.headers["Location"]) as confirmation:
        text = html.unescape(page_of(confirmation))
    assert confirmation.status_code == 200
    assert f'<p class="kb-reference__number" id="kb-reference">{ticket.reference}</p>' in text
    assert "Please quote it when you call or write to us." in text
    assert "We will respond within 2 business hours, by Monday 23 November, 10:00 UK time." in text
    assert "not covered" not in text
    assert (ticket.query, ticket.page, ticket.covered) == ("invoice export", "ledger/", True)
    assert ticket.suggested_articles[0]["title"] == "Sending your first invoice"


def test_the_articles_the_page_showed_are_stored_with_our_titles(ticket_app, client) -> None:
    shown = '[{"title": "Credits", "url": "support/help-sheets/credits/"}, {"title": "Gone", "url": "support/gone/"}]'
    assert send(client, FILLED, suggested_articles=shown).status_code == 303
    assert [ticket.suggested_articles for ticket in tickets_in(ticket_app)] == [
        [{"title": "Support credits", "url": "support/help-sheets/credits/"}]]


def test_a_request_type_outside_the_agreement_is_flagged_and_explained(ticket_app, client) -> None:
    response = send(client, {**FILLED, "request_type": "installation"})
    with client.get(response.headers["Location"]) as confirmation:
        text = page_of(confirmation)
    assert "Installation is not covered by your support agreement" in text
    assert "our professional services team, who will contact you with a quote" in text
    assert [ticket.covered for ticket in tickets_in(ticket_app)] == [False]


def test_a_post_without_a_valid_token_is_refused_and_nothing_is_stored(ticket_app, client, monkeypatch) -> None:
    without = client.post("/tickets/new", data=FILLED)
    assert without.status_code == 400 and html.escape(EXPIRED, quote=False) in page_of(without)
    assert 'value="Ada Lovelace"' in field(page_of(without), "name"), "the customer's typing is kept"
    other_browser = ticket_app.test_client()
    stolen = client.post("/tickets/new", data={**FILLED, "csrf_token": form_token(other_browser)})
    assert stolen.status_code == 400
    token = form_token(client)
    monkeypatch.setattr(csrf, "FORM_MAX_AGE", timedelta(seconds=-1))
    assert client.post("/tickets/new", data={**FILLED, "csrf_token": token}).status_code == 400
    assert tickets_in(ticket_app) == []


def test_a_filled_honeypot_is_refused(ticket_app, client) -> None:
    response = send(client, FILLED, website="http://spam.example")
    assert response.status_code == 400 and AUTOMATED in page_of(response)
    assert tickets_in(ticket_app) == []


def test_the_confirmation_needs_its_signed_link(ticket_app, client) -> None:
    first = send(client, FILLED).headers["Location"]
    second = send(client, FILLED).headers["Location"]
    [one, two] = [ticket.reference for ticket in tickets_in(ticket_app)]
    assert client.get(f"/tickets/{one}/submitted").status_code == 404
    other_token = parse_qs(urlsplit(second).query)["token"][0]
    with client.get(f"/tickets/{one}/submitted?token={other_token}") as swapped:
        assert swapped.status_code == 404 and "This link has expired" in page_of(swapped)
    assert client.get(first).status_code == 200 and two in second


def test_this_solved_it_records_a_deflection_and_raises_no_ticket(ticket_app, client) -> None:
    data = {"csrf_token": form_token(client), "subject": "invoice", "query": "send invoice", "page": "",
            "solved_url": "ledger/quick-starts/your-first-invoice/#send"}
    response = client.post("/tickets/solved", data=data)
    assert (response.status_code, response.headers["Location"]) == (303, "/tickets/solved")
    with client.get("/tickets/solved") as thanks:
        assert "Glad that helped" in page_of(thanks) and "No ticket was raised" in page_of(thanks)
    with services(ticket_app).sessions()() as session:
        [deflection] = session.scalars(select(Deflection))
    assert (deflection.article_url, deflection.subject, deflection.query, deflection.page) == \
        ("ledger/quick-starts/your-first-invoice/#send", "invoice", "send invoice", None)
    assert tickets_in(ticket_app) == []
    foreign = client.post("/tickets/solved", data={**data, "csrf_token": form_token(client), "solved_url": "https://x.example"})
    assert foreign.status_code == 400


def test_the_form_is_rate_limited_with_a_page_in_the_sites_look(make_app) -> None:
    client = make_app(KB_TICKET_RATE_LIMIT="1/minute").test_client()
    assert send(client, FILLED).status_code == 303
    limited = send(client, FILLED)
    assert limited.status_code == 429
    assert "Too many requests" in page_of(limited) and 'class="md-search__input"' in page_of(limited)


def test_without_a_built_shell_the_pages_are_plain_but_complete(make_app, tmp_path: Path) -> None:
    (tmp_path / "bare" / "site").mkdir(parents=True)
    client = make_app(KB_BUILD_DIR=str(tmp_path / "bare")).test_client()
    with client.get("/tickets/new") as response:
        text = page_of(response)
    assert response.status_code == 200
    assert "<title>Contact support</title>" in text and 'name="email"' in text and "md-search" not in text


def test_production_refuses_to_start_without_a_secret_key(built_kb: Path) -> None:
    with pytest.raises(SettingsError, match="KB_ENV=production needs KB_SECRET_KEY"):
        create_app({"KB_BUILD_DIR": str(built_kb), "KB_ENV": "production"})
    app = create_app({"KB_BUILD_DIR": str(built_kb), "KB_ENV": "production", "KB_SECRET_KEY": "s" * 32})
    assert app.secret_key == "s" * 32 and app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(("setting", "value"), [("KB_SMTP_URL", "smtps://mail.example"),
                                                ("KB_TICKET_RATE_LIMIT", "lots"), ("KB_ENV", "staging")])
def test_a_setting_the_bridge_cannot_use_stops_it_with_the_settings_name(built_kb: Path, setting: str, value: str) -> None:
    with pytest.raises(SettingsError, match=setting):
        create_app({"KB_BUILD_DIR": str(built_kb), setting: value})


def test_development_workers_share_one_key_made_once(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "secret-key"
    first = csrf.secret_key("development", None, key_file)
    assert csrf.secret_key("development", None, key_file) == first and len(first) >= 32
    assert key_file.stat().st_mode & 0o077 == 0
