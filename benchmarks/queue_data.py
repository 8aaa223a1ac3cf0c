"""A board's worth of tickets for benchmarks/tickets.py, written straight into a migrated database.

A year of tickets for one product ("ledger", the measured board) and a tenth as many for another,
as a desk's database holds them after a year: most closed, a few hundred still open in every
status, some past their targets. Targets come from the shipped policy's business-time clock, so
the queue's order and its "breached" filter work on real values. Random but seeded: every run
measures the same data.
"""
from __future__ import annotations

import json
import random
import urllib.request
from datetime import timedelta

from sqlalchemy import insert, text

from bridge.accounts.models import Organisation, StaffMember
from bridge.accounts.signin import issue_link
from bridge.db import make_engine, make_session_factory, upgrade_database, utc_now
from bridge.settings import PROJECT_ROOT
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.models import Ticket
from bridge.tickets.policy import load_policy
from bridge.tickets.reference import format_reference
from bridge.tickets.status import TicketStatus

BOARD = "ledger"
MEMBER = "board@desk.example"
COLLEAGUES = ("ann@desk.example", "bo@desk.example", "cy@desk.example")
# What the board asks for: the whole queue, then each filter it uses.
QUEUES = {
    "the whole queue": "",
    "mine": "?assignee=me",
    "nobody's": "?assignee=none",
    "breached": "?breached=yes",
    "CRITICAL and open": "?priority=critical&status=open",
    "words": "?q=export",
    "closed (85% of the board)": "?status=closed",
}
_S = TicketStatus
ACTIVE = [_S.NEW, _S.OPEN, _S.IN_PROGRESS, _S.WAITING_ON_CUSTOMER, _S.WITHHELD]
CHUNK = 5_000


def fill_board(database_url: str, board_tickets: int) -> None:
    """Migrate the database and write the organisations, the board and its tickets."""
    upgrade_database(database_url)
    engine = make_engine(database_url)
    policy = load_policy(PROJECT_ROOT / "site_config" / "support.yml")
    calendar = BusinessCalendar.from_policy(policy)
    random.seed(15)
    now = utc_now()
    try:
        with make_session_factory(engine)() as session:
            session.add_all([StaffMember(email=email, name=email.split("@")[0].title(), boards=[BOARD])
                             for email in (MEMBER, *COLLEAGUES)])
            session.add_all([Organisation(key=f"org{n}", name=f"Organisation {n}", products=[BOARD, "rota"])
                             for n in range(1, 41)])
            session.commit()
        rows = [_ticket(number, BOARD if number <= board_tickets else "rota", now, calendar, policy)
                for number in range(1, board_tickets + board_tickets // 10 + 1)]
        with engine.begin() as connection:
            for start in range(0, len(rows), CHUNK):
                connection.execute(insert(Ticket), rows[start:start + CHUNK])
        with engine.begin() as connection:
            # What PostgreSQL's autovacuum does soon after a bulk load; SQLite keeps its statistics only when asked.
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _ticket(number: int, product: str, now, calendar: BusinessCalendar, policy) -> dict:  # noqa: ANN001
    """One ticket: a closed one from any time in the year, or a recent one still being worked on."""
    active = random.random() < 0.10
    status = random.choice(ACTIVE) if active else _S.CLOSED if random.random() < 0.944 else _S.RESOLVED
    created = now - timedelta(days=random.uniform(0, 14) if active else random.uniform(0, 365))
    priority = random.choices(policy.priorities, weights=(1, 3, 6))[0]
    withheld = status == _S.WITHHELD
    respond_by = None if withheld else calendar.due(created, priority)
    answered = status not in (_S.NEW, _S.WITHHELD) and random.random() < 0.9
    responded_at = created + timedelta(hours=random.uniform(0.2, 30)) if answered else None
    done = status in (_S.RESOLVED, _S.CLOSED)
    return {
        "id": number, "reference": format_reference(number, policy.reference_prefix),
        "email": f"customer{number % 900}@org{number % 40 + 1}.example", "name": f"Customer {number % 900}",
        "product": product, "subject": random.choice(("Invoices will not export", "Bank feed stalled",
                                                      "Payroll totals wrong", "How do I add a user?")),
        "description": "What happened, in the customer's words.\nSteps tried.",
        "request_type": random.choice(("configuration", "technical", "usage")), "covered": True,
        "priority": priority.key, "status": status.value,
        "withheld_reason": "contract_unpaid" if withheld else None, "organisation_id": number % 40 + 1,
        "query": None, "page": None, "suggested_articles": [],
        "acknowledge_by": calendar.due(created, policy.acknowledgement_target), "respond_by": respond_by,
        "created_at": created, "updated_at": created,
        "closed_at": created + timedelta(days=3) if status == _S.CLOSED else None,
        "assignee": None if status == _S.NEW and random.random() < 0.7 or withheld
        else random.choice((MEMBER, *COLLEAGUES)),
        "responded_at": responded_at, "resolved_at": created + timedelta(days=2) if done else None,
        "waiting_since": now - timedelta(hours=random.uniform(1, 48)) if status == _S.WAITING_ON_CUSTOMER else None,
        "needs_article": False,
    }


def signed_in_cookie(database_url: str, port: int) -> str:
    """The board member's session cookie: a sign-in link minted in the database, used as the emailed one would be."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            token = issue_link(session, MEMBER, utc_now())
            session.commit()
    finally:
        engine.dispose()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/session", data=json.dumps({"token": token}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers["Set-Cookie"].split(";", 1)[0]
