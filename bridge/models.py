"""Every table the bridge stores, gathered on the one metadata of `bridge.db.Base` so Alembic sees them all."""
from __future__ import annotations

from bridge.accounts.models import Contact, Organisation, StaffMember
from bridge.accounts.signin import SignInLink
from bridge.credits.models import CreditEntry, TicketAssessment, WorkQuote
from bridge.db import Base
from bridge.mailin.models import InboundMessage
from bridge.notify.models import OutboxMessage
from bridge.release_notes.models import AnnouncedReleaseNote
from bridge.searchlog.models import ArticleFeedback, SearchEvent
from bridge.tickets.conversation import Attachment, TicketMessage
from bridge.tickets.models import Deflection, IdempotencyKey, Ticket, TicketEvent

__all__ = ["AnnouncedReleaseNote", "ArticleFeedback", "Attachment", "Base", "Contact", "CreditEntry", "Deflection",
           "IdempotencyKey", "InboundMessage", "Organisation", "OutboxMessage", "SearchEvent", "SignInLink", "StaffMember",
           "Ticket", "TicketAssessment", "TicketEvent", "TicketMessage", "WorkQuote"]
