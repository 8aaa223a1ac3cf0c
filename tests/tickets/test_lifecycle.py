"""The ticket lifecycle: the one table of allowed changes, each change recorded with who, when, from and to."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from ticket_samples import submit

from bridge.tickets.lifecycle import TRANSITIONS, TransitionRefused, allowed_next, change_status, history
from bridge.tickets.status import TicketStatus

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_the_table_names_every_status_only_a_release_returns_to_new_and_closed_is_final() -> None:
    assert set(TRANSITIONS) == set(TicketStatus)
    assert [status for status, targets in TRANSITIONS.items() if TicketStatus.NEW in targets] == [TicketStatus.WITHHELD]
    assert TRANSITIONS[TicketStatus.CLOSED] == frozenset()
    assert all(status.label for status in TicketStatus)


def test_every_change_is_recorded_in_order_from_creation(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        ticket = submit(session)
        change_status(session, ticket, TicketStatus.WAITING_ON_CUSTOMER, actor="sam@desk.example", now=NOON)
        change_status(session, ticket, TicketStatus.OPEN, actor="ada@example.org", now=NOON + timedelta(hours=1),
                      detail={"reason": "customer replied"})
        session.commit()

    with session_factory() as session:
        ticket = session.merge(ticket)
        events = [(e.kind, e.actor, e.from_status, e.to_status) for e in history(session, ticket)]
        assert events == [
            ("created", "ada@example.org", None, "new"),
            ("status", "sam@desk.example", "new", "waiting_on_customer"),
            ("status", "ada@example.org", "waiting_on_customer", "open"),
        ]
        last = history(session, ticket)[-1]
        assert (last.at, last.detail) == (NOON + timedelta(hours=1), {"reason": "customer replied"})
        assert (ticket.status, ticket.updated_at) == ("open", NOON + timedelta(hours=1))


def test_a_refused_change_says_what_is_allowed_and_changes_nothing(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        ticket = submit(session)
        change_status(session, ticket, TicketStatus.RESOLVED, actor="sam@desk.example", now=NOON)

        with pytest.raises(TransitionRefused) as refused:
            change_status(session, ticket, TicketStatus.IN_PROGRESS, actor="sam@desk.example", now=NOON)
        assert refused.value.allowed == ["closed", "open"]
        assert "a resolved ticket cannot become in_progress; it may become closed, open" == str(refused.value)

        change_status(session, ticket, TicketStatus.CLOSED, actor="ada@example.org", now=NOON)
        with pytest.raises(TransitionRefused, match="it may become nothing: it is final"):
            change_status(session, ticket, TicketStatus.OPEN, actor="ada@example.org", now=NOON)
        assert ticket.status == "closed" and allowed_next(ticket) == frozenset()
        assert [e.to_status for e in history(session, ticket)] == ["new", "resolved", "closed"]
