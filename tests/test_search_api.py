"""The search API contract, answered from the built sample kb/ through the Flask test client."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bridge.app import create_app


def search(client, **params):
    response = client.get("/api/search", query_string=params)
    return response.status_code, response.get_json()


def test_response_time_finds_the_priorities_help_sheet_first(client) -> None:
    status, body = search(client, q="response time")
    assert status == 200
    assert body["query"] == "response time"
    first = body["results"][0]
    assert first["title"] == "Priorities and response targets"
    assert first["url"].startswith("support/help-sheets/priorities-and-response-targets/#")
    assert first["product"] == "support" and first["type"] == "help-sheet"
    assert body["total"] >= len(body["results"])


def test_results_are_one_per_article_with_an_anchor_and_a_marked_snippet(client) -> None:
    status, body = search(client, q="priority", limit=10)
    assert status == 200
    articles = [result["url"].split("#")[0] for result in body["results"]]
    assert len(articles) == len(set(articles)) > 1
    assert all("#" in result["url"] for result in body["results"])
    assert any("<mark>" in result["snippet"] for result in body["results"])
    assert set(body["results"][0]) == {"title", "url", "section", "snippet", "score", "product", "type"}


def test_snippets_are_html_escaped(client) -> None:
    status, body = search(client, q="bank feed")
    assert status == 200
    snippet_without_marks = body["results"][0]["snippet"].replace("<mark>", "").replace("</mark>", "")
    assert "<" not in snippet_without_marks


def test_limit_and_product_filter(client) -> None:
    status, body = search(client, q="support", limit=2)
    assert status == 200 and len(body["results"]) == 2
    status, body = search(client, q="reminder", product="rota")
    assert status == 200 and body["results"]
    assert {result["product"] for result in body["results"]} == {"rota"}


def test_misspelt_words_get_a_suggestion(client) -> None:
    status, body = search(client, q="invoise")
    assert status == 200
    assert body["suggestion"] == "invoice"


def test_nonsense_finds_nothing(client) -> None:
    status, body = search(client, q="xylophone zeppelin")
    assert status == 200
    assert body["total"] == 0 and body["results"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "invalid_query"),
        ({"q": "   "}, "invalid_query"),
        ({"q": "x" * 257}, "invalid_query"),
        ({"q": "vat", "limit": "0"}, "invalid_limit"),
        ({"q": "vat", "limit": "many"}, "invalid_limit"),
        ({"q": "vat", "limit": "51"}, "invalid_limit"),
        ({"q": "vat", "product": "payroll"}, "unknown_product"),
    ],
)
def test_bad_parameters_get_400_with_a_code_and_message(client, params: dict, code: str) -> None:
    status, body = search(client, **params)
    assert status == 400
    assert body["error"]["code"] == code and body["error"]["message"]


def test_health_reports_the_index(client) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    index = response.get_json()["index"]
    assert index["articles"] == len(list((Path(__file__).parent.parent / "kb").rglob("*.md")))
    assert index["documents"] > index["articles"]
    assert datetime.fromisoformat(index["built_at"]).tzinfo is not None


def test_health_names_the_generation_not_where_the_server_keeps_it(client, built_kb: Path) -> None:
    body = client.get("/api/health").get_data(as_text=True)
    index = json.loads(body)["index"]
    assert index["generation"] == (built_kb / "index" / "current").resolve().name
    assert index["generation"].startswith("gen-")
    assert "path" not in index
    assert str(built_kb) not in body and "/tmp" not in body and "\\" not in body


def test_without_an_index_search_and_health_say_503_and_how_to_build(tmp_path: Path, caplog) -> None:
    client = create_app({"KB_BUILD_DIR": str(tmp_path)}).test_client()
    health = client.get("/api/health")
    assert health.status_code == 503
    assert "kb build" in health.get_json()["error"]
    response = client.get("/api/search?q=vat")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_unavailable"
    for answer in (health, response):
        assert str(tmp_path) not in answer.get_data(as_text=True), "the public is not told the server's folders"
    assert str(tmp_path / "index") in caplog.text, "the operator finds the full reason in the log"


def test_unknown_api_route_answers_json_404(client) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
