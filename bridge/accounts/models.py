"""Tables for organisations, their contacts and the desk's staff.

An account is an email address: a contact's or a staff member's. Addresses are stored
lower-cased (see bridge.accounts.directory) so a unique index is enough to make them unique
regardless of case on both SQLite and PostgreSQL. Product lists are JSON lists of product keys
from site_config/products.yml; they are few and always read whole, so a join table would add
queries without adding a guarantee.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Identity, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import Base


class Organisation(Base):
    """A customer with a support plan: which products it covers, how long it is paid for, out-of-hours cover."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String)
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    # None: no paid contract recorded, so support is withheld (bridge.tickets.entitlement).
    paid_until: Mapped[date | None] = mapped_column(Date)
    out_of_hours_cover: Mapped[bool] = mapped_column(default=False)

    contacts: Mapped[list[Contact]] = relationship(back_populates="organisation", order_by="Contact.email")


class Contact(Base):
    """A person at an organisation; only nominated contacts get support, for the products they may see."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    nominated: Mapped[bool] = mapped_column(default=False)
    # Always a subset of the organisation's products; the CLI refuses anything else.
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Whether status changes of their tickets are mailed to them; replies from the desk always are.
    status_mail: Mapped[bool] = mapped_column(default=True, server_default=true())

    organisation: Mapped[Organisation] = relationship(back_populates="contacts", lazy="joined")


class StaffMember(Base):
    """Someone on the desk: the products whose review board they sit on, and whether they administer the desk."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String)
    boards: Mapped[list[str]] = mapped_column(JSON, default=list)
    admin: Mapped[bool] = mapped_column(default=False)
