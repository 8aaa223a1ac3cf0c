"""What used to crash or mislead: bodies nested too deeply, folders without their slash, HEAD logged as a search."""
from __future__ import annotations

import pytest
from flask import Flask

from tests.test_search_log import stored_rows

DEEP_BODIES = {
    "120 KB of [": "[" * 120_000,
    "120 KB of {\"a\":": '{"a":' * 24_000,
    "a field nested 10,000 deep": '{"email": ' + "[" * 10_000 + "]" * 10_000 + "}",
    "well formed, 40 deep": "[" * 40 + "]" * 40,
    "well formed object, 40 deep": '{"a":' * 40 + "1" + "}" * 40,
}


def json_post_routes(app: Flask) -> list[str]:
    """Every API route that takes a POST, with any path parameter filled in."""
    return sorted(rule.rule.replace("<search_id>", "abc123") for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/") and "POST" in (rule.methods or ()))


def test_every_json_route_is_covered(app) -> None:
    assert {"/api/tickets", "/api/feedback", "/api/search-events/abc123/opened"} <= set(json_post_routes(app))


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_a_body_nested_too_deeply_is_a_400_on_every_json_route(app, body: str) -> None:
    client = app.test_client()
    for route in json_post_routes(app):
        response = client.post(route, data=body, content_type="application/json")
        assert response.status_code == 400, (route, response.status_code)
        error = response.get_json()["error"]
        assert error["code"] == "invalid_json" and "nested" in error["message"], route


def test_a_body_of_ordinary_depth_still_reaches_the_route(app) -> None:
    response = app.test_client().post("/api/feedback", json={"page": "x/", "helpful": [[[[True]]]]})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"helpful": "must be true or false"}


@pytest.mark.parametrize("route", ["/api/tickets", "/api/feedback", "/api/search-events/abc123/opened"])
def test_every_json_route_refuses_other_media_types_and_broken_json_alike(client, route: str) -> None:
    as_form = client.post(route, data={"page": "x/"})
    assert (as_form.status_code, as_form.get_json()["error"]["code"]) == (415, "unsupported_media_type")
    broken = client.post(route, data='{"page": ', content_type="application/json")
    assert (broken.status_code, broken.get_json()["error"]["code"]) == (400, "invalid_json")
    not_utf8 = client.post(route, data=b'{"page": "\xff"}', content_type="application/json")
    assert (not_utf8.status_code, not_utf8.get_json()["error"]["code"]) == (400, "invalid_json")


@pytest.mark.parametrize(("asked", "sent_to"), [
    ("/ledger/help-sheets/bank-feed-not-updating", "/ledger/help-sheets/bank-feed-not-updating/"),
    ("/ledger", "/ledger/"),
    ("/ledger/help-sheets/bank-feed-not-updating?q=feed&sid=1", "/ledger/help-sheets/bank-feed-not-updating/?q=feed&sid=1"),
    ("/ledger/./help-sheets/bank-feed-not-updating", "/ledger/help-sheets/bank-feed-not-updating/"),
])
def test_a_folder_without_its_slash_redirects_to_it(client, asked: str, sent_to: str) -> None:
    response = client.get(asked)
    assert response.status_code == 308
    assert response.headers["Location"] == sent_to
    with client.get(sent_to) as page:
        assert page.status_code == 200 and b"<title>" in page.data


@pytest.mark.parametrize("asked", ["/ledger/help-sheets", "//etc", "//tmp", "///evil.example/x", "/\\evil.example",
                                   "/..%2f..%2fetc", "/ledger/../../../etc", "/%2fetc", "//ledger/help-sheets/bank-feed-not-updating"])
def test_no_folder_without_a_page_nor_an_address_outside_the_site_is_redirected_to_or_served(client, asked: str) -> None:
    # Sent as the raw request path: the test client would read "//etc" as a host name.
    with client.get("/", environ_overrides={"PATH_INFO": asked}) as response:
        location = response.headers.get("Location", "")
        assert response.status_code == 404 or (location[:1] == "/" and location[1:2] not in ("/", "\\")), location
        assert b"root:" not in response.data


def test_a_page_and_an_asset_are_served_as_before(client) -> None:
    for path in ("/ledger/help-sheets/bank-feed-not-updating/", "/", "/assets/javascripts/kb-search.js"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert ("javascript" if path.endswith(".js") else "text/html") in response.content_type
    with client.get("/ledger/help-sheets/no-such-sheet/") as missing:
        assert missing.status_code == 404 and b"<html" in missing.data.lower()


def test_head_of_a_search_answers_but_is_not_logged(app, client) -> None:
    head = client.head("/api/search", query_string={"q": "bank feed"})
    assert head.status_code == 200 and head.data == b""
    client.head("/api/search", query_string={"q": "vat rates"}, headers={"X-KB-Visit": "v1"})
    assert stored_rows(app, "search_events") == []
    client.get("/api/search", query_string={"q": "bank feed"})
    assert [row["query"] for row in stored_rows(app, "search_events")] == ["bank feed"]
