"""The board's actions: each recorded as an event, bad input refused naming the field, nothing half done."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bridge.cli import main
from bridge.desk import actions
from bridge.tickets.conversation import TicketMessage
from bridge.tickets.lifecycle import TransitionRefused, history
from bridge.tickets.models import Ticket
from tests.desk.desk_fixtures import CUSTOMER, LEDGER_STAFF, ROTA_STAFF, DeskWorld, london, queued


def events(session, ticket: Ticket) -> list[tuple[str, str, object]]:
    session.flush()
    return [(event.kind, event.actor, event.detail or (event.from_status, event.to_status))
            for event in history(session, ticket)][1:]


def test_each_change_is_an_event_naming_who_made_it(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9))
        lena = world.account(session, LEDGER_STAFF)
        changed = actions.update_ticket(session, world.desk, ticket,
                                        {"assignee": "Lena@Desk.example", "status": "in_progress",
                                         "request_type": "training", "priority": "critical"},
                                        actor=lena, now=london(23, 9, 5))
        assert changed == ["request_type", "assignee", "status"]  # critical already: not a change
        assert (ticket.assignee, ticket.status, ticket.request_type, ticket.covered) == (
            LEDGER_STAFF, "in_progress", "training", False)
        actions.add_staff_message(session, world.desk, ticket, actor=lena, body="Looking", internal=True,
                                  now=london(23, 9, 6))
        actions.add_staff_message(session, world.desk, ticket, actor=lena, body="Fixed?", internal=False,
                                  now=london(23, 9, 7))
        actions.flag_needs_article(session, ticket, actor=lena, now=london(23, 9, 8))
        assert actions.update_ticket(session, world.desk, ticket, {"assignee": " LENA@desk.example"}, actor=lena,
                                     now=london(23, 9, 8)) == []  # the same address, however written
        actions.update_ticket(session, world.desk, ticket, {"assignee": None}, actor=lena, now=london(23, 9, 9))

        assert events(session, ticket) == [
            ("request_type", LEDGER_STAFF, {"from": "technical", "to": "training"}),
            ("assignee", LEDGER_STAFF, {"from": None, "to": LEDGER_STAFF}),
            ("status", LEDGER_STAFF, ("new", "in_progress")),
            ("note", LEDGER_STAFF, {"role": "staff"}),
            ("message", LEDGER_STAFF, {"role": "staff"}),
            ("needs_article", LEDGER_STAFF, (None, None)),
            ("assignee", LEDGER_STAFF, {"from": LEDGER_STAFF, "to": None}),
        ]
        assert ticket.needs_article and ticket.assignee is None
        notes = session.scalars(select(TicketMessage.internal).where(TicketMessage.ticket_id == ticket.id)).all()
        assert sorted(notes) == [False, True]


def test_bad_fields_are_refused_by_name_and_nothing_changes(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9))
        lena = world.account(session, LEDGER_STAFF)
        with pytest.raises(actions.InvalidChange) as refused:
            actions.update_ticket(session, world.desk, ticket,
                                  {"status": "done", "priority": "p9", "request_type": 3, "assignee": ROTA_STAFF,
                                   "colour": "red"}, actor=lena, now=london(23, 10))
        assert set(refused.value.fields) == {"status", "priority", "request_type", "assignee", "colour"}
        assert "rota" not in refused.value.fields["assignee"] and "ledger board" in refused.value.fields["assignee"]
        with pytest.raises(actions.InvalidChange) as unknown:
            actions.update_ticket(session, world.desk, ticket, {"assignee": "nobody@desk.example"}, actor=lena,
                                  now=london(23, 10))
        assert list(unknown.value.fields) == ["assignee"]
        with pytest.raises(actions.InvalidChange) as empty:
            actions.add_staff_message(session, world.desk, ticket, actor=lena, body="  ", internal=False,
                                      now=london(23, 10))
        assert list(empty.value.fields) == ["body"]
        with pytest.raises(actions.InvalidChange) as flag:
            actions.add_staff_message(session, world.desk, ticket, actor=lena, body="Hi", internal="yes",
                                      now=london(23, 10))
        assert list(flag.value.fields) == ["internal"]
        assert (ticket.status, ticket.priority, ticket.assignee) == ("new", "critical", None)
        assert events(session, ticket) == []


def test_a_transition_the_lifecycle_refuses_names_the_allowed_ones_and_changes_nothing_else(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9))
        lena = world.account(session, LEDGER_STAFF)
        actions.update_ticket(session, world.desk, ticket, {"status": "resolved"}, actor=lena, now=london(23, 10))
        assert ticket.resolved_at == london(23, 10)
        with pytest.raises(TransitionRefused) as refused:
            actions.update_ticket(session, world.desk, ticket, {"status": "in_progress", "assignee": LEDGER_STAFF},
                                  actor=lena, now=london(23, 11))
        assert refused.value.allowed == ["closed", "open"]
        assert (ticket.status, ticket.assignee) == ("resolved", None)


def test_split_raises_a_ticket_of_its_own_linked_both_ways(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9))
        lena = world.account(session, LEDGER_STAFF)
        new = actions.split(session, world.desk, ticket, actor=lena, subject="Also: VAT rates",
                            description="Which VAT rate applies to exports?", now=london(23, 10))
        assert new.reference != ticket.reference and new.split_from == ticket.id
        assert (new.email, new.product, new.priority, new.contact_id) == (CUSTOMER, "ledger", "critical",
                                                                          ticket.contact_id)
        assert (new.status, new.created_at, new.respond_by) == ("new", london(23, 10), london(23, 12))
        assert events(session, ticket) == [("split", LEDGER_STAFF, {"to": new.reference})]
        assert [e.kind for e in history(session, new)] == ["created", "split"]
        assert history(session, new)[1].detail == {"from": ticket.reference}
        subjects = [mail["Subject"] for mail in queued(session, CUSTOMER)]
        assert f"[{new.reference}] We have your request: Also: VAT rates" in subjects
        with pytest.raises(actions.InvalidChange) as refused:
            actions.split(session, world.desk, ticket, actor=lena, subject="", description=None, now=london(23, 10))
        assert set(refused.value.fields) == {"subject", "description"}


def test_a_flagged_question_appears_in_kb_gaps(world: DeskWorld, desk_database: str, monkeypatch) -> None:
    with world.sessions() as session:
        lena = world.account(session, LEDGER_STAFF)
        for subject in ("Invoice export fails", "How do I export to ada@acme.example"):
            ticket = world.raise_ticket(session, london(23, 9), subject=subject)
            actions.flag_needs_article(session, ticket, actor=lena, now=london(23, 10))
        world.raise_ticket(session, london(23, 9), subject="Not flagged")
        session.commit()
    monkeypatch.setenv("KB_DATABASE_URL", desk_database)
    result = CliRunner().invoke(main, ["gaps", "--days", "3650", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["query"]: row["flagged_by_board"] for row in json.loads(result.output)}
    assert rows == {"invoice export fails": 1, "how do i export to [email]": 1}
