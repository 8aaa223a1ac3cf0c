"""Questions the review board flagged as needing an article, for `kb gaps` beside the searches that failed.

A flagged ticket's question is the search that led to it, or its subject when the customer did
not search; it is cleaned like any logged query (bridge/searchlog/redact.py), so an address or a
phone number typed into a subject never reaches the writers' report.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.searchlog.gaps import Gap
from bridge.searchlog.redact import redact_query
from bridge.tickets.models import Ticket, TicketEvent

FLAGGED = "needs_article"


def flagged_questions(session: Session, since: datetime, *, region: str) -> dict[str, tuple[int, datetime]]:
    """Each flagged question (lower case, as the search log keeps queries): how many tickets, and the latest flag."""
    rows = session.execute(select(Ticket.query, Ticket.subject, TicketEvent.at)
                           .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
                           .where(Ticket.needs_article, TicketEvent.kind == FLAGGED, TicketEvent.at >= since))
    counts: Counter[str] = Counter()
    latest: dict[str, datetime] = {}
    for query, subject, at in rows:
        question = redact_query(query or subject, region=region).lower()
        counts[question] += 1
        latest[question] = max(at, latest.get(question, at))
    return {question: (count, latest[question]) for question, count in counts.items()}


def with_flagged(gaps: list[Gap], flagged: dict[str, tuple[int, datetime]]) -> list[Gap]:
    """The gaps with the board's flags counted in; a flagged question nobody searched for is a gap of its own
    (no searches, last_searched its latest flag). Newest first, as `kb gaps` lists them."""
    merged = {gap.query: gap for gap in gaps}
    for question, (count, at) in flagged.items():
        found = merged.get(question)
        if found is None:
            merged[question] = Gap(question, 0, 0, 0, 0, 0, last_searched=at, flagged_by_board=count)
        else:
            merged[question] = dataclasses.replace(found, flagged_by_board=count,
                                                   last_searched=max(found.last_searched, at))
    return sorted(merged.values(), key=lambda gap: (-gap.last_searched.timestamp(), gap.query))
