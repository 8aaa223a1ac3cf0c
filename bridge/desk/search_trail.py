"""What the board sees of the search that led to a ticket: each suggested article, and whether it was opened."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridge.searchlog.trail import article_path, searches_before
from bridge.tickets.models import Ticket
from bridge.tickets.policy import SupportPolicy


@dataclass(frozen=True)
class SearchTrail:
    """The searches for the ticket's query before it was raised, and the articles opened from them."""

    searches: int
    opened: tuple[str, ...]

    def was_opened(self, url: str) -> bool:
        return article_path(url) in self.opened


def search_trail(session: Session, ticket: Ticket, policy: SupportPolicy) -> SearchTrail:
    searches = searches_before(session, ticket.query or "", ticket.created_at, phone_region=policy.holidays.country)
    opened = tuple(dict.fromkeys(article_path(event.opened_url) for event in searches if event.opened_url))
    return SearchTrail(searches=len(searches), opened=opened)
