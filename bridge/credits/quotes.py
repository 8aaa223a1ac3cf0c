"""Work outside the agreement: a quote (cost, currency, timescale) the customer accepts or declines before any work.

Two kinds of request get one: a new requirement, which the agreement does not cover, and
out-of-hours cover (evenings, weekends, holidays), which costs extra and needs notice. The board
offers the quote, the ticket waits for the customer with its clock stopped, and only an
acceptance reopens the work. Declining closes a new requirement; declined cover leaves the
request to be handled in office hours. A quote is decided once: a second answer, or two at once,
finds it decided (a conditional UPDATE, the same on SQLite and PostgreSQL).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bridge.credits.assessment import FINISHED, CreditsRefused
from bridge.credits.mail import CustomerMail
from bridge.credits.models import WorkQuote
from bridge.desk.targets import after_status_change
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.lifecycle import change_status, record_event
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus

NEW_REQUIREMENT, OUT_OF_HOURS = "new_requirement", "out_of_hours"
OFFERED, ACCEPTED, DECLINED, REPLACED = "offered", "accepted", "declined", "replaced"
MAX_TIMESCALE = 200
MAX_COST = Decimal("9999999999.99")
_CURRENCY = re.compile(r"[A-Z]{3}")
QUOTE_MAIL, QUOTE_DECISION_MAIL = "work_quote", "work_quote_decision"
WHAT = {NEW_REQUIREMENT: "your new requirement", OUT_OF_HOURS: "the out-of-hours cover you asked for"}


def quote_reason(ticket: Ticket) -> str | None:
    """Why the ticket needs a quote before any work, or None when it does not."""
    if ticket.request_type == NEW_REQUIREMENT:
        return NEW_REQUIREMENT
    return OUT_OF_HOURS if ticket.cover_from is not None else None


@dataclass(frozen=True)
class QuoteTerms:
    """A quote as the board sends it, checked."""

    cost: Decimal
    currency: str
    timescale: str
    note: str | None

    @classmethod
    def read(cls, body: dict[str, Any]) -> QuoteTerms:
        """From a request body; CreditsRefused naming the first bad field."""
        try:
            cost = Decimal(str(body.get("cost")))
        except InvalidOperation:
            cost = Decimal("NaN")
        if isinstance(body.get("cost"), bool) or not cost.is_finite() or not 0 < cost <= MAX_COST \
                or cost != cost.quantize(Decimal("0.01")):
            raise CreditsRefused(400, "invalid_quote", "cost must be an amount above 0 with at most two decimals, "
                                 "such as 1200 or 49.99", "cost")
        currency = body.get("currency")
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            raise CreditsRefused(400, "invalid_quote", "currency must be a three-letter code such as GBP", "currency")
        timescale = body.get("timescale")
        if not isinstance(timescale, str) or not timescale.strip() or len(timescale) > MAX_TIMESCALE:
            raise CreditsRefused(400, "invalid_quote", f"timescale must be 1 to {MAX_TIMESCALE} characters, such as "
                                 "\"two weeks from acceptance\"", "timescale")
        note = body.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 2000):
            raise CreditsRefused(400, "invalid_quote", "note must be text of at most 2000 characters", "note")
        return cls(cost.quantize(Decimal("0.01")), currency, " ".join(timescale.split()), (note or "").strip() or None)


class QuoteDesk:
    """Offering and deciding quotes, wired once per process (bridge.services)."""

    def __init__(self, calendar: BusinessCalendar, mail: CustomerMail) -> None:
        self.calendar = calendar
        self.mail = mail

    def offer(self, session: Session, ticket: Ticket, terms: QuoteTerms, *, actor: str, now: datetime) -> WorkQuote:
        """Send the customer a quote and hold the ticket until they answer; it replaces any quote still open."""
        reason = quote_reason(ticket)
        if reason is None:
            raise CreditsRefused(409, "not_quotable", f"{ticket.reference} is neither a new requirement nor a request "
                                 "for out-of-hours cover: it is covered by the agreement")
        if TicketStatus(ticket.status) in FINISHED:
            raise CreditsRefused(409, "ticket_not_quotable", f"{ticket.reference} is {ticket.status}")
        session.execute(update(WorkQuote).where(WorkQuote.ticket_id == ticket.id, WorkQuote.status == OFFERED)
                        .values(status=REPLACED).execution_options(synchronize_session=False))
        quote = WorkQuote(ticket_id=ticket.id, reason=reason, cost=terms.cost, currency=terms.currency,
                          timescale=terms.timescale, note=terms.note, status=OFFERED, offered_by=actor, offered_at=now)
        session.add(quote)
        record_event(session, ticket, kind="quoted", actor=actor, now=now,
                     detail={"reason": reason, "cost": f"{terms.cost:.2f}", "currency": terms.currency,
                             "timescale": terms.timescale})
        if TicketStatus(ticket.status) is not TicketStatus.AWAITING_APPROVAL:
            change_status(session, ticket, TicketStatus.AWAITING_APPROVAL, actor=actor, now=now, detail={"quote": reason})
            after_status_change(ticket, self.calendar, now)
        cover = f" from {ticket.cover_from:%Y-%m-%d %H:%M} UTC" if reason == OUT_OF_HOURS and ticket.cover_from else ""
        self.mail.send(session, ticket, kind=QUOTE_MAIL, now=now,
                       subject=f"Quote for {WHAT[reason]}: {terms.cost:.2f} {terms.currency}",
                       paragraphs=[f"Our quote for {WHAT[reason]}{cover}: {terms.cost:.2f} {terms.currency}, "
                                   f"timescale: {terms.timescale}.", *([terms.note] if terms.note else []),
                                   "No work starts until you accept it. Accept or decline on the request's page."])
        session.flush()
        return quote

    def decide(self, session: Session, ticket: Ticket, accept: bool, *, actor: str, now: datetime) -> WorkQuote:
        """The customer's answer to the open quote; CreditsRefused when none is open (decided already)."""
        quote = open_quote(session, ticket)
        decided = None if quote is None else session.execute(
            update(WorkQuote).where(WorkQuote.id == quote.id, WorkQuote.status == OFFERED)
            .values(status=ACCEPTED if accept else DECLINED, decided_by=actor, decided_at=now)
            .execution_options(synchronize_session=False))
        if quote is None or decided.rowcount != 1:
            raise CreditsRefused(409, "nothing_to_approve", f"{ticket.reference} has no quote waiting for an answer")
        session.refresh(quote)
        closes = not accept and quote.reason == NEW_REQUIREMENT
        change_status(session, ticket, TicketStatus.CLOSED if closes else TicketStatus.OPEN, actor=actor, now=now,
                      detail={"quote": quote.reason, "accepted": accept})
        after_status_change(ticket, self.calendar, now)
        what = f"{quote.cost:.2f} {quote.currency} for {WHAT[quote.reason]}"
        if accept:
            subject, words = "Quote accepted", f"Thank you: you accepted our quote of {what}. The work starts now."
        elif closes:
            subject, words = "Quote declined: closed", f"You declined our quote of {what}, so we have closed the request."
        else:
            subject, words = "Quote declined", (f"You declined our quote of {what}. We will handle your request "
                                                "in office hours instead.")
        self.mail.send(session, ticket, kind=QUOTE_DECISION_MAIL, subject=subject, paragraphs=[words], now=now)
        return quote


def open_quote(session: Session, ticket: Ticket) -> WorkQuote | None:
    """The quote waiting for the customer's answer, if any."""
    return session.scalar(select(WorkQuote).where(WorkQuote.ticket_id == ticket.id, WorkQuote.status == OFFERED))


def latest_quote(session: Session, ticket: Ticket) -> WorkQuote | None:
    """The newest quote of the ticket, whatever became of it (for its page)."""
    return session.scalar(select(WorkQuote).where(WorkQuote.ticket_id == ticket.id, WorkQuote.status != REPLACED)
                          .order_by(WorkQuote.id.desc()).limit(1))


def quote_json(quote: WorkQuote) -> dict[str, Any]:
    return {"reason": quote.reason, "cost": f"{quote.cost:.2f}", "currency": quote.currency,
            "timescale": quote.timescale, "note": quote.note, "status": quote.status,
            "offered_at": quote.offered_at.isoformat(),
            "decided_at": quote.decided_at.isoformat() if quote.decided_at else None}
