"""Targets in business time: met by the first public reply, paused while waiting on the customer, breached,
recomputed on a new priority, counted from a release. London desk, 08:30-18:00 on weekdays."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.desk import actions, targets
from bridge.tickets.lifecycle import history
from bridge.tickets.models import Ticket, TicketEvent
from bridge.tickets.status import TicketStatus
from tests.desk.desk_fixtures import CUSTOMER, LEDGER_STAFF, DeskWorld, london, make_world


def test_a_ticket_that_waited_3_business_hours_is_due_3_business_hours_later(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9))  # Monday 09:00, critical: respond 2 h, resolve 8 h
        assert (ticket.respond_by, ticket.resolve_by) == (london(23, 11), london(23, 17))
        staff = world.account(session, LEDGER_STAFF)
        actions.update_ticket(session, world.desk, ticket, {"status": "waiting_on_customer"}, actor=staff,
                              now=london(23, 9, 30))
        assert ticket.waiting_since == london(23, 9, 30)
        assert targets.hours_left(ticket, world.desk.calendar, london(23, 15)) == 1.5  # frozen while waiting

        actions.customer_message(session, world.desk, ticket, author_email=CUSTOMER, author_name="Ada", body="Done.",
                                 uploads=[], max_attachment_bytes=1000, now=london(23, 12, 30))

        assert ticket.status == TicketStatus.OPEN and ticket.waiting_since is None
        # 11:00 + 3 h; 17:00 + 3 h runs past the 18:00 close: one hour on Monday, two from Tuesday's 08:30
        assert (ticket.respond_by, ticket.resolve_by) == (london(23, 14), london(24, 10, 30))


def test_a_wait_over_the_night_counts_only_office_hours(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 15))  # respond by 17:00
        staff = world.account(session, LEDGER_STAFF)
        actions.update_ticket(session, world.desk, ticket, {"status": "waiting_on_customer"}, actor=staff,
                              now=london(23, 16))
        actions.update_ticket(session, world.desk, ticket, {"status": "open"}, actor=staff, now=london(24, 10, 30))
        # waited 16:00-18:00 and 08:30-10:30: 4 business hours; 17:00 + 4 h is 18:00, then 3 h from Tuesday 08:30
        assert ticket.respond_by == london(24, 11, 30)


def test_the_first_public_reply_meets_the_response_target_and_a_note_does_not(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9))
        staff = world.account(session, LEDGER_STAFF)
        actions.add_staff_message(session, world.desk, ticket, actor=staff, body="Checking logs", internal=True,
                                  now=london(23, 9, 10))
        assert ticket.responded_at is None
        actions.add_staff_message(session, world.desk, ticket, actor=staff, body="Try again now", internal=False,
                                  now=london(23, 10))
        actions.add_staff_message(session, world.desk, ticket, actor=staff, body="Any luck?", internal=False,
                                  now=london(23, 12))
        assert ticket.responded_at == london(23, 10)
        assert not targets.breached(ticket, london(23, 16))
        assert targets.next_target(ticket) == london(23, 17)  # the resolution target, once the response is met


def test_breach_in_python_and_in_sql_agree(world: DeskWorld) -> None:
    with world.sessions() as session:
        late = world.raise_ticket(session, london(23, 9), subject="Nobody answered")
        answered = world.raise_ticket(session, london(23, 9), subject="Answered in time")
        waiting = world.raise_ticket(session, london(23, 9), subject="Waiting on the customer")
        answered_late = world.raise_ticket(session, london(23, 9), subject="Answered late")
        staff = world.account(session, LEDGER_STAFF)
        actions.add_staff_message(session, world.desk, answered, actor=staff, body="Hi", internal=False,
                                  now=london(23, 10))
        actions.update_ticket(session, world.desk, waiting, {"status": "waiting_on_customer"}, actor=staff,
                              now=london(23, 10))
        actions.add_staff_message(session, world.desk, answered_late, actor=staff, body="Sorry", internal=False,
                                  now=london(23, 11, 30))
        session.flush()
        now = london(23, 11, 15)

        assert [t.subject for t in (late, answered, waiting, answered_late) if targets.breached(t, now)] == [
            "Nobody answered", "Answered late"]
        in_sql = session.scalars(select(Ticket.subject).where(targets.breached_condition(now)).order_by(Ticket.id))
        assert list(in_sql) == ["Nobody answered", "Answered late"]
        assert targets.hours_left(late, world.desk.calendar, now) == -0.25
        assert targets.state(late, world.desk.calendar, now).as_json()["breached"] is True


def test_a_new_priority_recomputes_the_targets_from_creation(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9), priority="standard")  # 32 h: 9 + 9.5 + 9.5 + 4
        assert ticket.respond_by == london(26, 12, 30) and ticket.resolve_by is None
        staff = world.account(session, LEDGER_STAFF)
        actions.update_ticket(session, world.desk, ticket, {"priority": "critical"}, actor=staff, now=london(23, 15))
        assert (ticket.respond_by, ticket.resolve_by) == (london(23, 11), london(23, 17))
        assert targets.breached(ticket, london(23, 15))
        event = [e for e in ticket_events(session, ticket) if e.kind == "priority"][0]
        assert (event.actor, event.detail) == (LEDGER_STAFF, {"from": "standard", "to": "critical"})


def test_a_new_priority_keeps_the_time_already_waited_on_the_customer(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9), priority="standard")
        staff = world.account(session, LEDGER_STAFF)
        actions.update_ticket(session, world.desk, ticket, {"status": "waiting_on_customer"}, actor=staff,
                              now=london(23, 9, 30))
        actions.update_ticket(session, world.desk, ticket, {"status": "open"}, actor=staff, now=london(23, 12, 30))
        actions.update_ticket(session, world.desk, ticket, {"priority": "critical"}, actor=staff, now=london(23, 13))
        assert ticket.respond_by == london(23, 14)  # 09:00 + 2 h, and the 3 hours it waited


def test_a_released_ticket_is_new_with_targets_from_the_release(sessions, resolution_policy) -> None:
    world = make_world(sessions, resolution_policy, entitlement="nominated")
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9), email="walk@in.example")  # not a contact: withheld
        assert (ticket.status, ticket.respond_by, ticket.resolve_by) == ("withheld", None, None)
        staff = world.account(session, LEDGER_STAFF)
        actions.release(session, world.desk, ticket, actor=staff, now=london(24, 10))
        assert ticket.status == TicketStatus.NEW and ticket.withheld_reason is None
        assert (ticket.respond_by, ticket.resolve_by) == (london(24, 12), london(24, 18))
        assert [(e.from_status, e.to_status) for e in ticket_events(session, ticket)] == [
            (None, "withheld"), ("withheld", "new")]
        actions.update_ticket(session, world.desk, ticket, {"priority": "urgent"}, actor=staff, now=london(24, 11))
        assert ticket.respond_by == london(25, 15, 30)  # 15 h from the release: 8 on Tuesday, 7 from Wednesday 08:30


def ticket_events(session: Session, ticket: Ticket) -> list[TicketEvent]:
    session.flush()
    return history(session, ticket)


def test_the_customer_s_sign_off_meets_the_resolution_target_and_a_reopening_owes_it_again(world: DeskWorld) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9))
        staff = world.account(session, LEDGER_STAFF)
        actions.add_staff_message(session, world.desk, ticket, actor=staff, body="Fixed.", internal=False,
                                  now=london(23, 9, 30))
        actions.update_ticket(session, world.desk, ticket, {"status": "resolved"}, actor=staff, now=london(23, 10))
        actions.customer_message(session, world.desk, ticket, author_email=CUSTOMER, author_name="Ada",
                                 body="It broke again.", uploads=[], max_attachment_bytes=1000, now=london(23, 11))
        assert (ticket.status, ticket.resolved_at) == ("open", None)
        actions.customer_close(session, world.desk, ticket, actor=CUSTOMER, rating=5, comment=None,
                               now=london(23, 12))
        assert (ticket.status, ticket.resolved_at, ticket.rating) == ("closed", london(23, 12), 5)
        assert not targets.breached(ticket, london(30, 9))  # closed before 17:00: nothing runs on afterwards
