"""A credits desk on the shipped credits policy, with organisations and tickets made straight in the database."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bridge.accounts.models import Contact, Organisation
from bridge.credits.assessment import CreditDesk
from bridge.credits.mail import CustomerMail
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.models import Ticket
from bridge.tickets.policy import SupportPolicy, load_policy
from bridge.tickets.reference import format_reference

ROOT = Path(__file__).resolve().parents[2]
CREDITS_POLICY = ROOT / "site_config" / "support-credits.yml"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday morning, in office hours
STAFF = "sam@desk.example"


def credits_policy() -> SupportPolicy:
    return load_policy(CREDITS_POLICY)


def credit_desk(policy: SupportPolicy | None = None) -> CreditDesk:
    policy = policy or credits_policy()
    assert policy.credits is not None
    return CreditDesk(policy.credits, BusinessCalendar.from_policy(policy),
                      CustomerMail(sender="Support <support@example.com>", site_url="https://help.example.com"))


def organisation(session: Session, desk: CreditDesk, key: str = "acme") -> Organisation:
    """A paid-up organisation with one nominated contact, given the policy's grant as `kb org add` gives it."""
    org = Organisation(key=key, name=key.title(), products=["ledger"], paid_until=date(2099, 1, 1),
                       out_of_hours_cover=False)
    session.add(org)
    session.flush()
    session.add(Contact(email=f"ada@{key}.example", name="Ada Lovelace", organisation_id=org.id, nominated=True,
                        products=["ledger"]))
    desk.grant(session, org, actor="system", now=NOW)
    return org


def raise_ticket(session: Session, org: Organisation, consent: str = "agree", subject: str = "Export fails") -> Ticket:
    ticket = Ticket(email=f"ada@{org.key}.example", name="Ada Lovelace", product="ledger", subject=subject,
                    description="The export button does nothing.", request_type="technical", covered=True,
                    priority="standard", status="new", organisation_id=org.id, credit_consent=consent,
                    acknowledge_by=NOW, respond_by=NOW.replace(hour=15), created_at=NOW, updated_at=NOW)
    session.add(ticket)
    session.flush()
    ticket.reference = format_reference(ticket.id, "CR")
    return ticket
