"""Idempotency keys: a client that retries a submission gets the ticket its first attempt raised.

A network error after the ticket was stored but before the answer arrived makes a careful client
send the same request again. With the same `Idempotency-Key` (the contact form sends one per
form it shows) within KEY_LIFETIME, the desk answers with the first ticket: no second ticket,
no second acknowledgement.

A key counts only together with the customer's email address (both are hashed into one digest):
a key seen with another address is a different key, so nobody can fetch another customer's
receipt by guessing or replaying their key. The same key and address with a different request
is refused rather than answered with a ticket the client did not describe.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bridge.tickets.models import IdempotencyKey, Ticket
from bridge.tickets.validation import Submission

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


class InvalidKey(ValueError):
    """The key is not 1 to 255 visible ASCII characters; the message says so."""


class KeyReused(ValueError):
    """The key was used, for this address, with a different request within KEY_LIFETIME."""


@dataclass(frozen=True)
class Claim:
    """A submission's key, ready to be looked up or recorded with the ticket it raises."""

    key_digest: str
    fingerprint: str

    @classmethod
    def of(cls, key: str, submission: Submission) -> Claim:
        """The claim for key on this (validated) submission; InvalidKey if the key cannot be one."""
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= char <= "~" for char in key):
            raise InvalidKey(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, such as a UUID")
        digest = hashlib.sha256(f"{submission.ticket.email.casefold()}\n{key}".encode()).hexdigest()
        submitted = json.dumps([dataclasses.asdict(submission.ticket), submission.suggestions_shown],
                               sort_keys=True, ensure_ascii=False, default=_plain)
        return cls(key_digest=digest, fingerprint=hashlib.sha256(submitted.encode()).hexdigest())

    def earlier_ticket(self, session: Session, now: datetime) -> Ticket | None:
        """The ticket this key raised within KEY_LIFETIME of now; KeyReused if it was raised for another request."""
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key_digest == self.key_digest,
                                                          IdempotencyKey.created_at > now - KEY_LIFETIME))
        if row is None:
            return None
        if row.fingerprint != self.fingerprint:
            raise KeyReused(f"this {HEADER} was used for a different request within the last "
                            f"{KEY_LIFETIME.total_seconds() / 3600:.0f} hours; send a new key for a new ticket")
        return session.get(Ticket, row.ticket_id)

    def record(self, session: Session, ticket: Ticket, now: datetime) -> None:
        """Remember the key with the ticket, in the ticket's transaction; keys past their lifetime are dropped.

        The row is flushed at once, so a concurrent retry whose ticket was stored first shows up
        here as an IntegrityError on the unique digest (after waiting for that transaction to end).
        """
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - KEY_LIFETIME))
        session.add(IdempotencyKey(key_digest=self.key_digest, fingerprint=self.fingerprint, ticket_id=ticket.id,
                                   created_at=now))
        session.flush()


def _plain(value: object) -> object:
    """JSON for what a submission holds besides JSON's own types: times (out-of-hours cover) and tuples."""
    return value.isoformat() if isinstance(value, datetime) else list(value)  # type: ignore[call-overload]
