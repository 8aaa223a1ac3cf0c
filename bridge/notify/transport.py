"""Ways to hand a finished email to the outside world.

A transport only delivers bytes; retrying is the outbox's job, so every
transport simply raises when delivery fails.
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

SMTP_TIMEOUT_SECONDS = 10.0
SMTP_DEFAULT_PORT = 25


class Transport(Protocol):
    """Something that delivers one RFC 5322 message to one recipient, or raises."""

    def send(self, recipient: str, message_bytes: bytes) -> None: ...


class SmtpTransport:
    """Delivers through an SMTP relay given as smtp://host:port (no TLS, no login: a local relay)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError(f"expected an SMTP URL such as smtp://localhost:25, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or SMTP_DEFAULT_PORT

    def send(self, recipient: str, message_bytes: bytes) -> None:
        """Send to exactly this recipient; header addresses (To, Cc, Bcc) are never used as envelope recipients."""
        if "\r" in recipient or "\n" in recipient:
            raise ValueError(f"recipient contains a line break: {recipient!r}")
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.sendmail(_envelope_sender(message_bytes), [recipient], message_bytes)


class DirectoryTransport:
    """Writes each message as a .eml file, for development and for sites that let another program pick mail up."""

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


def transport_from_url(url: str | None, outbox_dir: Path) -> SmtpTransport | DirectoryTransport:
    """The SMTP relay at url, or .eml files in outbox_dir when no relay is configured."""
    if not url:
        return DirectoryTransport(outbox_dir)
    return SmtpTransport(url)


def _envelope_sender(message_bytes: bytes) -> str:
    """The From address, which is also where bounces should go (what smtplib.send_message would use)."""
    headers = BytesParser(policy=default).parsebytes(message_bytes, headersonly=True)
    return parseaddr(str(headers.get("From", "")))[1]
