"""The ledger cannot lie, on SQLite and PostgreSQL: concurrent assessments never overspend, the same
assessment twice charges once, re-assessment records only the difference, and entries are never edited."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bridge.credits.assessment import CreditDesk
from bridge.credits.ledger import balance, statement
from bridge.credits.models import CreditEntry
from bridge.db import make_engine, make_session_factory
from bridge.tickets.models import Ticket
from tests.credits.ledger_fixtures import NOW, STAFF, credit_desk, organisation, raise_ticket
from tests.ticket_web_fixtures import any_database  # noqa: F401 (fixture)


@pytest.fixture
def sessions(any_database: str) -> Iterator[sessionmaker[Session]]:  # noqa: F811
    """Sessions on the test's database; each thread of a test opens its own."""
    engine = make_engine(any_database)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def desk() -> CreditDesk:
    return credit_desk()


def amounts(session: Session, org_id: int) -> list[tuple[str, int]]:
    return [(line.kind, line.amount) for line in statement(session, org_id).entries]


def at_once(count: int, work) -> list[BaseException]:
    """Run work(i) in count threads released together; the errors they raised."""
    barrier, errors = threading.Barrier(count), []

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_twenty_assessments_at_once_against_40_credits_make_8_charges_and_12_waits(
        sessions: sessionmaker[Session], desk: CreditDesk) -> None:
    with sessions() as session:
        org = organisation(session, desk)
        references = [raise_ticket(session, org, subject=f"Request {n}").reference for n in range(20)]
        session.commit()

    def assess(index: int) -> None:
        with sessions() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.reference == references[index]))
            desk.assess(session, ticket, "explanation", note=None, actor=STAFF, now=NOW)
            session.commit()

    assert at_once(20, assess) == []
    with sessions() as session:
        statuses = [session.scalar(select(Ticket.status).where(Ticket.reference == ref)) for ref in references]
        assert (statuses.count("new"), statuses.count("awaiting_credits")) == (8, 12)
        entries = amounts(session, org.id)
        assert entries == [("grant", 40)] + [("charge", -5)] * 8
        running = [sum(amount for _, amount in entries[:n + 1]) for n in range(len(entries))]
        assert min(running) == 0 and balance(session, org.id) == 0


def test_the_same_assessment_twice_charges_once_in_turn_or_at_once(
        sessions: sessionmaker[Session], desk: CreditDesk) -> None:
    with sessions() as session:
        org = organisation(session, desk)
        first, second = raise_ticket(session, org).reference, raise_ticket(session, org).reference
        session.commit()

    def assess(reference: str) -> None:
        with sessions() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.reference == reference))
            desk.assess(session, ticket, "standard", note=None, actor=STAFF, now=NOW)
            session.commit()

    assess(first)
    assess(first)
    assert at_once(2, lambda _: assess(second)) == []
    with sessions() as session:
        assert amounts(session, org.id) == [("grant", 40), ("charge", -10), ("charge", -10)]
        assert balance(session, org.id) == 20


def test_reassessment_10_then_20_then_free_records_the_differences_and_returns_to_the_start(
        sessions: sessionmaker[Session], desk: CreditDesk) -> None:
    with sessions() as session:
        org = organisation(session, desk)
        ticket = raise_ticket(session, org)
        for category in ("standard", "investigation", "software_error"):
            desk.assess(session, ticket, category, note=f"now {category}", actor=STAFF, now=NOW)
        session.commit()
        assert amounts(session, org.id) == [("grant", 40), ("charge", -10), ("adjustment", -10), ("refund", 20)]
        assert balance(session, org.id) == 40
        notes = [line.note for line in statement(session, org.id).entries]
        assert notes[3] == f"{ticket.reference} assessed as Error in our software: now software_error"


def test_credits_added_later_charge_the_tickets_that_waited_for_them(
        sessions: sessionmaker[Session], desk: CreditDesk) -> None:
    with sessions() as session:
        org = organisation(session, desk)
        big = raise_ticket(session, org)
        desk.assess(session, big, "investigation", note=None, actor=STAFF, now=NOW)
        bigger = raise_ticket(session, org)
        desk.assess(session, bigger, "investigation", note=None, actor=STAFF, now=NOW)
        late = raise_ticket(session, org)
        desk.assess(session, late, "investigation", note=None, actor=STAFF, now=NOW)
        assert (late.status, balance(session, org.id)) == ("awaiting_credits", 0)
        _, charged = desk.purchase(session, org, 25, note="invoice 1042", actor="finance@desk.example", now=NOW)
        session.commit()
        assert [c.reference for c in charged] == [late.reference]
        assert (late.status, balance(session, org.id)) == ("open", 5)
        assert amounts(session, org.id)[-2:] == [("purchase", 25), ("charge", -20)]


def test_the_watch_on_the_ledger_would_see_an_edit(sessions: sessionmaker[Session], ledger_changes: list[str]) -> None:
    with sessions.kw["bind"].begin() as connection:
        connection.execute(update(CreditEntry).where(CreditEntry.id == -1).values(amount=0))
        connection.execute(text("DELETE FROM credit_entries WHERE id = -1"))
    assert len(ledger_changes) == 2
    ledger_changes.clear()
