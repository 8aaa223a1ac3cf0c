"""Who is signed in: an address, and what the directory knows about it.

An account is an email address. It may be a contact of an organisation, a member of staff, or
only someone who once raised a ticket from that address (a desk that serves anyone still lets
them follow their tickets). Anyone else has no account: a sign-in link is never sent to them.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.accounts.directory import contact_by_email, staff_by_email
from bridge.accounts.models import Contact, Organisation, StaffMember
from bridge.tickets.models import Ticket


@dataclass(frozen=True)
class Account:
    """A signed-in address with its contact and staff records (either, both or neither)."""

    email: str
    name: str
    contact: Contact | None
    organisation: Organisation | None
    staff: StaffMember | None

    def as_json(self) -> dict:
        """`GET /api/me`."""
        return {
            "email": self.email,
            "name": self.name,
            "organisation": {"key": self.organisation.key, "name": self.organisation.name} if self.organisation else None,
            "products": list(self.contact.products) if self.contact else [],
            "nominated": bool(self.contact and self.contact.nominated),
            "staff": {"boards": list(self.staff.boards), "admin": self.staff.admin} if self.staff else None,
        }


def account_for(session: Session, email: str) -> Account | None:
    """The account of email (compared case-insensitively), or None when the desk does not know the address."""
    email = email.strip().lower()
    contact = contact_by_email(session, email)
    staff = staff_by_email(session, email)
    raised_as = None
    if contact is None and staff is None:
        raised_as = session.scalar(select(Ticket.name).where(func.lower(Ticket.email) == email)
                                   .order_by(Ticket.id.desc()).limit(1))
        if raised_as is None:
            return None
    organisation = session.get(Organisation, contact.organisation_id) if contact else None
    name = contact.name if contact else staff.name if staff else raised_as
    return Account(email=email, name=name, contact=contact, organisation=organisation, staff=staff)
