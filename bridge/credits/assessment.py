"""Charging tickets: the board's assessment, the customer's approval, and credits arriving for tickets that wait.

One rule runs through it: a ticket's charges in the ledger always add up to at most one category,
the one it is assessed in now. Every change goes through `_settle`, which runs with the
organisation locked (bridge.credits.ledger.lock_organisation) and works out the difference
between what the ticket has been charged and what its category costs, so the same assessment
twice, or two at once, charges once, and a re-assessment records only the difference. A ticket
whose customer asked to know the cost first waits in `awaiting_approval`; one the organisation
cannot pay for waits in `awaiting_credits` until credits are added. While it waits its targets'
clock is stopped (bridge.desk.targets): the wait is added to them when work resumes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.accounts.models import Organisation
from bridge.credits.ledger import EntryKind, balance, charged_for, lock_organisation, record
from bridge.credits.mail import CustomerMail, packages_offered
from bridge.credits.models import CreditEntry, TicketAssessment
from bridge.desk.targets import after_status_change
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.lifecycle import SYSTEM, change_status, record_event
from bridge.tickets.models import Ticket
from bridge.tickets.policy import CreditCategory, CreditTerms
from bridge.tickets.status import TicketStatus
from bridge.tickets.validation import QUOTE_FIRST

WAITING = (TicketStatus.AWAITING_APPROVAL, TicketStatus.AWAITING_CREDITS)
FINISHED = (TicketStatus.CLOSED, TicketStatus.WITHHELD)
# Outbox kinds of the mail sent here.
QUOTE_MAIL, CHARGE_MAIL, CREDITS_NEEDED_MAIL, DECISION_MAIL = "credit_quote", "credit_charge", "credits_needed", "credit_decision"


class CreditsRefused(Exception):
    """A credits action that cannot happen now; status is the HTTP answer, field the request field at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass(frozen=True)
class Charging:
    """Where a ticket stands in credits after an action: its category, what it has cost, what is left."""

    reference: str
    status: str
    category: str | None
    category_credits: int | None
    charged: int
    balance: int

    def as_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "status": self.status, "category": self.category,
                "category_credits": self.category_credits, "charged": self.charged, "balance": self.balance}


class CreditDesk:
    """The credits desk's rules over the ledger, wired once per process (bridge.services) from the policy."""

    def __init__(self, terms: CreditTerms, calendar: BusinessCalendar, mail: CustomerMail) -> None:
        self.terms = terms
        self.calendar = calendar
        self.mail = mail

    # --- the ledger's own entries -----------------------------------------------------------------

    def grant(self, session: Session, organisation: Organisation, *, actor: str, now: datetime) -> CreditEntry:
        """The free credits a new organisation starts with."""
        session.flush()
        return record(session, organisation.id, EntryKind.GRANT, self.terms.grant, actor=actor, now=now,
                      note="Free credits of technical support included with the product")

    def purchase(self, session: Session, organisation: Organisation, credits: int, *, note: str, actor: str,
                 now: datetime) -> tuple[CreditEntry, list[Charging]]:
        """Record a package bought (paid outside the bridge), then charge the tickets waiting for credits."""
        try:
            package = self.terms.package(credits)
        except KeyError as unknown:
            raise CreditsRefused(400, "unknown_package", unknown.args[0], "package") from None
        lock_organisation(session, organisation.id)
        entry = record(session, organisation.id, EntryKind.PURCHASE, package.credits, actor=actor, now=now,
                       note=f"Package of {package.credits} credits ({package.price:.2f} {package.currency}): {note}")
        return entry, self._charge_waiting(session, organisation.id, now=now)

    # --- assessing and approving --------------------------------------------------------------------

    def assess(self, session: Session, ticket: Ticket, category_key: object, *, note: str | None, actor: str,
               now: datetime) -> Charging:
        """Put ticket in a category: charge it (or the difference), quote it first, or hold it for credits."""
        category = self._category(category_key)
        state = self._locked(session, ticket)
        previous = state.category if state else None
        if state is None:
            state = TicketAssessment(ticket_id=ticket.id, category=category.key, assessed_by=actor, assessed_at=now)
            session.add(state)
        state.category, state.note, state.assessed_by, state.assessed_at = category.key, note, actor, now
        record_event(session, ticket, kind="assessed", actor=actor, now=now,
                     detail={"category": category.key, "credits": category.credits, "note": note})
        charged = charged_for(session, ticket.id)
        if ticket.credit_consent == QUOTE_FIRST and state.approved_at is None and category.credits > charged:
            if previous != category.key or TicketStatus(ticket.status) is not TicketStatus.AWAITING_APPROVAL:
                self._wait(session, ticket, state, TicketStatus.AWAITING_APPROVAL, actor=actor, now=now)
                self._mail_quote(session, ticket, category, note, now=now)
            return self._where(session, ticket, state)
        return self._settle(session, ticket, state, reason=note, actor=actor, now=now)

    def decide(self, session: Session, ticket: Ticket, approve: bool, *, actor: str, now: datetime) -> Charging:
        """The customer's answer to a quoted assessment: approval charges and reopens, declining closes uncharged."""
        state = self._locked(session, ticket)
        if state is None or TicketStatus(ticket.status) is not TicketStatus.AWAITING_APPROVAL:
            raise CreditsRefused(409, "nothing_to_approve", f"{ticket.reference} has no cost waiting for approval")
        category = self.terms.category(state.category)
        if not approve:
            self._change(session, ticket, TicketStatus.CLOSED, actor=actor, now=now,
                         detail={"reason": "cost declined", "category": category.key})
            self.mail.send(session, ticket, kind=DECISION_MAIL, subject="Closed: you declined the cost", now=now,
                           paragraphs=[f"You declined the assessment of your request as {category.label} "
                                       f"({category.credits} credits), so we have closed it without any work and "
                                       "no credits were charged.",
                                       "If you change your mind, raise a follow-up from the request's page."])
            return self._where(session, ticket, state)
        state.approved_at = now
        record_event(session, ticket, kind="approved", actor=actor, now=now, detail={"category": category.key})
        return self._settle(session, ticket, state, reason=None, actor=actor, now=now)

    def charging(self, session: Session, ticket: Ticket) -> Charging:
        """Where ticket stands, for its page and the API."""
        return self._where(session, ticket, session.get(TicketAssessment, ticket.id))

    # --- the one place charges are worked out ---------------------------------------------------------

    def _settle(self, session: Session, ticket: Ticket, state: TicketAssessment, *, reason: str | None, actor: str,
                now: datetime) -> Charging:
        """Bring the ticket's charges to its category's credits: charge, adjust, refund, or wait for credits."""
        category = self.terms.category(state.category)
        charged = charged_for(session, ticket.id)
        difference = category.credits - charged
        if difference > 0 and balance(session, ticket.organisation_id) < difference:
            if TicketStatus(ticket.status) is not TicketStatus.AWAITING_CREDITS:
                self._wait(session, ticket, state, TicketStatus.AWAITING_CREDITS, actor=actor, now=now)
                self._mail_credits_needed(session, ticket, category, difference, now=now)
            return self._where(session, ticket, state)
        if difference:
            kind = (EntryKind.CHARGE if charged == 0 else EntryKind.REFUND if category.credits == 0
                    else EntryKind.ADJUSTMENT)
            words = f"{ticket.reference} assessed as {category.label}" + (f": {reason}" if reason else "")
            record(session, ticket.organisation_id, kind, -difference, note=words, actor=actor, now=now,
                   ticket_id=ticket.id, category=category.key)
            self._mail_charge(session, ticket, category, charged, reason, now=now)
        if TicketStatus(ticket.status) in WAITING:
            self._resume(session, ticket, state, actor=actor, now=now)
        return self._where(session, ticket, state)

    def _charge_waiting(self, session: Session, organisation_id: int, *, now: datetime) -> list[Charging]:
        """Charge the organisation's tickets held for credits, oldest first, as far as its credits go."""
        waiting = session.scalars(select(Ticket).where(Ticket.organisation_id == organisation_id,
                                                       Ticket.status == TicketStatus.AWAITING_CREDITS.value)
                                  .order_by(Ticket.id)).all()
        charged = []
        for ticket in waiting:
            state = session.get(TicketAssessment, ticket.id)
            if state is not None:
                charged.append(self._settle(session, ticket, state, reason=None, actor=SYSTEM, now=now))
        return [charging for charging in charged if charging.status != TicketStatus.AWAITING_CREDITS.value]

    # --- helpers ------------------------------------------------------------------------------------

    def _category(self, key: object) -> CreditCategory:
        if not isinstance(key, str):
            raise CreditsRefused(400, "invalid_assessment", "category is required: one of the policy's categories",
                                 "category")
        try:
            return self.terms.category(key)
        except KeyError as unknown:
            raise CreditsRefused(400, "invalid_assessment", f"category: {unknown.args[0]}", "category") from None

    def _locked(self, session: Session, ticket: Ticket) -> TicketAssessment | None:
        """Lock the ticket's organisation, then read the ticket and its assessment as committed by anyone before."""
        if ticket.organisation_id is None:
            raise CreditsRefused(409, "no_organisation",
                                 f"{ticket.reference} was raised by an address of no customer organisation, "
                                 "so there are no credits to charge")
        lock_organisation(session, ticket.organisation_id)
        session.refresh(ticket)
        if TicketStatus(ticket.status) in FINISHED:
            raise CreditsRefused(409, "ticket_not_chargeable", f"{ticket.reference} is {ticket.status}: nothing to charge")
        return session.get(TicketAssessment, ticket.id, populate_existing=True)

    def _wait(self, session: Session, ticket: Ticket, state: TicketAssessment, status: TicketStatus, *, actor: str,
              now: datetime) -> None:
        """Hold the ticket; its targets' clock stops (bridge.desk.targets)."""
        self._change(session, ticket, status, actor=actor, now=now, detail={"category": state.category})

    def _resume(self, session: Session, ticket: Ticket, state: TicketAssessment, *, actor: str, now: datetime) -> None:
        """Reopen the work; the targets move on by the office hours the ticket waited."""
        self._change(session, ticket, TicketStatus.OPEN, actor=actor, now=now, detail={"category": state.category})

    def _change(self, session: Session, ticket: Ticket, status: TicketStatus, *, actor: str, now: datetime,
                detail: dict[str, Any]) -> None:
        change_status(session, ticket, status, actor=actor, now=now, detail=detail)
        after_status_change(ticket, self.calendar, now)

    def _where(self, session: Session, ticket: Ticket, state: TicketAssessment | None) -> Charging:
        session.flush()
        category = self.terms.category(state.category) if state else None
        return Charging(reference=ticket.reference, status=ticket.status, category=category.key if category else None,
                        category_credits=category.credits if category else None,
                        charged=charged_for(session, ticket.id),
                        balance=balance(session, ticket.organisation_id) if ticket.organisation_id else 0)

    # --- mail ---------------------------------------------------------------------------------------

    def _mail_quote(self, session: Session, ticket: Ticket, category: CreditCategory, note: str | None, *,
                    now: datetime) -> None:
        left = balance(session, ticket.organisation_id)
        self.mail.send(session, ticket, kind=QUOTE_MAIL, now=now,
                       subject=f"The cost of your request: {category.credits} credits, for your approval",
                       paragraphs=[f"You asked to know the cost of this request before we start. We have assessed "
                                   f"it as {category.label} ({category.credits} credits): {category.description}",
                                   *([f"Why: {note}"] if note else []),
                                   f"Your organisation has {left} credits. Nothing is charged and no work starts "
                                   "until you approve. Approve or decline on the request's page."])

    def _mail_charge(self, session: Session, ticket: Ticket, category: CreditCategory, before: int,
                     reason: str | None, *, now: datetime) -> None:
        left = balance(session, ticket.organisation_id)
        if before == 0:
            subject = f"Assessed as {category.label}: {category.credits} credits charged"
            first = (f"We have assessed your request as {category.label} ({category.credits} credits): "
                     f"{category.description} The credits have been charged and the work goes on.")
        else:
            change = category.credits - before
            moved = f"{change} more credits charged" if change > 0 else f"{-change} credits returned"
            subject = f"Category changed to {category.label}: {moved}"
            first = (f"We have changed the category of your request to {category.label} ({category.credits} "
                     f"credits) from the {before} credits charged before, so {moved}.")
        self.mail.send(session, ticket, kind=CHARGE_MAIL, subject=subject, now=now,
                       paragraphs=[first, *([f"Why: {reason}"] if reason else []),
                                   f"Your organisation now has {left} credits."])

    def _mail_credits_needed(self, session: Session, ticket: Ticket, category: CreditCategory, needed: int, *,
                             now: datetime) -> None:
        left = balance(session, ticket.organisation_id)
        self.mail.send(session, ticket, kind=CREDITS_NEEDED_MAIL, now=now,
                       subject=f"Waiting for credits: {needed} needed, {left} left",
                       paragraphs=[f"Your request is assessed as {category.label} ({category.credits} credits), "
                                   f"which needs {needed} credits, and your organisation has {left}. We will start "
                                   "as soon as credits are added; they are charged then, automatically.",
                                   packages_offered(self.terms.packages)])
