"""On the credits desk the document asks for credit_consent and publishes the credits, and the API keeps to it."""
from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from tests.credits.ledger_fixtures import CREDITS_POLICY
from tests.test_openapi import without_cover_requests
from tests.ticket_web_fixtures import bridge_app, close_app


def test_the_credits_desk_document_and_its_tickets(built_kb: Path, database_file: str, tmp_path: Path) -> None:
    app = bridge_app(built_kb, database_file, tmp_path, KB_SUPPORT_POLICY=str(CREDITS_POLICY))
    try:
        document = app.test_client().get("/api/openapi.json").get_json()
        new_ticket = document["components"]["schemas"]["NewTicket"]
        assert new_ticket["properties"]["credit_consent"]["enum"] == ["agree", "quote_first"]
        assert "credit_consent" in new_ticket["required"]
        schema = without_cover_requests(schemathesis.openapi.from_wsgi("/api/openapi.json", app))
        for path, method in (("/api/tickets", "POST"), ("/api/support-policy", "GET")):
            operation = schema[path][method]

            @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
            @settings(max_examples=30, derandomize=True, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
            def keeps_to_the_document(case) -> None:
                case.headers = {key: value for key, value in (case.headers or {}).items() if key != "Idempotency-Key"}
                case.call_and_validate()

            keeps_to_the_document()
    finally:
        close_app(app)
