"""Security headers on every response, and the `page` a client sends never shown as a link to another site."""
from __future__ import annotations

import base64
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.ticket_web_fixtures import form_token, ticket_app, valid_ticket  # noqa: F401 (fixtures)

EVERY_KIND = [
    ("GET", "/"), ("GET", "/ledger/help-sheets/bank-feed-not-updating/"), ("GET", "/ledger/help-sheets/bank-feed-not-updating"),
    ("GET", "/assets/javascripts/kb-search.js"), ("GET", "/no-such-page/"), ("GET", "/api/search?q=vat"),
    ("GET", "/api/search?q="), ("GET", "/api/health"), ("GET", "/api/nothing-here"), ("DELETE", "/api/search"),
    ("GET", "/api/openapi.json"), ("GET", "/tickets/new"), ("POST", "/tickets/new"), ("POST", "/api/tickets"),
    ("GET", "/tickets/KB-0000001-0/submitted"), ("GET", "/tickets/static/tickets.js"),
]
PRIVATE = {"/tickets/new", "/api/tickets", "/tickets/KB-0000001-0/submitted"}


class _Scripts(HTMLParser):
    """Inline scripts as a browser reads them, to check the policy against (independently of the bridge's own parser)."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type", "text/javascript") == "text/javascript":
            self._open = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.inline.append("".join(self._open))
            self._open = None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value for name, value in attrs if name in ("href", "action") and value is not None]


def script_hashes(html: str) -> set[str]:
    parser = _Scripts()
    parser.feed(html)
    return {f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'" for text in parser.inline}


def directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


@pytest.mark.parametrize(("method", "path"), EVERY_KIND, ids=[f"{m} {p}" for m, p in EVERY_KIND])
def test_every_response_carries_the_security_headers(ticket_app, method: str, path: str) -> None:
    with ticket_app.test_client().open(path, method=method) as response:
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        policy = directives(headers["Content-Security-Policy"])
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert policy["default-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert not any(value.startswith("'unsafe") for values in policy.values() for value in values)
        assert ("no-store" in headers.get("Cache-Control", "")) == (path.split("?")[0] in PRIVATE), headers.get("Cache-Control")


@pytest.mark.parametrize("path", ["/", "/ledger/help-sheets/bank-feed-not-updating/", "/support/help-sheets/priorities-and-response-targets/",
                                  "/no-such-page/",
                                  "/tickets/new"])
def test_every_inline_script_of_a_page_is_allowed_and_no_other(client, path: str) -> None:
    with client.get(path) as response:
        html = response.get_data(as_text=True)
        allowed = set(directives(response.headers["Content-Security-Policy"])["script-src"])
    needed = script_hashes(html)
    assert needed, "Material's pages carry inline scripts"
    assert needed <= allowed
    assert "'self'" in allowed and "data:" not in allowed and all(s.startswith(("'self'", "'sha256-")) for s in allowed)


def test_the_build_records_few_inline_scripts(built_kb: Path) -> None:
    recorded = json.loads((built_kb / "site" / "_bridge" / "inline-scripts.json").read_text())
    # One set-up script per page depth, the palette, the tabs and our worker switch: a handful, not one per page.
    assert 3 <= len(recorded) <= 20


def test_no_page_loads_anything_from_another_site(client) -> None:
    with client.get("/ledger/help-sheets/bank-feed-not-updating/") as response:
        html = response.get_data(as_text=True)
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html


OFF_SITE = ["/\\evil.example/x", "\\\\evil.example/x", "//evil.example/x", " //evil.example", "/\t/evil.example",
            "/\\/evil.example", "https://evil.example/", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
            "java\nscript:alert(1)", "data:text/html,<b>x</b>", "\x00//evil.example"]


THEME_CREDIT = "squidfunk.github.io"  # the footer's "Made with Material for MkDocs"


def assert_every_link_stays_on_the_site(html: str) -> None:
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        # A browser drops tabs and newlines from a URL and reads a backslash as a slash.
        browser_reads = href.replace("\t", "").replace("\n", "").replace("\\", "/").strip()
        resolved = urlsplit(urljoin("http://help.example/tickets/new", browser_reads))
        if resolved.netloc == THEME_CREDIT:
            continue
        assert (resolved.scheme, resolved.netloc) == ("http", "help.example"), href


@pytest.mark.parametrize("page", OFF_SITE)
def test_a_page_that_is_not_on_the_site_is_never_shown_as_a_link(ticket_app, page: str) -> None:
    client = ticket_app.test_client()
    with client.get("/tickets/new", query_string={"page": page}) as arrived:
        assert_every_link_stays_on_the_site(arrived.get_data(as_text=True))
        assert "You came from" not in arrived.get_data(as_text=True)
    # The token-failure page re-renders what was posted; so do the honeypot and the invalid-field pages.
    for form in ({"csrf_token": "forged"}, {"csrf_token": form_token(client), "website": "bot"},
                 {"csrf_token": form_token(client), "email": "not an address"}):
        with client.post("/tickets/new", data={**form, "page": page, "subject": "x"}) as refused:
            assert refused.status_code == 400
            html = refused.get_data(as_text=True)
            assert_every_link_stays_on_the_site(html)
            assert "You came from" not in html


def test_a_page_on_the_site_is_still_carried_and_shown(ticket_app) -> None:
    client = ticket_app.test_client()
    with client.post("/tickets/new", data={"csrf_token": "forged", "page": "ledger/help-sheets/credits/"}) as refused:
        assert '<a href="/ledger/help-sheets/credits/">' in refused.get_data(as_text=True)


@pytest.mark.parametrize("page", OFF_SITE)
def test_the_api_refuses_a_page_off_the_site_naming_the_field(ticket_app, page: str) -> None:
    client = ticket_app.test_client()
    with client.post("/api/tickets", json=valid_ticket(page=page)) as ticket:
        assert ticket.status_code == 400 and "page" in ticket.get_json()["error"]["fields"]
    with client.post("/api/feedback", json={"page": page, "helpful": True}) as feedback:
        assert feedback.status_code == 400 and "page" in feedback.get_json()["error"]["fields"]
    with client.post("/api/search-events/abc/opened", json={"url": page}) as opened:
        assert opened.status_code == 400 and "url" in opened.get_json()["error"]["fields"]
