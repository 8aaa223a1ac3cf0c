"""The search log: what is recorded (and what never is), and `kb gaps` as a writer reads it."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from bridge.cli import main
from bridge.db import make_engine, make_session_factory, utc_now
from bridge.searchlog.recorder import SearchLog
from bridge.web.context import services


def searched(client, query: str, visit: str | None = None) -> str:
    headers = {"X-Forwarded-For": "203.0.113.9", **({"X-KB-Visit": visit} if visit else {})}
    response = client.get("/api/search", query_string={"q": query}, headers=headers,
                          environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 200
    return response.get_json()["search_id"]


def stored_rows(app, table: str) -> list[dict]:
    services(app).search_log().flush()
    engine = create_engine(services(app).settings.database_url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def test_a_search_is_recorded_without_personal_data(app, client) -> None:
    searched(client, "Response   TIME for jane.doe@example.com")
    [row] = stored_rows(app, "search_events")
    assert row["query"] == "response time for [email]"
    assert row["result_count"] >= 1
    assert json.loads(row["top_results"])[0].startswith("support/help-sheets/priorities-and-response-targets/")
    everything = json.dumps(row, default=str)
    assert "203.0.113.9" not in everything and "198.51.100.7" not in everything and "jane" not in everything


def test_typing_in_one_visit_keeps_only_the_settled_query(app, client) -> None:
    ids = {searched(client, query, visit="v1") for query in ("ban", "bank", "bank feed")}
    searched(client, "vat rates", visit="v1")
    assert len(ids) == 1
    assert sorted(row["query"] for row in stored_rows(app, "search_events")) == ["bank feed", "vat rates"]


def test_opened_results_and_unhelpful_answers_are_recorded(app, client) -> None:
    search_id = searched(client, "bank feed")
    url = "ledger/help-sheets/bank-feed-not-updating/#why-has-my-bank-feed-stopped"
    assert client.post(f"/api/search-events/{search_id}/opened", json={"url": url}).status_code == 204
    response = client.post("/api/feedback", json={"page": "ledger/help-sheets/bank-feed-not-updating/",
                                                  "helpful": False, "search_id": search_id})
    assert response.status_code == 204
    [event] = stored_rows(app, "search_events")
    assert event["opened_url"] == url and event["not_helpful"]
    [feedback] = stored_rows(app, "article_feedback")
    assert feedback["helpful"] in (0, False) and feedback["search_id"] == search_id


def test_feedback_with_bad_fields_is_refused(client) -> None:
    response = client.post("/api/feedback", json={"page": "x/", "helpful": "no"})
    assert response.status_code == 400 and "helpful" in response.get_json()["error"]["fields"]
    assert client.post("/api/feedback", data="not json").status_code == 415


def test_entries_older_than_the_retention_are_purged(database_file: str) -> None:
    engine = make_engine(database_file)
    clock = [utc_now() - timedelta(days=100)]
    log = SearchLog(make_session_factory(engine), retention_days=90, phone_region="GB", clock=lambda: clock[0])
    log.record_search(visit_id=None, query="old question", result_count=0, top_results=[], confident=False)
    log.flush()
    clock[0] = utc_now()
    log.record_search(visit_id=None, query="new question", result_count=0, top_results=[], confident=False)
    log.flush()
    log.purge()
    with engine.connect() as connection:
        assert [row[0] for row in connection.execute(text("SELECT query FROM search_events"))] == ["new question"]
    log.close()
    engine.dispose()


def test_kb_gaps_lists_what_failed_newest_first(app, client, monkeypatch) -> None:
    searched(client, "xylophone zeppelin")
    opened = searched(client, "bank feed")
    client.post(f"/api/search-events/{opened}/opened", json={"url": "ledger/help-sheets/bank-feed-not-updating/"})
    searched(client, "vat")
    searched(client, "xylophone zeppelin")
    stored_rows(app, "search_events")
    monkeypatch.setenv("KB_DATABASE_URL", services(app).settings.database_url)
    runner = CliRunner()

    table = runner.invoke(main, ["gaps", "--days", "7"])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["query", "searches", "no_results", "no_click", "contacted_support", "not_helpful",
                                "last_searched", "flagged_by_board"]
    assert [line.split("  ")[0].strip() for line in lines[1:]] == ["xylophone zeppelin", "vat"]

    rows = json.loads(runner.invoke(main, ["gaps", "--format", "json"]).output)
    assert [row["query"] for row in rows] == ["xylophone zeppelin", "vat"]
    assert (rows[0]["searches"], rows[0]["no_results"], rows[0]["no_click"]) == (2, 2, 2)
    assert (rows[1]["searches"], rows[1]["no_results"], rows[1]["no_click"]) == (1, 0, 1)

    parsed = list(csv.DictReader(io.StringIO(runner.invoke(main, ["gaps", "--format", "csv"]).output)))
    assert [row["query"] for row in parsed] == ["xylophone zeppelin", "vat"]


def test_opening_the_contact_form_from_a_search_marks_it_as_led_to_support(app, client) -> None:
    search_id = searched(client, "xylophone zeppelin")
    with client.get("/tickets/new", query_string={"query": "xylophone zeppelin", "sid": search_id}) as form:
        assert form.status_code == 200
    [event] = stored_rows(app, "search_events")
    assert event["contacted_support"]
