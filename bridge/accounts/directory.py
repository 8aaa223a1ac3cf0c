"""Finding accounts by email address: the one place that knows addresses compare without case.

Addresses are stored lower-cased (`normalise_email`), so a look-up is an indexed equality
instead of a `lower()` scan, and "Ada@Example.org" signs in to the same account as
"ada@example.org".
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.accounts.models import Contact, Organisation, StaffMember


def normalise_email(email: str) -> str:
    """The stored form of an address: surrounding space removed, lower-cased."""
    return email.strip().lower()


def contact_by_email(session: Session, email: str) -> Contact | None:
    """The contact with this address (any case), with its organisation loaded, or None."""
    return session.scalars(select(Contact).where(Contact.email == normalise_email(email))).one_or_none()


def staff_by_email(session: Session, email: str) -> StaffMember | None:
    """The staff member with this address (any case), or None."""
    return session.scalars(select(StaffMember).where(StaffMember.email == normalise_email(email))).one_or_none()


def organisation_by_key(session: Session, key: str) -> Organisation | None:
    """The organisation with this key (keys are exact: they are typed by the desk, not by customers)."""
    return session.scalars(select(Organisation).where(Organisation.key == key)).one_or_none()
