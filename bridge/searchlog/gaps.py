"""`kb gaps`: the questions the help centre failed to answer, for writers to decide what to write next."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bridge.searchlog.models import SearchEvent


@dataclass(frozen=True)
class Gap:
    """One normalised query and how often it went unanswered, and how; flagged_by_board counts the tickets
    the review board flagged as needing an article for it (bridge/desk/articles_wanted.py)."""

    query: str
    searches: int
    no_results: int
    no_click: int
    contacted_support: int
    not_helpful: int
    last_searched: datetime
    flagged_by_board: int = 0


def unresolved_searches(session: Session, since: datetime) -> list[Gap]:
    """Queries that found nothing, were not followed by a click, led to support, or were marked unhelpful; newest first."""
    failed = or_(SearchEvent.result_count == 0, SearchEvent.opened_url.is_(None),
                 SearchEvent.contacted_support, SearchEvent.not_helpful)

    def count(condition) -> object:  # noqa: ANN001 (a SQL expression)
        return func.sum(case((condition, 1), else_=0))

    rows = session.execute(
        select(
            SearchEvent.query,
            func.count(),
            count(SearchEvent.result_count == 0),
            count(SearchEvent.opened_url.is_(None)),
            count(SearchEvent.contacted_support),
            count(SearchEvent.not_helpful),
            func.max(SearchEvent.created_at),
        )
        .where(SearchEvent.created_at >= since, failed)
        .group_by(SearchEvent.query)
        .order_by(func.max(SearchEvent.created_at).desc(), SearchEvent.query)
    )
    return [Gap(query, *(int(n) for n in counts), last_searched=last) for query, *counts, last in rows]

