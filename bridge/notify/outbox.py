"""Queueing mail in the caller's transaction, and delivering it, retrying until the mail server takes it.

Due messages are claimed a few at a time in one short transaction before they
are sent: the claim moves next_attempt_at a lease into the future, so no other
sender picks them up, and no database lock is held while talking to the mail
server (on SQLite that lock would stop new tickets being stored). Those sent are
then recorded together in one more: on SQLite every write transaction takes its
turn with the requests storing tickets (bridge/sqlite_writers.py), so two per
batch rather than two per message leaves them more turns. On PostgreSQL the
claim uses SELECT ... FOR UPDATE SKIP LOCKED so concurrent senders pass over
each other's rows instead of queueing on them; the conditional UPDATE makes the
claim safe on SQLite too. Delivery is at-least-once: a sender that dies after
sending but before recording sends those again once the lease runs out.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import utc_now
from bridge.notify.compose import OutgoingMail
from bridge.notify.models import OutboxMessage
from bridge.notify.transport import PermanentFailure, Transport

log = logging.getLogger(__name__)

# Set in a session's info when it queues mail; committing that session wakes the process's sender.
MAIL_QUEUED = "kb.mail_queued"
CLAIM_LEASE = timedelta(minutes=10)
# Small enough that a batch is sent well within its lease even when each message waits out the SMTP timeouts.
CLAIM_BATCH = 10
STOP_CHECK_SECONDS = 1.0
# Once woken, the background sender waits this long before it claims, so the mail of tickets stored meanwhile
# goes in the same batch: a batch costs one claim and one record whatever its size, and a sender woken for
# every ticket claimed and recorded its mail one at a time. A mail leaves at most this much later.
GATHER_SECONDS = 0.1
MAX_ERROR_LENGTH = 2000


def queue_mail(session: Session, mail: OutgoingMail, *, kind: str, ticket_id: int | None, now: datetime) -> OutboxMessage:
    """Add a composed mail to the outbox in the caller's transaction: it exists (and is sent) only if the caller commits."""
    message = OutboxMessage(
        ticket_id=ticket_id, kind=kind, recipient=mail.recipient, subject=mail.subject,
        message=mail.message, message_id=mail.message_id, created_at=now, attempts=0, next_attempt_at=now,
    )
    session.add(message)
    session.info[MAIL_QUEUED] = True
    return message


@dataclass(frozen=True)
class FailedMail:
    """A message the sender gave up on, as `kb mail failed` lists it."""

    id: int
    kind: str
    recipient: str
    subject: str
    attempts: int
    created_at: datetime
    failed_at: datetime
    reason: str


def failed_mail(session_factory: sessionmaker[Session], limit: int = 100) -> list[FailedMail]:
    """The messages given up on, most recent first."""
    with session_factory() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.failed_at.is_not(None))
            .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc()).limit(limit)
        )
        return [FailedMail(row.id, row.kind, row.recipient, row.subject, row.attempts, row.created_at, row.failed_at,
                           row.last_error or "") for row in rows]


def retry_failed(session_factory: sessionmaker[Session], ids: list[int], now: datetime | None = None) -> list[int]:
    """Queue failed messages again with a fresh count of attempts (after the relay or address was fixed);
    returns the ids that were failed and are now due."""
    now = now or utc_now()
    with session_factory() as session, session.begin():
        retried = list(session.scalars(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.failed_at.is_not(None))
            .values(failed_at=None, next_attempt_at=now, attempts=0).returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ))
    return sorted(retried)


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    message: bytes
    attempts: int


class OutboxSender:
    """Sends due outbox messages; failures are recorded and retried with exponential back-off and jitter.

    A message is given up on (and its reason kept) after max_attempts, or at once when the
    transport says trying again cannot help (PermanentFailure). max_attempts=None never gives
    up on a failure that may pass: a mail outage delays mail, it does not drop it.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        transport: Transport,
        *,
        max_attempts: int | None = None,
        base_delay: timedelta = timedelta(seconds=30),
        max_delay: timedelta = timedelta(hours=1),
    ) -> None:
        self._session_factory = session_factory
        self._transport = transport
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._wakeup = threading.Event()

    def send_due(self, now: datetime | None = None) -> int:
        """Send every message due at now (default: the current time); returns how many were sent."""
        now = now or utc_now()
        sent = 0
        while claimed := self._claim_due(now):
            delivered = []
            for message in claimed:
                try:
                    self._transport.send(message.recipient, message.message)
                except Exception as error:
                    self._record_failure(message, error, now)
                else:
                    delivered.append(message.id)
            self._record_sent(delivered, now)
            sent += len(delivered)
        return sent

    def wake(self) -> None:
        """Ask the background loop to send now, e.g. right after a ticket was stored."""
        self._wakeup.set()

    def run_in_background(self, interval: float, stop: threading.Event) -> threading.Thread:
        """Start a daemon thread that sends due messages every interval seconds, on wake(), until stop is set."""
        thread = threading.Thread(target=self._run, args=(interval, stop), name="outbox-sender", daemon=True)
        thread.start()
        return thread

    def _run(self, interval: float, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wakeup.clear()
            try:
                self.send_due()
            except Exception:
                log.exception("outbox: could not process the outbox; trying again in %s s", interval)
            self._sleep(interval, stop)
            stop.wait(GATHER_SECONDS)

    def _sleep(self, interval: float, stop: threading.Event) -> None:
        """Wait for wake(), stop or the interval; one Event cannot wait on two, so stop is polled every second."""
        deadline = time.monotonic() + interval
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._wakeup.wait(min(remaining, STOP_CHECK_SECONDS)):
                return

    def _claim_due(self, now: datetime) -> list[_Claimed]:
        """Up to CLAIM_BATCH due messages, oldest first, leased to this sender; none when nothing is due."""
        with self._session_factory() as session, session.begin():
            while True:
                rows = session.execute(
                    select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.message, OutboxMessage.attempts)
                    .where(OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(CLAIM_BATCH)
                    .with_for_update(skip_locked=True)
                ).all()
                if not rows:
                    return []
                # Another sender may have claimed some since they were read (SQLite has no SKIP LOCKED).
                claimed = set(session.scalars(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([row.id for row in rows]), OutboxMessage.next_attempt_at <= now)
                    .values(next_attempt_at=now + CLAIM_LEASE, attempts=OutboxMessage.attempts + 1)
                    .returning(OutboxMessage.id)
                    .execution_options(synchronize_session=False)
                ))
                if claimed:
                    return [_Claimed(row.id, row.recipient, row.message, row.attempts + 1)
                            for row in rows if row.id in claimed]

    def _record_sent(self, ids: list[int], now: datetime) -> None:
        if ids:
            with self._session_factory() as session, session.begin():
                session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                .values(sent_at=now, next_attempt_at=None, last_error=None))

    def _record_failure(self, claimed: _Claimed, error: Exception, now: datetime) -> None:
        description = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
        if isinstance(error, PermanentFailure) or (self._max_attempts is not None and claimed.attempts >= self._max_attempts):
            log.error("outbox: giving up on message %s after %s attempts: %s", claimed.id, claimed.attempts, description)
            self._update(claimed.id, last_error=description, next_attempt_at=None, failed_at=now)
            return
        retry_at = now + self._backoff(claimed.attempts)
        log.warning(
            "outbox: message %s failed (attempt %s), retrying at %s: %s", claimed.id, claimed.attempts, retry_at, description
        )
        self._update(claimed.id, last_error=description, next_attempt_at=retry_at)

    def _backoff(self, attempts: int) -> timedelta:
        """Doubling delays capped at max_delay; the random half spreads retries so senders don't stampede a recovering server."""
        delay = min(self._max_delay, self._base_delay * 2 ** min(attempts - 1, 20))
        return delay * random.uniform(0.5, 1.0)

    def _update(self, message_id: int, **values: object) -> None:
        with self._session_factory() as session, session.begin():
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
