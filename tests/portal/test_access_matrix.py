"""Who may see and change which ticket, through every route, on SQLite and PostgreSQL.

Two organisations, contacts with different products, a contact who is not nominated, someone the
desk does not know, and staff on different boards. The expected answers are written out by hand
from the rules (bridge/accounts/access.py says them in words), not computed by the code under
test: a ticket someone may not see must be a 404 exactly like a reference that does not exist.
"""
from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bridge.accounts.directory import organisation_by_key
from bridge.web.context import services
from tests.credits.ledger_fixtures import CREDITS_POLICY
from tests.portal.portal_fixtures import add_organisation, add_staff, signed_in
from tests.ticket_web_fixtures import TOKEN, any_database, bridge_app, close_app, valid_ticket  # noqa: F401

# Who raised which ticket, for which product; the word is found only in that ticket.
TICKETS = {
    "ann-rota": ("ann@acme.example", "rota"),
    "al-ledger": ("al@acme.example", "ledger"),
    "nina-ledger": ("nina@acme.example", "ledger"),
    "bea-ledger": ("bea@brix.example", "ledger"),
    "walk-ledger": ("walk@in.example", "ledger"),
}
CUSTOMERS = {
    # A nominated contact sees their own tickets and their organisation's for the products they may see.
    "ann@acme.example": {"ann-rota", "al-ledger", "nina-ledger"},
    "al@acme.example": {"al-ledger", "nina-ledger"},
    # Not nominated: only their own (withheld) ticket.
    "nina@acme.example": {"nina-ledger"},
    "bea@brix.example": {"bea-ledger"},
    # Unknown to the desk: only what they raised from this address.
    "walk@in.example": {"walk-ledger"},
}
STAFF = {
    "led@desk.example": {"al-ledger", "nina-ledger", "bea-ledger", "walk-ledger"},
    "rot@desk.example": {"ann-rota"},
    "boss@desk.example": set(TICKETS),
}
MISSING = "KB-9999999-1"


def populate(app: Flask, **ticket_fields: object) -> dict[str, str]:
    """The accounts above and one ticket each (raised through the API); each ticket's reference by its word."""
    add_organisation(app, "acme", ["ledger", "rota"], [("ann@acme.example", ["ledger", "rota"], True),
                                                       ("al@acme.example", ["ledger"], True),
                                                       ("nina@acme.example", ["ledger", "rota"], False)])
    add_organisation(app, "brix", ["ledger"], [("bea@brix.example", ["ledger"], True)])
    add_staff(app, "led@desk.example", ["ledger"])
    add_staff(app, "rot@desk.example", ["rota"])
    add_staff(app, "boss@desk.example", [], admin=True)
    references = {}
    for word, (email, product) in TICKETS.items():
        raised = app.test_client().post("/api/tickets", json=valid_ticket(
            email=email, product=product, description=f"Something broke: {word}", **ticket_fields))
        assert raised.status_code == 201, raised.get_data(as_text=True)
        references[word] = raised.get_json()["reference"]
    return references


@pytest.fixture
def desk(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[tuple[Flask, dict[str, str]]]:  # noqa: F811
    """The bridge with the accounts above and one ticket each (raised through the API), with a file on each."""
    app = bridge_app(built_kb, any_database, tmp_path, KB_SIGN_IN_CLIENT_RATE_LIMIT="")
    yield app, populate(app)
    close_app(app)


def token(client: FlaskClient) -> str:
    return TOKEN.search(client.get("/account/tickets").get_data(as_text=True)).group(1)


def test_every_route_answers_as_the_rules_say(desk: tuple[Flask, dict[str, str]]) -> None:
    app, references = desk
    clients = {email: signed_in(app, email) for email in [*CUSTOMERS, *STAFF]}
    visible = {**CUSTOMERS, **STAFF}

    # Each owner adds a file, so downloads can be tried by everyone.
    files = {}
    for word, (email, _) in TICKETS.items():
        owner, path = clients[email], f"/account/tickets/{references[word]}"
        added = owner.post(f"{path}/messages", data={"csrf_token": token(owner), "body": f"Log for {word}",
                                                     "attachments": [(BytesIO(word.encode()), f"{word}.txt")]})
        assert added.status_code == 303, (word, added.status_code)
        files[word] = owner.get(f"/api/tickets/{references[word]}").get_json()["messages"][-1]["attachments"][0]["url"]

    answers, expected = {}, {}
    for email, client in clients.items():
        listed = {t["reference"] for t in client.get("/api/tickets").get_json()["tickets"]}
        page = client.get("/account/tickets").get_data(as_text=True)
        for word, reference in references.items():
            sees, customer = word in visible[email], email in CUSTOMERS
            found = [t["reference"] for t in client.get(f"/api/tickets?q={word}").get_json()["tickets"]]
            answers[email, word] = (
                reference in listed, reference in page, found,
                client.get(f"/api/tickets/{reference}").status_code,
                client.get(f"/account/tickets/{reference}").status_code,
                client.get(files[word]).status_code,
                client.post(f"/api/tickets/{reference}/messages", json={"body": f"From {email}"}).status_code,
                client.post(f"/account/tickets/{reference}/messages",
                            data={"csrf_token": token(client), "body": f"From {email}"}).status_code,
            )
            expected[email, word] = (
                sees, sees, [reference] if sees else [],
                200 if sees else 404, 200 if sees else 404, 200 if sees else 404,
                # Staff on the board answer through the same route (bridge/web/desk_api.py); the page is the customer's.
                201 if sees else 404, (303 if customer else 403) if sees else 404,
            )
        missing = (client.get(f"/api/tickets/{MISSING}").status_code,
                   client.get(f"/account/tickets/{MISSING}").status_code,
                   client.post(f"/api/tickets/{MISSING}/messages", json={"body": "x"}).status_code)
        assert missing == (404, 404, 404)
    assert answers == expected

    # Closing: the first customer who may see a ticket closes it; anyone else who may see it finds it closed.
    closed = {}
    for email, client in clients.items():
        for word, reference in references.items():
            sees, customer = word in visible[email], email in CUSTOMERS
            answer = client.post(f"/api/tickets/{reference}/close", json={"rating": 4}).status_code
            page = client.post(f"/account/tickets/{reference}/close", data={"csrf_token": token(client)}).status_code
            if not sees:
                assert (answer, page) == (404, 404), (email, word)
            elif not customer:
                assert (answer, page) == (403, 403), (email, word)
            else:
                assert (answer, page) == ((409, 409) if word in closed else (200, 409)), (email, word)
                closed.setdefault(word, email)
    assert closed == {word: next(email for email in CUSTOMERS if word in CUSTOMERS[email]) for word in TICKETS}

    # Following a closed ticket up: every customer who may see it may; staff get a 403, anyone else a 404.
    for email, client in clients.items():
        for word, reference in references.items():
            sees, customer = word in visible[email], email in CUSTOMERS
            answer = client.post(f"/api/tickets/{reference}/follow-up", json={"description": f"Again, {email}"})
            page = client.post(f"/account/tickets/{reference}/follow-up",
                               data={"csrf_token": token(client), "description": f"Again, {email}"}).status_code
            assert (answer.status_code, page) == (
                ((201, 303) if customer else (403, 403)) if sees else (404, 404)), (email, word)
            if answer.status_code == 201:
                assert answer.get_json()["follows_up"] == reference


def test_the_board_works_only_on_its_boards_tickets(desk: tuple[Flask, dict[str, str]]) -> None:
    """Every desk route: staff on the ticket's board (or an admin) may; a customer who sees it gets a 403;
    anyone else the 404 of a ticket that does not exist."""
    app, references = desk
    clients = {email: signed_in(app, email) for email in [*CUSTOMERS, *STAFF]}
    visible = {**CUSTOMERS, **STAFF}
    answers, expected = {}, {}
    for email, client in clients.items():
        for word, reference in references.items():
            sees, staff = word in visible[email], email in STAFF
            answers[email, word] = (
                client.patch(f"/api/tickets/{reference}", json={"priority": "urgent"}).status_code,
                client.post(f"/api/tickets/{reference}/needs-article", json={}).status_code,
                client.post(f"/api/tickets/{reference}/split",
                            json={"subject": "Another question", "description": f"Split by {email}"}).status_code,
                client.post(f"/api/tickets/{reference}/release", json={}).status_code,
                "internal" in client.get(f"/api/tickets/{reference}").get_json().get("messages", [{}])[0],
            )
            # This desk serves anyone, so no ticket is withheld: a release is refused (409) to those who may ask.
            expected[email, word] = ((200, 200, 201, 409, True) if sees and staff else
                                     (403, 403, 403, 403, False) if sees else (404, 404, 404, 404, False))
        missing = (client.patch(f"/api/tickets/{MISSING}", json={"priority": "urgent"}).status_code,
                   client.post(f"/api/tickets/{MISSING}/release", json={}).status_code)
        assert missing == (404, 404)
    assert answers == expected


def test_a_404_for_a_ticket_of_someone_else_is_the_same_as_for_none(desk: tuple[Flask, dict[str, str]]) -> None:
    app, references = desk
    bea = signed_in(app, "bea@brix.example")
    theirs = bea.get(f"/api/tickets/{references['ann-rota']}")
    nothing = bea.get(f"/api/tickets/{MISSING}")
    assert (theirs.status_code, theirs.get_json()) == (nothing.status_code, nothing.get_json())
    theirs_page = bea.get(f"/account/tickets/{references['ann-rota']}")
    assert theirs_page.get_data() == bea.get(f"/account/tickets/{MISSING}").get_data()


@pytest.fixture
def credits_desk(built_kb: Path, any_database: str, tmp_path: Path) -> Iterator[tuple[Flask, dict[str, str]]]:  # noqa: F811
    """The same accounts and tickets on the credits desk, every ticket raised asking for the cost first."""
    app = bridge_app(built_kb, any_database, tmp_path, KB_SIGN_IN_CLIENT_RATE_LIMIT="",
                     KB_SUPPORT_POLICY=str(CREDITS_POLICY))
    references = populate(app, credit_consent="quote_first")
    with services(app).sessions()() as session:
        for key in ("acme", "brix"):
            services(app).credits().grant(session, organisation_by_key(session, key), actor="system",
                                          now=services(app).clock())
        session.commit()
    yield app, references
    close_app(app)


def test_credits_routes_answer_as_the_rules_say(credits_desk: tuple[Flask, dict[str, str]]) -> None:
    """Assessing is for staff who see the ticket (its board, or an admin); approving for the customers who may write
    on it; a statement for nominated contacts of an organisation (it names the organisation's tickets). Everyone
    else gets what a missing ticket gets."""
    app, references = credits_desk
    clients = {email: signed_in(app, email) for email in [*CUSTOMERS, *STAFF]}
    visible = {**CUSTOMERS, **STAFF}
    assert app.test_client().post(f"/api/tickets/{references['al-ledger']}/assessment",
                                  json={"category": "standard"}).status_code == 401
    assert {client.get("/account/credits").status_code for client in clients.values()} == {200}
    statements = {email: client.get("/api/credits").status_code for email, client in clients.items()}
    assert statements == {"ann@acme.example": 200, "al@acme.example": 200, "nina@acme.example": 404,
                          "bea@brix.example": 200, "walk@in.example": 404, "led@desk.example": 404,
                          "rot@desk.example": 404, "boss@desk.example": 404}
    answers, expected = {}, {}
    for email, client in clients.items():
        for word, reference in references.items():
            sees, customer = word in visible[email], email in CUSTOMERS
            answers[email, word, "assess"] = client.post(f"/api/tickets/{reference}/assessment",
                                                         json={"category": "standard"}).status_code
            # The walk-in's ticket belongs to no organisation: nothing to charge.
            expected[email, word, "assess"] = (409 if word == "walk-ledger" else 200) if sees and not customer else 404
            # None of these tickets is a new requirement or asks for out-of-hours cover: nothing to quote.
            answers[email, word, "quote"] = client.post(f"/api/tickets/{reference}/quote", json={
                "cost": 100, "currency": "GBP", "timescale": "a week"}).status_code
            expected[email, word, "quote"] = 409 if sees and not customer else 404
            page = client.get(f"/account/tickets/{reference}")
            assert page.status_code == (200 if sees else 404)
            assert ("Assess in credits" in page.get_data(as_text=True)) == (sees and not customer and word != "walk-ledger")
    approvals = {}
    for email, client in clients.items():
        for word, reference in references.items():
            sees, customer = word in visible[email], email in CUSTOMERS
            answer = client.post(f"/api/tickets/{reference}/approval", json={"approve": True}).status_code
            answers[email, word, "approve"] = answer
            if not sees:
                expected[email, word, "approve"] = 404
            elif not customer:
                expected[email, word, "approve"] = 403
            else:  # the first customer who may write approves; then nothing waits for approval
                expected[email, word, "approve"] = 409 if word in approvals or word == "walk-ledger" else 200
                approvals.setdefault(word, email)
            assert client.post(f"/api/tickets/{MISSING}/approval", json={"approve": True}).status_code == 404
            assert client.post(f"/api/tickets/{MISSING}/assessment", json={"category": "x"}).status_code == 404
    assert answers == expected


DESK_ACTIONS = [("update", {"priority": "urgent"}), ("messages", {"action": "note", "body": "Checked the logs"}),
                ("needs-article", {}), ("split", {"subject": "Second question", "description": "And another thing"})]


def test_the_desk_is_only_for_staff_and_only_for_their_boards(desk: tuple[Flask, dict[str, str]]) -> None:
    """Pages and forms of /desk: a customer gets the 404 of a missing page everywhere, even for their own ticket;
    staff of another board get 404 for a ticket page and every action on it."""
    app, references = desk
    clients = {email: signed_in(app, email) for email in [*CUSTOMERS, *STAFF]}
    nowhere = clients["bea@brix.example"].get("/no-such-page").get_data()
    answers, expected = {}, {}
    for email, client in clients.items():
        staff = email in STAFF
        for path in ("/desk", "/desk/report", f"/desk/tickets/{MISSING}"):
            answer = client.get(path)
            assert answer.status_code == (404 if not staff or path.endswith(MISSING) else 200), (email, path)
            if not staff:
                assert answer.get_data() == nowhere, (email, path)
        for word, reference in references.items():
            sees = staff and word in STAFF[email]
            answers[email, word] = [client.get(f"/desk/tickets/{reference}").status_code]
            answers[email, word] += [client.post(f"/desk/tickets/{reference}/{action}",
                                                 data={"csrf_token": token(client), **form}).status_code
                                     for action, form in DESK_ACTIONS]
            expected[email, word] = [200 if sees else 404] + [303 if sees else 404] * len(DESK_ACTIONS)
    assert answers == expected
    assert app.test_client().get("/desk").status_code == 303  # not signed in: sign in first


# Every route that names no ticket, and what decides who may use it. A new route fails the test below until
# it is placed here (and given its own test) or takes a <reference>, which the test then tries as strangers.
NO_TICKET = {
    ("GET", "/"): "the help centre, public",
    ("GET", "/<path:path>"): "the help centre, public",
    ("GET", "/static/<path:filename>"): "static files, public",
    ("GET", "/tickets/static/<path:filename>"): "static files, public",
    ("GET", "/desk/static/<path:filename>"): "static files, public",
    ("GET", "/api/health"): "public",
    ("GET", "/api/openapi.json"): "public",
    ("GET", "/api/support-policy"): "public",
    ("GET", "/api/search"): "public, rate-limited",
    ("POST", "/api/search-events/<search_id>/opened"): "public, rate-limited, JSON only",
    ("POST", "/api/feedback"): "public, rate-limited, JSON only",
    ("GET", "/tickets/new"): "the contact form, public",
    ("POST", "/tickets/new"): "anyone, CSRF token, rate-limited",
    ("GET", "/tickets/solved"): "public",
    ("POST", "/tickets/solved"): "anyone, CSRF token, rate-limited",
    ("POST", "/api/tickets"): "anyone, JSON only, rate-limited",
    ("GET", "/api/tickets"): "the account's own: test_every_route_answers_as_the_rules_say",
    ("GET", "/account/tickets"): "the account's own: test_every_route_answers_as_the_rules_say",
    ("GET", "/account/sign-in"): "public",
    ("POST", "/account/sign-in"): "anyone, CSRF token, rate-limited (tests/portal/test_sign_in.py)",
    ("GET", "/account/sign-in/<token>"): "whoever holds the emailed link",
    ("POST", "/account/sign-in/<token>"): "whoever holds the emailed link, CSRF token",
    ("POST", "/account/sign-out"): "the session's own, CSRF token",
    ("GET", "/account/signed-out"): "public",
    ("GET", "/account"): "the session's own",
    ("POST", "/account/mail"): "the session's own contact, CSRF token",
    ("POST", "/api/session"): "anyone, JSON only, rate-limited",
    ("DELETE", "/api/session"): "the session's own",
    ("GET", "/api/me"): "the session's own",
    ("GET", "/api/credits"): "the account's organisation: test_credits_routes_answer_as_the_rules_say",
    ("GET", "/account/credits"): "the account's organisation: test_credits_routes_answer_as_the_rules_say",
    ("GET", "/desk"): "staff only: test_the_desk_is_only_for_staff_and_only_for_their_boards",
    ("GET", "/desk/report"): "staff only: test_the_desk_is_only_for_staff_and_only_for_their_boards",
}
# Who tries every ticket route on a ticket they may not see: a customer of another organisation, and staff
# of another board.
STRANGERS = {"bea@brix.example": "ann-rota", "rot@desk.example": "al-ledger"}


def test_every_route_in_the_app_is_in_the_matrix(desk: tuple[Flask, dict[str, str]]) -> None:
    """The app's own list of routes, not ours: each names a ticket (and answers a stranger exactly as for a
    ticket that does not exist) or is one of NO_TICKET."""
    app, references = desk
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    ticket_routes = sorted(route for route in routes if "<reference>" in route[1])
    assert routes - set(ticket_routes) == set(NO_TICKET), "place each new route in NO_TICKET or give it a <reference>"
    for email, word in STRANGERS.items():
        client = signed_in(app, email)
        for method, rule in ticket_routes:
            said = []
            for reference in (references[word], MISSING):
                path = rule.replace("<reference>", reference).replace("<int:attachment_id>", "1")
                sent = {"json": {}} if path.startswith("/api/") else {"data": {"csrf_token": token(client)}}
                answer = client.open(path, method=method, **(sent if method != "GET" else {}))
                said.append((answer.status_code, answer.get_data(as_text=True).replace(reference, "REF")))
            assert said[0] == said[1], (email, method, rule)
            assert said[0][0] == 404, (email, method, rule, said[0][0])
