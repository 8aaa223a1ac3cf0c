"""`kb tickets show REF` as the desk uses it on the phone, and `kb serve` refusing a configuration it cannot keep."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.settings import PROJECT_ROOT
from bridge.tickets.reference import format_reference
from tests.ticket_web_fixtures import FRIDAY_EVENING, set_clock, ticket_app, valid_ticket  # noqa: F401


def show(database_url: str, reference: str):
    return CliRunner().invoke(main, ["tickets", "show", reference], env={"KB_DATABASE_URL": database_url})


def raise_ticket(app, **changes: object) -> str:
    set_clock(app, FRIDAY_EVENING)
    shown = [{"title": "Credits", "url": "support/help-sheets/credits/"}]
    body = valid_ticket(query="export invoices", page="ledger/", suggested_articles=shown, **changes)
    with app.test_client().post("/api/tickets", json=body) as response:
        return response.get_json()["reference"]


def test_a_ticket_is_shown_with_its_times_in_the_desks_zone(ticket_app, database_file: str) -> None:
    reference = raise_ticket(ticket_app, request_type="training")
    typed = reference.lower().replace("-", " ")
    result = show(database_file, typed)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Reference       {reference}"
    assert "Status          Received (new)" in lines
    assert "Priority        CRITICAL (within 2 business hours)" in lines
    assert "Subject         Invoice export fails" in lines
    assert "From            Ada Lovelace <ada@example.org>" in lines
    assert "Covered         NO: not covered by the support agreement, flagged" in lines
    assert "Acknowledge by  Monday 23 November 2026, 09:00 UK time" in lines
    assert "Respond by      Monday 23 November 2026, 10:00 UK time" in lines
    # Nobody answered, and the command runs long after Monday 23 November: the response target was missed.
    assert {"Responded       -", "Breached        YES: a target was missed", "Assignee        -"} <= set(lines)
    assert "Query           export invoices" in lines and "Page            ledger/" in lines
    assert "  - Support credits: support/help-sheets/credits/" in lines
    assert lines[-2:] == ["  The export button does nothing.", "  I tried twice."]


def test_a_mistyped_check_digit_is_not_a_valid_reference(ticket_app, database_file: str) -> None:
    reference = raise_ticket(ticket_app)
    mistyped = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    result = show(database_file, mistyped)
    assert result.exit_code == 2
    assert "not a valid reference: check digit does not match" in result.output


def test_a_valid_reference_without_a_ticket_is_reported(ticket_app, database_file: str) -> None:
    raise_ticket(ticket_app)
    unknown = format_reference(99, "KB")
    result = show(database_file, unknown)
    assert result.exit_code == 1
    assert f"no ticket {unknown}" in result.output


def serve(built_kb: Path, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge.cli", "serve", "--out", str(built_kb), "--port", "8998"],
                          env={**os.environ, **settings}, capture_output=True, text=True, timeout=60)


def test_serve_stops_on_a_bad_policy_naming_the_file_and_key(built_kb: Path, tmp_path: Path) -> None:
    policy = tmp_path / "support.yml"
    policy.write_text((PROJECT_ROOT / "site_config/support.yml").read_text().replace("target_hours: 2\n", "target_hours: -2\n"))
    result = serve(built_kb, KB_SUPPORT_POLICY=str(policy))
    assert result.returncode == 2
    assert f"kb serve: {policy}: priorities[0].target_hours:" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_in_production_needs_a_secret_key(built_kb: Path) -> None:
    result = serve(built_kb, KB_ENV="production", KB_SECRET_KEY="")
    assert result.returncode == 2
    assert "KB_ENV=production needs KB_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("env", ["prod", "Production", "staging"])
def test_serve_refuses_an_environment_it_does_not_know(built_kb: Path, env: str) -> None:
    result = serve(built_kb, KB_ENV=env)
    assert result.returncode == 2
    assert f"KB_ENV={env!r}" in result.stderr and "development, production" in result.stderr
    assert "Traceback" not in result.stderr
