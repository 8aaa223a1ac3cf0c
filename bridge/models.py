"""Every table the bridge stores, gathered in one metadata so Alembic sees them all."""
from __future__ import annotations

from bridge.searchlog.models import ArticleFeedback, SearchEvent
from bridge.tickets.models import Base, Deflection, OutboxMessage, Ticket

__all__ = ["ArticleFeedback", "Base", "Deflection", "OutboxMessage", "SearchEvent", "Ticket"]
