"""Ticket numbers are reserved before a ticket is written, and a reference is never handed out twice."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from ticket_samples import submit

from bridge.db import make_engine
from bridge.notify.models import OutboxMessage
from bridge.tickets.models import Ticket, TicketEvent
from bridge.tickets.numbers import COUNTER_SUFFIX, reserve_number
from bridge.tickets.reference import format_reference


def test_the_acknowledgement_quotes_the_reference_the_ticket_is_stored_with(
        session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        first, second = submit(session), submit(session)
        mails = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()

    assert (first.id, second.id) == (1, 2)
    assert [mail.subject.split("]")[0] for mail in mails] == [f"[{format_reference(1, 'KB')}", f"[{format_reference(2, 'KB')}"]
    assert [mail.ticket_id for mail in mails] == [1, 2]


def test_threads_reserving_at_once_each_get_a_number_of_their_own(session_factory: sessionmaker[Session]) -> None:
    numbers: list[int] = []
    start = threading.Barrier(8)

    def reserve_some() -> None:
        with session_factory() as session:
            start.wait()
            numbers.extend(reserve_number(session) for _ in range(25))

    threads = [threading.Thread(target=reserve_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(numbers) == list(range(min(numbers), min(numbers) + 200))


def test_a_deleted_tickets_number_is_not_given_again_even_without_the_counter(
        session_factory: sessionmaker[Session], database_url: str) -> None:
    with session_factory() as session:
        last = submit(session)
        for model in (OutboxMessage, TicketEvent, Ticket):
            session.execute(delete(model))
        session.commit()
    if database_url.startswith("sqlite:///"):  # its counter lost, as after restoring the database alone
        Path(f"{database_url.removeprefix('sqlite:///')}{COUNTER_SUFFIX}").unlink()

    with session_factory() as session:
        assert submit(session).id > last.id


def test_a_ticket_written_without_a_reserved_number_is_never_given_its_number_again(
        session_factory: sessionmaker[Session], database_url: str) -> None:
    if not database_url.startswith("sqlite:///"):
        pytest.skip("PostgreSQL numbers come from the table's own identity sequence, which a writer of explicit ids "
                    "must advance (setval), as for any identity column")
    with session_factory() as session:
        first = submit(session)
        copied = {column.key: getattr(first, column.key) for column in Ticket.__table__.columns}
        session.add(Ticket(**{**copied, "id": 40, "reference": format_reference(40, "KB")}))  # as an import writes it
        session.commit()

        assert submit(session).id == 41


def test_a_sqlite_database_in_memory_is_refused_by_name() -> None:
    engine = make_engine("sqlite://")
    try:
        with Session(engine) as session, pytest.raises(ValueError, match="KB_DATABASE_URL"):
            reserve_number(session)
    finally:
        engine.dispose()
