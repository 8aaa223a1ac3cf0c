"""A typical submission and the bridge's way of storing it, shared by the tests and their worker processes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy.orm import Session

from bridge.db import make_engine, make_session_factory
from bridge.notify.acknowledgement import compose_acknowledgement
from bridge.tickets.models import Ticket
from bridge.tickets.store import NewTicket, create_ticket

SITE_URL = "https://help.example.com"
SENDER = "Example Support <support@example.com>"
ACKNOWLEDGE_BY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RESPOND_BY = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


def compose(ticket: Ticket) -> EmailMessage:
    """The acknowledgement as the bridge composes it, for a desk in London."""
    return compose_acknowledgement(
        ticket,
        sender=SENDER,
        priority_label="High",
        response_promise="within 4 business hours",
        respond_by="Monday 23 November, 14:30 UK time",
        site_url=SITE_URL,
        ticket_url=f"{SITE_URL}/account/tickets/{ticket.reference}",
    )


def draft(**changes: object) -> NewTicket:
    """What a customer typically submits from the ticket form, with some fields changed."""
    fields: dict[str, object] = {
        "email": "ada@example.org",
        "name": "Ada Lovelace",
        "product": "Ledger",
        "subject": "Cannot export invoices",
        "description": "The export button does nothing.\nI tried twice.",
        "request_type": "incident",
        "priority": "high",
        "query": "export invoices",
        "page": "/ledger/invoices/",
        "suggested_articles": (
            {"title": "Exporting invoices", "url": "/ledger/invoices/export/"},
            {"title": "Invoice formats", "url": "ledger/invoices/formats/"},
        ),
    }
    fields.update(changes)
    return NewTicket(**fields)  # type: ignore[arg-type]


def submit(session: Session, **changes: object) -> Ticket:
    """Store a ticket the way the bridge does: added to the session, then committed by the caller (here)."""
    ticket = create_ticket(
        session,
        draft(**changes),
        reference_prefix="KB",
        acknowledge_by=ACKNOWLEDGE_BY,
        respond_by=RESPOND_BY,
        covered=True,
        compose_mail=compose,
    )
    session.commit()
    return ticket


def submit_many(url: str, count: int, start_together: threading.Barrier) -> None:
    """Worker process: wait until every worker is ready, then submit count tickets as fast as possible."""
    engine = make_engine(url)
    try:
        session_factory = make_session_factory(engine)
        start_together.wait()
        for number in range(count):
            with session_factory() as session:
                submit(session, subject=f"Concurrent request {number}")
    finally:
        engine.dispose()
