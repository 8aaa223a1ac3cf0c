"""Several bridge processes submitting at once must never hand out the same reference twice."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from ticket_samples import submit_many

from bridge.notify.models import OutboxMessage
from bridge.tickets.models import Ticket
from bridge.tickets.reference import format_reference

PROCESSES = 4
TICKETS_PER_PROCESS = 50


def test_concurrent_submissions_from_several_processes_get_distinct_references(
    database_url: str, session_factory: sessionmaker[Session]
) -> None:
    context = multiprocessing.get_context("spawn")
    start_together = context.Barrier(PROCESSES)
    workers = [
        context.Process(target=submit_many, args=(database_url, TICKETS_PER_PROCESS, start_together))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    exit_codes = [worker.exitcode for worker in workers]
    for worker in workers:
        if worker.is_alive():
            worker.kill()
            worker.join()
        worker.close()
    assert exit_codes == [0] * PROCESSES

    with session_factory() as session:
        tickets = session.execute(select(Ticket.id, Ticket.reference)).all()
        acknowledged = session.scalars(select(OutboxMessage.ticket_id)).all()
    references = [reference for _, reference in tickets]
    assert len(tickets) == PROCESSES * TICKETS_PER_PROCESS
    assert len(set(references)) == len(references)
    assert all(reference == format_reference(number, "KB") for number, reference in tickets)
    assert sorted(acknowledged) == sorted(number for number, _ in tickets)
