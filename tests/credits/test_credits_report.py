"""`kb report` and /desk/report count credits charged per category and the quotes for work outside the agreement."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bridge.cli import main
from tests.credits.ledger_fixtures import CREDITS_POLICY
from tests.credits.web_fixtures import ADA, LED, credits_bridge, raise_ticket
from tests.portal.portal_fixtures import signed_in
from tests.ticket_web_fixtures import close_app


def test_the_figures_count_credits_by_category_and_quotes(built_kb: Path, database_file: str, tmp_path: Path) -> None:
    app = credits_bridge(built_kb, database_file, tmp_path)
    try:
        ada, led = signed_in(app, ADA), signed_in(app, LED)
        for category in ("standard", "standard", "explanation"):
            assert led.post(f"/api/tickets/{raise_ticket(ada)}/assessment", json={"category": category}).status_code == 200
        refunded = raise_ticket(ada)
        for category in ("investigation", "software_error"):
            led.post(f"/api/tickets/{refunded}/assessment", json={"category": category})
        quoted = raise_ticket(ada, request_type="new_requirement")
        assert led.post(f"/api/tickets/{quoted}/quote",
                        json={"cost": 900, "currency": "USD", "timescale": "a month"}).status_code == 200
        page = led.get("/desk/report").get_data(as_text=True)
        assert 'id="kb-report-credits-table"' in page and 'id="kb-report-quotes-table"' in page
    finally:
        close_app(app)
    result = CliRunner().invoke(main, ["report", "--format", "json"],
                                env={"KB_DATABASE_URL": database_file, "KB_SUPPORT_POLICY": str(CREDITS_POLICY)})
    figures = json.loads(result.output)
    assert figures["credits_by_category"] == {"explanation": 5, "standard": 20, "software_error": 0}
    assert figures["quotes"] == {"new_requirement": {"offered": 1, "accepted": 0, "declined": 0}}
