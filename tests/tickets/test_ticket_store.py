"""Storing tickets: the schema the migrations build, and a ticket with its acknowledgement stored as one unit."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from ticket_samples import ACKNOWLEDGE_BY, RESPOND_BY, draft, submit

from bridge.db import upgrade_database
from bridge.db import Base
from bridge.notify.models import OutboxMessage
from bridge.tickets.models import Ticket
from bridge.tickets.reference import format_reference, parse_reference
from bridge.tickets.store import create_ticket, get_ticket_by_number


def test_migrations_create_the_tables_the_models_describe(engine: Engine, database_url: str) -> None:
    upgrade_database(database_url)  # a second run on every start must be harmless

    with engine.connect() as connection:
        assert {"tickets", "outbox_messages", "alembic_version"} <= set(inspect(connection).get_table_names())
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_ticket_and_acknowledgement_are_stored_together(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        ticket = submit(session)

    assert ticket.reference == format_reference(ticket.id, "KB")
    assert ticket.status == "new"
    with session_factory() as session:
        stored = get_ticket_by_number(session, parse_reference(ticket.reference, "KB"))
        assert stored is not None
        assert (stored.reference, stored.subject, stored.covered) == (ticket.reference, "Cannot export invoices", True)
        assert stored.description == "The export button does nothing.\nI tried twice."
        assert stored.suggested_articles == [
            {"title": "Exporting invoices", "url": "/ledger/invoices/export/"},
            {"title": "Invoice formats", "url": "ledger/invoices/formats/"},
        ]
        assert (stored.acknowledge_by, stored.respond_by) == (ACKNOWLEDGE_BY, RESPOND_BY)
        assert stored.created_at.tzinfo == UTC
        assert abs(stored.created_at - datetime.now(UTC)).total_seconds() < 60

        outbox = session.scalars(select(OutboxMessage)).one()
    assert (outbox.ticket_id, outbox.kind, outbox.recipient) == (ticket.id, "acknowledgement", "ada@example.org")
    assert outbox.attempts == 0 and outbox.sent_at is None
    assert outbox.next_attempt_at is not None and outbox.next_attempt_at <= datetime.now(UTC)
    mail = message_from_bytes(outbox.message, policy=default)
    assert mail["Subject"] == outbox.subject == f"[{ticket.reference}] We have your request: Cannot export invoices"


def test_nothing_is_stored_when_the_acknowledgement_cannot_be_composed(session_factory: sessionmaker[Session]) -> None:
    def broken_template(ticket: Ticket) -> None:
        raise RuntimeError("template missing")

    with session_factory() as session:
        with pytest.raises(RuntimeError, match="template missing"), session.begin():
            create_ticket(
                session,
                draft(),
                reference_prefix="KB",
                acknowledge_by=ACKNOWLEDGE_BY,
                respond_by=RESPOND_BY,
                covered=True,
                compose_mail=broken_template,  # type: ignore[arg-type]
            )

        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert submit(session).reference is not None  # the session is usable again after the rollback


def test_unknown_ticket_number_is_not_found(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert get_ticket_by_number(session, 999_999) is None
