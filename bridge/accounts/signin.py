"""Signing in with an emailed link: no password to leak, forget or reset.

A link carries a random token; only its SHA-256 is stored, so a copy of the database signs no one
in. A link lasts LINK_LIFETIME and works once: `redeem` marks it used in the same UPDATE that
checks it is unused and unexpired, so two presses racing cannot both sign in. Opening the link
does not use it, because mail security scanners open links before people do: the page it opens
shows a "Sign in" button, and only that button's POST calls `redeem`.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Identity, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bridge.accounts.identity import account_for
from bridge.db import Base, UtcDateTime
from bridge.notify.outbox import queue_mail
from bridge.notify.sign_in import SIGN_IN_LINK, compose_sign_in_link

LINK_LIFETIME = timedelta(minutes=15)
# 32 random bytes: guessing a live token is hopeless, whatever the rate limit.
TOKEN_BYTES = 32


class SignInLink(Base):
    """One emailed link: who it signs in, until when, and whether it was used."""

    __tablename__ = "sign_in_links"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, email: str, now: datetime) -> str:
    """Add a link for email to the session and return its token, which exists only in the mail."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(SignInLink(token_hash=hash_token(token), email=email.lower(), created_at=now,
                           expires_at=now + LINK_LIFETIME))
    return token


def mail_sign_in_link(session: Session, email: str, *, link_for: Callable[[str], str], sender: str,
                      now: datetime) -> bool:
    """Queue a sign-in link for email if the desk knows the address; False (and nothing added) if it does not.

    link_for turns the token into the absolute address of the page that shows the "Sign in" button.
    """
    account = account_for(session, email)
    if account is None:
        return False
    token = issue_link(session, account.email, now)
    mail = compose_sign_in_link(recipient=account.email, link=link_for(token),
                                minutes=int(LINK_LIFETIME.total_seconds() // 60), sender=sender)
    queue_mail(session, mail, kind=SIGN_IN_LINK, ticket_id=None, now=now)
    return True


def link_is_usable(session: Session, token: str, now: datetime) -> bool:
    """Whether token would sign someone in now (the page that shows the button says so before it is pressed)."""
    return session.scalar(select(SignInLink.id).where(*_usable(token, now))) is not None


def redeem(session: Session, token: str, now: datetime) -> str | None:
    """Use the link up and return the address it signs in, or None if it is unknown, used or expired."""
    used = session.execute(update(SignInLink).where(*_usable(token, now)).values(used_at=now)
                           .execution_options(synchronize_session=False))
    if used.rowcount != 1:
        return None
    return session.scalar(select(SignInLink.email).where(SignInLink.token_hash == hash_token(token)))


def _usable(token: str, now: datetime) -> tuple:
    return (SignInLink.token_hash == hash_token(token), SignInLink.used_at.is_(None), SignInLink.expires_at > now)
