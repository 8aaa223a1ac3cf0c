"""Ways to hand a finished email to the outside world.

A transport only delivers bytes; retrying is the outbox's job, so every transport simply
raises when delivery fails: PermanentFailure when trying again cannot help (the server refused
the recipient for good, or cannot take an internationalised address), anything else when it
may (the server is down, a 4xx answer).
"""

from __future__ import annotations

import os
import smtplib
import tempfile
import uuid
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from bridge.notify.compose import envelope_address
from bridge.notify.headers import UnsafeHeader

SMTP_TIMEOUT_SECONDS = 10.0
SMTP_DEFAULT_PORT = 25


class PermanentFailure(Exception):
    """Delivery cannot succeed by trying again; the outbox gives up on the message at once and records why."""


class Transport(Protocol):
    """Something that delivers one RFC 5322 message to one recipient, or raises."""

    # Whether it can deliver to a non-ASCII local part (josé@example.com); the form refuses such
    # an address up front when it cannot, rather than storing mail that will never leave.
    smtputf8: bool

    def send(self, recipient: str, message_bytes: bytes) -> None: ...


class SmtpTransport:
    """Delivers through an SMTP relay given as smtp://host:port (no TLS, no login: a local relay).

    smtputf8 says whether the relay is expected to offer SMTPUTF8 (RFC 6531); if it turns out
    not to, mail to a non-ASCII local part fails permanently with a reason that says so.
    """

    def __init__(self, url: str, *, smtputf8: bool = True) -> None:
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError(f"expected an SMTP URL such as smtp://localhost:25, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or SMTP_DEFAULT_PORT
        self.smtputf8 = smtputf8

    def send(self, recipient: str, message_bytes: bytes) -> None:
        """Send to exactly this recipient; header addresses (To, Cc, Bcc) are never used as envelope recipients."""
        address = _deliverable(recipient)
        international = not address.isascii()
        if international and not self.smtputf8:
            raise PermanentFailure(f"{address} needs SMTPUTF8, which this relay is configured not to offer")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
                smtp.sendmail(_envelope_sender(message_bytes), [address], message_bytes,
                              mail_options=["SMTPUTF8"] if international else [])
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentFailure(f"the mail server at {self.host}:{self.port} does not offer SMTPUTF8, "
                                   f"needed for {address}: {error}") from error
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            _raise_if_permanent(code, reply, error)
            raise
        except smtplib.SMTPResponseException as error:
            _raise_if_permanent(error.smtp_code, error.smtp_error, error)
            raise


class DirectoryTransport:
    """Writes each message as a .eml file, for development and for sites that let another program pick mail up."""

    smtputf8 = True

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, recipient: str, message_bytes: bytes) -> None:
        """Write atomically (temporary file, then rename) so a reader never sees half a message."""
        self.path.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.path / f"{stamp}-{uuid.uuid4().hex}.eml"
        descriptor, temporary = tempfile.mkstemp(dir=self.path, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(message_bytes)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def transport_from_url(url: str | None, outbox_dir: Path, *, smtputf8: bool = True) -> SmtpTransport | DirectoryTransport:
    """The SMTP relay at url, or .eml files in outbox_dir when no relay is configured."""
    if not url:
        return DirectoryTransport(outbox_dir)
    return SmtpTransport(url, smtputf8=smtputf8)


def _deliverable(recipient: str) -> str:
    """The envelope address, domain in ASCII: also for mail queued before addresses were stored that way."""
    try:
        return envelope_address("recipient", recipient)
    except UnsafeHeader as error:
        raise PermanentFailure(f"{recipient!r} {error.problem}") from error


def _raise_if_permanent(code: int, reply: bytes | str, error: Exception) -> None:
    """A 5xx answer is final (RFC 5321 4.2.1): no such user, policy refusal; 4xx may pass."""
    if 500 <= code < 600:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        raise PermanentFailure(f"the mail server refused it: {code} {text}") from error


def _envelope_sender(message_bytes: bytes) -> str:
    """The From address, which is also where bounces should go (what smtplib.send_message would use)."""
    headers = BytesParser(policy=default).parsebytes(message_bytes, headersonly=True)
    return parseaddr(str(headers.get("From", "")))[1]
