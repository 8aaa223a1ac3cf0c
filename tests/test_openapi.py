"""The OpenAPI document describes the API, and the API keeps to it (schemathesis, bounded and deterministic)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from tests.ticket_web_fixtures import bridge_app, close_app


@pytest.fixture
def api_schema(built_kb: Path, database_file: str, tmp_path: Path) -> Iterator[schemathesis.BaseSchema]:
    """The bridge with its rate limit off (schemathesis sends hundreds of tickets), loaded through its own document."""
    app = bridge_app(built_kb, database_file, tmp_path)
    yield without_cover_requests(schemathesis.openapi.from_wsgi("/api/openapi.json", app))
    close_app(app)


def without_cover_requests(schema: schemathesis.BaseSchema) -> schemathesis.BaseSchema:
    """Leave out tickets asking for out-of-hours cover: whether a time may be asked for depends on the clock (the
    notice) and the office hours, which a schema cannot say (tests/credits/test_quotes.py covers them)."""
    @schema.hook
    def filter_body(context, body) -> bool:
        return not (isinstance(body, dict) and body.get("cover_from") is not None)

    return schema


OPERATIONS = [("/api/search", "GET", mode) for mode in GenerationMode] + [
    ("/api/tickets", "POST", mode) for mode in GenerationMode] + [
    ("/api/health", "GET", GenerationMode.POSITIVE), ("/api/support-policy", "GET", GenerationMode.POSITIVE),
    # Without a session cookie: each answers as documented (401 where signing in is needed).
    ("/api/session", "POST", GenerationMode.POSITIVE), ("/api/me", "GET", GenerationMode.POSITIVE),
    ("/api/tickets", "GET", GenerationMode.POSITIVE), ("/api/tickets/{reference}", "GET", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/messages", "POST", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/follow-up", "POST", GenerationMode.POSITIVE),
    ("/api/credits", "GET", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/assessment", "POST", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/approval", "POST", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}", "PATCH", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/release", "POST", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/split", "POST", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/needs-article", "POST", GenerationMode.POSITIVE),
    ("/api/tickets/{reference}/quote", "POST", GenerationMode.POSITIVE)]


def test_the_document_describes_the_endpoints_with_the_policys_choices(built_kb: Path, database_file: str,
                                                                     tmp_path: Path) -> None:
    app = bridge_app(built_kb, database_file, tmp_path)
    with app.test_client().get("/api/openapi.json") as response:
        document = response.get_json()
    close_app(app)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/api/search", "/api/health", "/api/tickets", "/api/support-policy", "/api/session",
                                      "/api/me", "/api/tickets/{reference}", "/api/tickets/{reference}/messages",
                                      "/api/tickets/{reference}/close", "/api/credits",
                                      "/api/tickets/{reference}/assessment", "/api/tickets/{reference}/approval",
                                      "/api/tickets/{reference}/release", "/api/tickets/{reference}/split",
                                      "/api/tickets/{reference}/needs-article", "/api/tickets/{reference}/follow-up",
                                      "/api/tickets/{reference}/quote"}
    new_ticket = document["components"]["schemas"]["NewTicket"]
    assert new_ticket["properties"]["product"]["enum"] == ["support", "ledger", "rota"]
    assert new_ticket["properties"]["subject"]["maxLength"] == 200
    assert set(document["paths"]["/api/tickets"]["post"]["responses"]) == {"201", "400", "413", "415", "422", "429"}


@pytest.mark.parametrize(("path", "method", "mode"), OPERATIONS, ids=[f"{m} {p} {g.value}" for p, m, g in OPERATIONS])
def test_the_api_keeps_to_its_document(api_schema, path: str, method: str, mode: GenerationMode) -> None:
    """Valid data is accepted, invalid data refused with 4xx, every answer as documented, never a 500."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=50, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def keeps_to_the_document(case) -> None:
        if mode is GenerationMode.POSITIVE and "Idempotency-Key" in (case.headers or {}):
            # A client sends a new key per ticket; a key reused for another body is refused (422) by design.
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        case.call_and_validate()

    keeps_to_the_document()
