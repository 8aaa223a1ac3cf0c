"""The searches behind a ticket: what the customer looked for before raising it, and what they opened.

The log keeps no personal data, so nothing ties a search to a ticket directly. A ticket carries the
query that led to it, and the log holds that query as it stores every query (normalised, then with
personal data taken out); the searches for those same words in the hours before the ticket was raised
are the customer's trail, or one very like it. The desk reads it as a hint ("an article was opened"),
never as a record of who did what.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.search.query import normalise
from bridge.searchlog.models import SearchEvent
from bridge.searchlog.redact import redact_query

WINDOW = timedelta(hours=2)


def searches_before(session: Session, query: str, raised_at: datetime, *, phone_region: str,
                    window: timedelta = WINDOW) -> list[SearchEvent]:
    """Searches for query (as the log stores it) in the window before raised_at, oldest first."""
    stored = redact_query(normalise(query), region=phone_region)
    if not stored:
        return []
    return list(session.scalars(select(SearchEvent).where(
        SearchEvent.query == stored, SearchEvent.created_at <= raised_at, SearchEvent.created_at >= raised_at - window)
        .order_by(SearchEvent.created_at)))


def article_path(url: str) -> str:
    """A link to an article as one key, however it was written: no leading slash, fragment or query."""
    return url.split("#", 1)[0].split("?", 1)[0].strip().lstrip("/")
