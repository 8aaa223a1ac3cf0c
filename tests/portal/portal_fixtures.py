"""The customer's side on a real bridge: accounts in the database, sign-in through the emailed link.

Signing in here takes the same road a customer does: ask for a link, read it from the mail the
bridge queued in its outbox, and use it. Nothing is written into the session cookie by hand.
"""
from __future__ import annotations

import re
from datetime import date
from email import message_from_bytes, policy

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.accounts.models import Contact, Organisation, StaffMember
from bridge.notify.models import OutboxMessage
from bridge.notify.sign_in import SIGN_IN_LINK
from bridge.web.context import services

LINK = re.compile(r"^(https?://\S+?/account/sign-in/([\w-]+)(?:\?\S*)?)\r?$", re.MULTILINE)


def add_organisation(app: Flask, key: str, products: list[str], contacts: list[tuple[str, list[str], bool]]) -> None:
    """An organisation paid up until 2099 with its contacts: (email, products, nominated)."""
    with services(app).sessions()() as session:
        organisation = Organisation(key=key, name=key.title(), products=products, paid_until=date(2099, 12, 31),
                                    out_of_hours_cover=False)
        session.add(organisation)
        session.flush()
        for email, contact_products, nominated in contacts:
            session.add(Contact(email=email, name=email.split("@")[0].title(), organisation_id=organisation.id,
                                nominated=nominated, products=contact_products))
        session.commit()


def add_staff(app: Flask, email: str, boards: list[str], admin: bool = False) -> None:
    with services(app).sessions()() as session:
        session.add(StaffMember(email=email, name=email.split("@")[0].title(), boards=boards, admin=admin))
        session.commit()


def sign_in_mails(app: Flask, email: str) -> list[str]:
    """The text of every sign-in mail queued for email, oldest first."""
    with services(app).sessions()() as session:
        rows = session.scalars(select(OutboxMessage.message).where(
            OutboxMessage.recipient == email, OutboxMessage.kind == SIGN_IN_LINK).order_by(OutboxMessage.id)).all()
    return [message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content() for raw in rows]


def emailed_link(app: Flask, email: str) -> tuple[str, str]:
    """The newest sign-in link mailed to email, and its token."""
    mails = sign_in_mails(app, email)
    assert mails, f"no sign-in mail for {email}"
    found = LINK.search(mails[-1])
    assert found, mails[-1]
    return found.group(1), found.group(2)


def sign_in(client: FlaskClient, app: Flask, email: str) -> None:
    """Ask for a link by the API and use it; the client then holds the session cookie."""
    # buffered: the whole answer is read and closed, as a browser would, which is when the link is mailed
    assert client.post("/api/session", json={"email": email}, buffered=True).status_code == 202
    _, token = emailed_link(app, email.lower())
    response = client.post("/api/session", json={"token": token})
    assert response.status_code == 200, response.get_data(as_text=True)


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A new client signed in as email."""
    client = app.test_client()
    sign_in(client, app, email)
    return client
