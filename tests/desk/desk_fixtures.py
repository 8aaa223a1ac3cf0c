"""A review board to test against: the desk's services on a migrated database, its staff and a customer."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bridge.accounts.identity import Account, account_for
from bridge.accounts.models import Contact, Organisation, StaffMember
from bridge.content.products import load_products
from bridge.desk.notifications import new_ticket
from bridge.notify.models import OutboxMessage
from bridge.settings import PROJECT_ROOT
from bridge.tickets.models import Ticket
from bridge.tickets.policy import load_policy
from bridge.tickets.service import MailSettings, TicketDesk

LONDON = ZoneInfo("Europe/London")
SITE = "https://help.example.com"
SENDER = "Example Support <support@example.com>"
CUSTOMER = "ada@acme.example"
LEDGER_STAFF = "lena@desk.example"
ROTA_STAFF = "rory@desk.example"


def london(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 on the desk's clock (Monday 23rd is an ordinary working day; GMT = UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


@dataclass
class DeskWorld:
    sessions: sessionmaker[Session]
    desk: TicketDesk

    def raise_ticket(self, session: Session, at: datetime, **changes: object) -> Ticket:
        data = {"email": CUSTOMER, "name": "Ada Lovelace", "product": "ledger", "subject": "Invoice export fails",
                "description": "The export button does nothing.", "request_type": "technical",
                "priority": "critical", **changes}
        receipt = self.desk.submit(session, data, now=at)
        ticket = self.desk.find(session, receipt.reference)
        assert ticket is not None
        return ticket

    def account(self, session: Session, email: str) -> Account:
        account = account_for(session, email)
        assert account is not None
        return account


def make_world(sessions: sessionmaker[Session], policy_file: Path, *, entitlement: str = "anyone") -> DeskWorld:
    """Staff on the ledger and rota boards, an admin, and Ada, a nominated contact of Acme."""
    policy = load_policy(policy_file)
    desk = TicketDesk(policy=replace(policy, entitlement=entitlement),
                      products=load_products(PROJECT_ROOT / "site_config" / "products.yml"),
                      mail=MailSettings(sender=SENDER, site_url=SITE), suggest=lambda text: [],
                      find_article=lambda url: None, on_created=new_ticket)
    with sessions() as session:
        acme = Organisation(key="acme", name="Acme Ltd", products=["ledger", "rota"], paid_until=None,
                            out_of_hours_cover=False)
        session.add(acme)
        session.flush()
        session.add(Contact(email=CUSTOMER, name="Ada Lovelace", organisation_id=acme.id, nominated=True,
                            products=["ledger", "rota"]))
        session.add_all([StaffMember(email=LEDGER_STAFF, name="Lena Ledger", boards=["ledger"]),
                         StaffMember(email="luke@desk.example", name="Luke Ledger", boards=["ledger", "rota"]),
                         StaffMember(email=ROTA_STAFF, name="Rory Rota", boards=["rota"]),
                         StaffMember(email="boss@desk.example", name="Boss", boards=[], admin=True)])
        session.commit()
    return DeskWorld(sessions, desk)


def queued(session: Session, recipient: str | None = None) -> list[EmailMessage]:
    """The mail in the outbox, oldest first, parsed; only recipient's when given."""
    query = select(OutboxMessage.message).order_by(OutboxMessage.id)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return [message_from_bytes(raw, policy=policy.default) for raw in session.scalars(query)]  # type: ignore[misc]
