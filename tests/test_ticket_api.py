"""`POST /api/tickets` and `GET /api/support-policy`, through the Flask test client, on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import re
from datetime import datetime
from email import message_from_bytes

import pytest
import redis
from sqlalchemy import select

from bridge.notify.models import OutboxMessage
from bridge.tickets.models import Ticket
from bridge.tickets.policy import load_policy
from bridge.web.context import services
from tests.conftest import skip_or_fail
from tests.ticket_web_fixtures import (  # noqa: F401 (fixtures)
    FRIDAY_EVENING,
    LONDON,
    any_database,
    api_app,
    make_app,
    set_clock,
    ticket_app,
    valid_ticket,
)

REFERENCE = re.compile(r"KB-\d{7}-\d")
# The machine's Redis, in a database of its own that the test empties.
REDIS_URL = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def post(app, body, **kwargs):
    with app.test_client().post("/api/tickets", json=body, **kwargs) as response:
        return response.status_code, response.get_json()


def stored(app) -> list[Ticket]:
    with services(app).sessions()() as session:
        return list(session.scalars(select(Ticket)))


def test_a_ticket_is_stored_with_its_targets_and_acknowledgement(api_app) -> None:
    set_clock(api_app, FRIDAY_EVENING)
    status, body = post(api_app, valid_ticket(query="export invoices", page="ledger/help-sheets/credits/"))
    assert status == 201
    assert REFERENCE.fullmatch(body["reference"])
    assert (body["status"], body["priority"], body["covered"], body["coverage_message"]) == ("new", "critical", True, None)
    assert datetime.fromisoformat(body["acknowledge_by"]) == datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
    assert datetime.fromisoformat(body["respond_by"]) == datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    assert body["suggested_articles"], "without suggested_articles the bridge suggests some from the subject"
    [ticket] = stored(api_app)
    assert (ticket.reference, ticket.query, ticket.page) == (body["reference"], "export invoices", "ledger/help-sheets/credits/")
    assert ticket.suggested_articles == body["suggested_articles"]
    with services(api_app).sessions()() as session:
        [mail] = session.scalars(select(OutboxMessage))
    acknowledgement = message_from_bytes(mail.message)
    assert body["reference"] in acknowledgement["Subject"]
    plain = next(part for part in acknowledgement.walk() if part.get_content_type() == "text/plain")
    assert "about Ledger" in plain.get_payload(decode=True).decode()


def test_the_articles_the_client_showed_are_kept_as_our_index_has_them(api_app) -> None:
    shown = [{"title": "Credits", "url": "support/help-sheets/credits/#when"}]
    assert post(api_app, valid_ticket(suggested_articles=shown))[1]["suggested_articles"] == [
        {"title": "Support credits", "url": "support/help-sheets/credits/"}]
    assert post(api_app, valid_ticket(suggested_articles=[]))[1]["suggested_articles"] == []


def test_a_request_type_outside_the_agreement_is_stored_flagged_with_the_policys_message(api_app) -> None:
    status, body = post(api_app, valid_ticket(request_type="training"))
    assert status == 201
    assert body["covered"] is False
    assert body["coverage_message"].startswith("Training is not covered by your support agreement.")
    assert [ticket.covered for ticket in stored(api_app)] == [False]


def test_priority_defaults_to_the_policys_default(api_app) -> None:
    body = valid_ticket()
    del body["priority"]
    assert post(api_app, body)[1]["priority"] == "standard"


BAD_FIELDS = [
    ("email", None, "Enter your email address"),
    ("email", "ada.example.org", "Enter an email address like name@example.com"),
    ("email", 42, "must be a string"),
    ("email", "a" * 250 + "@example.org", "must be at most 254 characters"),
    ("name", None, "Enter your name"),
    ("name", "   ", "Enter your name"),
    ("name", "Ada\nBcc: victim@example.org", "must not contain control characters or line breaks"),
    ("name", ["Ada"], "must be a string"),
    ("product", None, "Choose the product"),
    ("product", "widgets", "Choose the product: one of support, ledger, rota"),
    ("product", 3, "must be a string"),
    ("subject", None, "Enter a subject"),
    ("subject", "x" * 201, "must be at most 200 characters (it has 201)"),
    ("subject", "Export\u2028fails", "must not contain control characters or line breaks"),
    ("description", None, "Describe the problem"),
    ("description", "x" * 10_001, "must be at most 10,000 characters (it has 10,001)"),
    ("description", "nul \x00 byte", "must not contain control characters"),
    ("request_type", None, "Choose the type of request"),
    ("request_type", "billing", "Choose the type of request: one of configuration, technical"),
    ("priority", "panic", "Choose a priority: one of critical, urgent, standard"),
    ("priority", 1, "must be a string"),
    ("query", 5, "must be a string"),
    ("query", "q" * 501, "must be at most 500 characters"),
    ("page", "https://evil.example/phish", "must be a path on the help centre"),
    ("page", "//evil.example/phish", "must be a path on the help centre"),
    ("page", "p" * 1001, "must be at most 1,000 characters"),
    ("suggested_articles", "Credits", "must be a list of {title, url} objects"),
    ("suggested_articles", [{"title": "Credits", "url": "c/"}] * 11, "must list at most 10 articles"),
    ("suggested_articles", [{"title": "Credits"}], "item 0: must be an object with exactly the keys title and url"),
    ("suggested_articles", [{"title": "Hi", "url": "javascript:alert(1)"}], "item 0: url must be a path on the help centre"),
    ("colour", "blue", "unknown field"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_FIELDS)])
def test_a_bad_field_is_named_with_what_is_wrong(ticket_app, field: str, value: object, message: str) -> None:
    """Validation happens before the database is touched, so SQLite stands for both backends here."""
    body = valid_ticket()
    if value is None:
        del body[field]
    else:
        body[field] = value
    status, error = post(ticket_app, body)
    assert status == 400
    assert error["error"]["code"] == "invalid_ticket"
    assert list(error["error"]["fields"]) == [field]
    assert message in error["error"]["fields"][field]
    assert stored(ticket_app) == []


def test_every_bad_field_is_reported_at_once(api_app) -> None:
    status, error = post(api_app, {"priority": "panic", "email": "nope"})
    assert status == 400
    assert set(error["error"]["fields"]) == {"email", "name", "product", "subject", "description", "request_type", "priority"}


@pytest.mark.parametrize("body", ['[{"email": "ada@example.org"}]', '"a ticket"', "7", "null"])
def test_a_body_that_is_not_an_object_is_refused(api_app, body: str) -> None:
    with api_app.test_client().post("/api/tickets", data=body, content_type="application/json") as response:
        status, error = response.status_code, response.get_json()
    assert (status, error["error"]["code"]) == (400, "invalid_ticket")
    assert error["error"]["message"] == "The ticket must be a JSON object of fields"


def test_broken_json_and_other_media_types_are_refused(api_app) -> None:
    client = api_app.test_client()
    with client.post("/api/tickets", data='{"email": ', content_type="application/json") as broken:
        assert (broken.status_code, broken.get_json()["error"]["code"]) == (400, "invalid_json")
    with client.post("/api/tickets", data={"email": "ada@example.org"}) as form:
        assert (form.status_code, form.get_json()["error"]["code"]) == (415, "unsupported_media_type")


def test_a_body_over_the_limit_is_refused_with_413(api_app) -> None:
    status, error = post(api_app, valid_ticket(description="x" * 200_000))
    assert status == 413
    assert error["error"]["code"] == "request_entity_too_large"
    assert stored(api_app) == []


def test_each_client_may_send_only_so_many_tickets(make_app) -> None:
    app = make_app(KB_TICKET_RATE_LIMIT="2/minute")
    client = app.test_client()
    statuses = []
    for _ in range(3):
        with client.post("/api/tickets", json=valid_ticket()) as response:
            statuses.append(response.status_code)
    assert statuses == [201, 201, 429]
    with client.post("/api/tickets", json=valid_ticket()) as limited:
        assert limited.get_json()["error"]["code"] == "too_many_requests"
        assert int(limited.headers["Retry-After"]) > 0
    other = client.post("/api/tickets", json=valid_ticket(), environ_base={"REMOTE_ADDR": "192.0.2.44"})
    with other:
        assert other.status_code == 201


def test_workers_sharing_a_redis_store_share_the_limit(make_app) -> None:
    """Two bridges stand for two gunicorn workers; with `memory://` each would allow the client its own 2."""
    try:
        store = redis.Redis.from_url(REDIS_URL)
        store.flushdb()
    except redis.ConnectionError as error:
        skip_or_fail(f"no Redis at {REDIS_URL}: {error}")
    workers = [make_app(KB_TICKET_RATE_LIMIT="2/minute", KB_RATELIMIT_STORAGE_URL=REDIS_URL) for _ in range(2)]
    statuses = []
    for worker in (*workers, workers[0]):
        with worker.test_client().post("/api/tickets", json=valid_ticket()) as response:
            statuses.append(response.status_code)
    assert statuses == [201, 201, 429]
    store.flushdb()


def test_the_support_policy_is_published_with_the_products(api_app) -> None:
    with api_app.test_client().get("/api/support-policy") as response:
        body = response.get_json()
    policy = load_policy(services(api_app).settings.support_policy)
    assert body == {**policy.public(), "products": [{"key": "support", "name": "Getting support"},
                                                    {"key": "ledger", "name": "Ledger"},
                                                    {"key": "rota", "name": "Rota"}]}
    critical = body["priorities"][0]
    assert (critical["label"], critical["target"]) == ("CRITICAL", "within 2 business hours")
