"""Accounts are found by email address whatever its case, and the tables keep addresses unique."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.accounts.directory import contact_by_email, organisation_by_key, staff_by_email
from bridge.accounts.models import Contact, Organisation, StaffMember


def add_acme(session: Session) -> Organisation:
    acme = Organisation(key="acme", name="Acme Ltd", products=["ledger", "rota"], paid_until=date(2027, 3, 31),
                        out_of_hours_cover=False)
    acme.contacts.append(Contact(email="ada@acme.example", name="Ada", nominated=True, products=["ledger"]))
    session.add_all([acme, StaffMember(email="sam@desk.example", name="Sam", boards=["ledger"], admin=True)])
    session.commit()
    return acme


def test_a_contact_is_found_by_any_case_of_their_address_with_their_organisation(session: Session) -> None:
    add_acme(session)
    session.expunge_all()

    contact = contact_by_email(session, "  Ada@ACME.example ")

    assert contact is not None
    assert (contact.name, contact.nominated, contact.products) == ("Ada", True, ["ledger"])
    assert (contact.organisation.key, contact.organisation.paid_until) == ("acme", date(2027, 3, 31))
    assert contact.organisation.products == ["ledger", "rota"]


def test_staff_and_organisations_are_found_and_strangers_are_not(session: Session) -> None:
    add_acme(session)

    staff = staff_by_email(session, "SAM@desk.example")
    assert staff is not None and (staff.boards, staff.admin) == (["ledger"], True)
    assert organisation_by_key(session, "acme").name == "Acme Ltd"
    assert contact_by_email(session, "sam@desk.example") is None
    assert staff_by_email(session, "ada@acme.example") is None
    assert organisation_by_key(session, "ACME") is None


def test_two_contacts_cannot_share_an_address(session: Session) -> None:
    acme = add_acme(session)
    session.add(Contact(email="ada@acme.example", name="Another Ada", organisation_id=acme.id, nominated=False,
                        products=[]))
    with pytest.raises(IntegrityError):
        session.commit()
