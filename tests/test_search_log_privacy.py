"""The writers' report cannot be poisoned: no terminal escapes, no spreadsheet formulas, no phone numbers or addresses."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from bridge.cli import main
from bridge.searchlog.redact import printable, redact_query, spreadsheet_safe
from bridge.web.context import services
from tests.test_search_log import searched, stored_rows


@pytest.mark.parametrize(("typed", "kept"), [
    ("call me on 020 7946 0958", "call me on [phone]"),
    ("+44 20 7946 0958 sync", "[phone] sync"),
    ("07911 123456", "[phone]"),
    ("02079460958", "[phone]"),
    ("0033 1 23 45 67 89 export", "[phone] export"),
    ("+1 (212) 736-5000", "[phone]"),
    ("tel:+442079460958", "tel:[phone]"),
    ("jane@example.com or 07911 123456", "[email] or [phone]"),
    ("12 acacia avenue", "[address]"),
    ("flat 3, 221b baker st, london nw1 6xe", "flat 3, [address], london [address]"),
    ("postcode sw1a 1aa not accepted", "postcode [address] not accepted"),
])
def test_personal_data_is_masked(typed: str, kept: str) -> None:
    assert redact_query(typed, region="GB") == kept


@pytest.mark.parametrize("question", [
    "error 0x80070005", "error 80070005 after update", "update 2024-01-15 failed", "version 16.0.17928.20114",
    "kb5034441 will not install", "-2147467259", "order 12345678 missing", "import 100 invoices this way",
    "sync 2 google drive folders", "sw1a office closed", "windows 11 start menu", "top 10 vat questions",
])
def test_what_only_looks_like_personal_data_is_kept(question: str) -> None:
    assert redact_query(question, region="GB") == question


def test_a_number_is_read_for_the_desks_country() -> None:
    assert redact_query("(212) 736-5000", region="US") == "[phone]"
    assert redact_query("(212) 736-5000", region="GB") == "(212) 736-5000", "a US number in a UK desk needs +1"


@pytest.mark.parametrize("raw", [
    "\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07title", "\x9b31mcsi", "bell\x07", "back\x08space", "\u202eevil\u202c",
    "zero\u200bwidth", "line\u2028break", "del\x7f", "nul\x00",
])
def test_control_and_format_characters_are_removed(raw: str) -> None:
    cleaned = redact_query(raw, region="GB")
    assert cleaned.isprintable() and cleaned
    assert printable(raw) == cleaned


@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "\uff1dHYPERLINK(\"x\")",
                                  "=cmd|' /c calc'!A0"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert spreadsheet_safe(cell) == f"'{cell}"


def test_ordinary_cells_are_left_alone() -> None:
    assert [spreadsheet_safe(value) for value in ("vat", "a=b", 3, "'quoted")] == ["vat", "a=b", 3, "'quoted"]


def test_the_search_box_stores_no_phone_number_address_or_escape(app, client) -> None:
    searched(client, "ring 020 7946 0958 about 12 Acacia Avenue \x1b[2J")
    searched(client, "=HYPERLINK(\"http://evil.example\",\"click\")")
    queries = sorted(row["query"] for row in stored_rows(app, "search_events"))
    assert queries == ["=hyperlink(\"http://evil.example\",\"click\")", "ring [phone] about [address] [2j"]


def test_kb_gaps_prints_no_escape_and_exports_no_formula(app, client, monkeypatch) -> None:
    for query in ("=1+cmd|' /c calc'!A0", "-2+3 zeppelin", "@sum zeppelin", "legacy entry"):
        searched(client, query)
    stored_rows(app, "search_events")
    # An entry stored before the log cleaned queries: a terminal hyperlink escape around the text.
    engine = create_engine(services(app).settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE search_events SET query = :query WHERE query = 'legacy entry'"),
                           {"query": "\x1b]8;;http://evil.example\x07legacy\x1b]8;;\x07 \x1b[2Jentry"})
    engine.dispose()
    monkeypatch.setenv("KB_DATABASE_URL", services(app).settings.database_url)
    runner = CliRunner()

    table = runner.invoke(main, ["gaps"]).output
    assert "\x1b" not in table and "\x07" not in table
    assert "]8;;http://evil.examplelegacy]8;; [2Jentry" in table

    rows = json.loads(runner.invoke(main, ["gaps", "--format", "json"]).output)
    assert all(row["query"].isprintable() for row in rows)

    exported = runner.invoke(main, ["gaps", "--format", "csv"]).output
    queries = sorted(row["query"] for row in csv.DictReader(io.StringIO(exported)))
    assert queries == ["'-2+3 zeppelin", "'=1+cmd|' /c calc'!a0", "'@sum zeppelin", "]8;;http://evil.examplelegacy]8;; [2Jentry"]
    assert not any(line.startswith(("=", "+", "-", "@")) for line in exported.splitlines())
