"""A ticket's credits and quote as the API shows them: in its detail (`GET /api/tickets/<REF>`, to the
customer and to the board alike) and in the answer to an assessment, an approval or a quote.

Apart from bridge/web/credits.py so the ticket views can show them without importing the credits views.
"""
from __future__ import annotations

from typing import Any

from bridge.credits.quotes import latest_quote, quote_json, quote_reason
from bridge.tickets.models import Ticket
from bridge.web.context import db_session, services


def ticket_credits(ticket: Ticket) -> dict[str, Any] | None:
    """The customer's consent, the credits charged (a desk that charges them, a ticket of an organisation) and
    the latest quote (work outside the agreement); None when none of it applies to the ticket."""
    session, desk = db_session(), services().credits()
    charging = desk.charging(session, ticket) if desk is not None and ticket.organisation_id is not None else None
    quote = latest_quote(session, ticket)
    if charging is None and quote is None and quote_reason(ticket) is None:
        return None
    return {"consent": ticket.credit_consent, "charging": charging.as_json() if charging else None,
            "quote": quote_json(quote) if quote else None}


def standing(ticket: Ticket) -> dict[str, Any]:
    """Where a ticket stands after an approval or a quote: its status, its credits (or null), its latest quote."""
    credits = ticket_credits(ticket) or {"charging": None, "quote": None}
    return {"reference": ticket.reference, "status": ticket.status, "charging": credits["charging"],
            "quote": credits["quote"]}
