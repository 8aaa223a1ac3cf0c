"""The statuses a ticket can be in, declared once, with the words customers read for each.

The stored value is the enum's value, so the database, the API and the templates all speak the
same words. Which status may follow which is the lifecycle's business (the desk issues add
it); this module only names them.
"""
from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHHELD = "withheld"
    # On a desk that charges credits (bridge/credits): the cost is quoted and the customer has not
    # approved it yet, or it is approved but the organisation has too few credits. No work meanwhile.
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_CREDITS = "awaiting_credits"

    @property
    def label(self) -> str:
        """What the customer reads on their ticket page and in mail."""
        return LABELS[self]


LABELS: dict[TicketStatus, str] = {
    TicketStatus.NEW: "Received",
    TicketStatus.OPEN: "Open",
    TicketStatus.IN_PROGRESS: "Being worked on",
    TicketStatus.WAITING_ON_CUSTOMER: "Waiting for your reply",
    TicketStatus.RESOLVED: "Resolved",
    TicketStatus.CLOSED: "Closed",
    TicketStatus.WITHHELD: "Withheld",
    TicketStatus.AWAITING_APPROVAL: "Waiting for your approval of the cost",
    TicketStatus.AWAITING_CREDITS: "Waiting for credits",
}
