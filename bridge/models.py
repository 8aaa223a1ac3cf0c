"""Every table the bridge stores, gathered on the one metadata of `bridge.db.Base` so Alembic sees them all."""
from __future__ import annotations

from bridge.accounts.models import Contact, Organisation, StaffMember
from bridge.db import Base
from bridge.notify.models import OutboxMessage
from bridge.searchlog.models import ArticleFeedback, SearchEvent
from bridge.tickets.models import Deflection, IdempotencyKey, Ticket, TicketEvent

__all__ = ["ArticleFeedback", "Base", "Contact", "Deflection", "IdempotencyKey", "Organisation", "OutboxMessage",
           "SearchEvent", "StaffMember", "Ticket", "TicketEvent"]
