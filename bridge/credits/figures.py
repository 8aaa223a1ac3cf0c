"""Credits and quotes in the desk's figures (`kb report`, /desk/report), over the tickets of a period."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.credits.models import CreditEntry, TicketAssessment, WorkQuote
from bridge.credits.quotes import ACCEPTED, DECLINED, OFFERED

QUOTE_OUTCOMES = (OFFERED, ACCEPTED, DECLINED)


def credits_by_category(session: Session, ticket_ids: Sequence[int], order: Sequence[str] = ()) -> dict[str, int]:
    """Credits charged for these tickets, net of adjustments and refunds, by the category each is assessed in now
    (the policy's order first; a category charged nothing still shows, as 0, when it was assessed)."""
    rows = session.execute(
        select(TicketAssessment.category, func.coalesce(func.sum(CreditEntry.amount), 0))
        .outerjoin(CreditEntry, CreditEntry.ticket_id == TicketAssessment.ticket_id)
        .where(TicketAssessment.ticket_id.in_(list(ticket_ids))).group_by(TicketAssessment.category)).all()
    charged = {category: -int(total) for category, total in rows}
    return {key: charged[key] for key in [*[k for k in order if k in charged], *sorted(set(charged) - set(order))]}


def quotes_by_outcome(session: Session, ticket_ids: Sequence[int]) -> dict[str, dict[str, int]]:
    """For each kind of work outside the agreement, how many quotes wait for an answer, were accepted, declined."""
    rows = session.execute(select(WorkQuote.reason, WorkQuote.status, func.count())
                           .where(WorkQuote.ticket_id.in_(list(ticket_ids)), WorkQuote.status.in_(QUOTE_OUTCOMES))
                           .group_by(WorkQuote.reason, WorkQuote.status)).all()
    counted: dict[str, dict[str, int]] = {}
    for reason, status, n in sorted(rows):
        counted.setdefault(reason, dict.fromkeys(QUOTE_OUTCOMES, 0))[status] = n
    return counted
