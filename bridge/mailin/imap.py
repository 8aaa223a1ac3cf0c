"""Reading a hosted support mailbox over IMAP: fetch, hand to the one handler, move out of the way.

Each message is moved to KB_IMAP_HANDLED_FOLDER only after the handler has stored it, so a
connection lost in between leaves it in the mailbox, and the next round fetches it again; the
handler then finds it stored and handled (its Message-ID is unique) and it is moved without
being handled twice. Nothing is deleted: a message that cannot be read goes to the refused
folder. `run` keeps polling through a mailbox that goes away, waiting longer between tries
while it is down.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 300.0
# What goes wrong with a mailbox that goes away or misbehaves: the poller waits and tries again.
MAILBOX_ERRORS = (OSError, IMAPClientError)


class Disposition(StrEnum):
    """Where a fetched message goes once the handler is done with it."""

    HANDLED = "handled"
    REFUSED = "refused"


@dataclass(frozen=True)
class Mailbox:
    """Where the support mailbox is, from KB_IMAP_URL: imaps://user:password@host:993/INBOX."""

    host: str
    port: int
    ssl: bool
    username: str
    password: str = field(repr=False)  # a Mailbox in a log or traceback must not show it
    folder: str = "INBOX"

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or parts.username is None:
            raise ValueError("must be imap[s]://user:password@host[:port]/FOLDER")
        ssl = parts.scheme == "imaps"
        return cls(host=parts.hostname, port=parts.port or (993 if ssl else 143), ssl=ssl,
                   username=unquote(parts.username), password=unquote(parts.password or ""),
                   folder=unquote(parts.path.lstrip("/")) or "INBOX")

    def describe(self) -> str:
        """The mailbox without its password, for logs and messages."""
        return f"{'imaps' if self.ssl else 'imap'}://{self.username}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True)
class Round:
    """What one poll did."""

    handled: int = 0
    refused: int = 0


Handler = Callable[[bytes], Disposition]


class Poller:
    """Polls one mailbox folder, handing each message to handle and then moving it by what handle answered."""

    def __init__(self, mailbox: Mailbox, handle: Handler, *, handled_folder: str,
                 timeout: float = TIMEOUT_SECONDS, max_bytes: int | None = None) -> None:
        self._mailbox = mailbox
        self._handle = handle
        self._max_bytes = max_bytes
        self._folders = {Disposition.HANDLED: handled_folder, Disposition.REFUSED: f"{handled_folder}-refused"}
        self._timeout = timeout

    def poll_once(self) -> Round:
        """Handle every message in the folder now; raises a mailbox error if the connection fails part-way."""
        counts = {Disposition.HANDLED: 0, Disposition.REFUSED: 0}
        # As a context manager the client logs out, or shuts the socket when logging out fails.
        with IMAPClient(self._mailbox.host, port=self._mailbox.port, ssl=self._mailbox.ssl,
                        timeout=self._timeout) as client:
            client.login(self._mailbox.username, self._mailbox.password)
            for folder in self._folders.values():
                if not client.folder_exists(folder):
                    client.create_folder(folder)
            client.select_folder(self._mailbox.folder)
            can_move = client.has_capability("MOVE")
            for uid in client.search("ALL"):
                if self._too_large(client, uid):
                    # Refused unread, so one huge message cannot fill the poller's memory; it stays in the
                    # refused folder, where the mailbox's owner can still read it.
                    self._move(client, uid, self._folders[Disposition.REFUSED], can_move)
                    counts[Disposition.REFUSED] += 1
                    continue
                fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
                if fetched is None:  # expunged by someone else meanwhile
                    continue
                disposition = self._handle(fetched[b"BODY[]"])
                self._move(client, uid, self._folders[disposition], can_move)
                counts[disposition] += 1
        return Round(counts[Disposition.HANDLED], counts[Disposition.REFUSED])

    def run(self, interval: float, stop: threading.Event) -> None:
        """Poll every interval seconds until stop is set; while the mailbox (or the database) is down, back off up
        to 5 minutes. A failed round leaves its messages where they were, for the next."""
        failures = 0
        while not stop.is_set():
            try:
                done = self.poll_once()
            except Exception as error:  # the mailbox or the database gone: nothing was lost, the round is retried
                failures += 1
                wait = min(MAX_BACKOFF_SECONDS, interval * 2 ** min(failures, 10))
                log.warning("mail poll: round failed on %s (%s: %s); trying again in %.0f s",
                            self._mailbox.describe(), type(error).__name__, error, wait)
            else:
                failures, wait = 0, interval
                if done.handled or done.refused:
                    log.info("mail poll: %s handled, %s refused", done.handled, done.refused)
            stop.wait(wait)

    def _too_large(self, client: IMAPClient, uid: int) -> bool:
        """Whether the server says the message is larger than the desk takes (KB_MAIL_MAX_MB)."""
        if self._max_bytes is None:
            return False
        size = client.fetch([uid], ["RFC822.SIZE"]).get(uid, {}).get(b"RFC822.SIZE")
        if size is None or size <= self._max_bytes:
            return False
        log.warning("mail poll: message %s is %s bytes, over KB_MAIL_MAX_MB; moved to the refused folder unread",
                    uid, size)
        return True

    @staticmethod
    def _move(client: IMAPClient, uid: int, folder: str, can_move: bool) -> None:
        if can_move:
            client.move([uid], folder)
            return
        client.copy([uid], folder)
        client.delete_messages([uid])
        client.uid_expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()
