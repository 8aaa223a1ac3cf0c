"""Reading an incoming email with the standard library, or saying why it cannot be read.

Mail from outside is untrusted in every byte: headers may be folded, encoded, repeated or
malformed, and decoded text may hold line breaks meant to smuggle in a header of our own
replies. Everything the desk takes from a message is read here once, on one line where it will
reach a header, so the rest of the room works with plain values.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from email.utils import getaddresses

from email_validator import EmailNotValidError, validate_email

MESSAGE_IDS = re.compile(r"<[^<>\s]{1,990}>")
# A thread is looked up by its nearest Message-IDs only: a References field of thousands must not become
# one query of thousands of parameters (SQLite allows 32,766).
MAX_THREAD_IDS = 50
NO_SUBJECT = "(no subject)"
# The standard library's header parser takes seconds over a megabyte of header; real mail has a few kilobytes.
MAX_HEADER_BYTES = 128 * 1024


class Unreadable(ValueError):
    """The bytes are not an email the desk can take; the reason is written beside the kept copy."""


class TooLarge(Unreadable):
    """Larger than KB_MAIL_MAX_MB: refused before it is parsed."""


@dataclass(frozen=True)
class IncomingMail:
    """What the desk uses of a message; `message` is the parsed whole, for its body and attachments."""

    message: EmailMessage
    message_id: str | None
    sender: str  # the From address, lower-cased
    sender_name: str
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    recipients: tuple[str, ...]  # the addresses it was sent or delivered to, lower-cased
    return_path: str | None  # None when the message has no Return-Path; "" for the empty one (<>)
    key: str  # what makes two deliveries one message: its Message-ID's digest, or its bytes' when it has none

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The Message-IDs this one answers, nearest first: In-Reply-To, then References from the newest (at most 50)."""
        return tuple(dict.fromkeys((*self.in_reply_to, *reversed(self.references))))[:MAX_THREAD_IDS]


def read_mail(raw: bytes, *, max_bytes: int, envelope_recipients: tuple[str, ...] = ()) -> IncomingMail:
    """The message in raw, or Unreadable (TooLarge) saying why not."""
    if len(raw) > max_bytes:
        raise TooLarge(f"the message is {len(raw):,} bytes; the desk takes at most {max_bytes:,} (KB_MAIL_MAX_MB)")
    if not raw.strip():
        raise Unreadable("the message is empty")
    header_end = min((found for found in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if found >= 0), default=len(raw))
    if header_end > MAX_HEADER_BYTES:
        raise TooLarge(f"the header is {header_end:,} bytes; the desk reads at most {MAX_HEADER_BYTES:,}")
    try:
        message = BytesParser(policy=default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        return _read(message, raw, envelope_recipients)
    except Unreadable:
        raise
    except Exception as error:  # the library raises many kinds on malformed headers; each is a refusal
        raise Unreadable(f"the message cannot be parsed: {type(error).__name__}: {error}") from error


def one_line(value: str) -> str:
    """Every run of white space, line breaks and control characters included, made one space."""
    return " ".join("".join(char if char.isprintable() else " " for char in value).split())


def _read(message: EmailMessage, raw: bytes, envelope_recipients: tuple[str, ...]) -> IncomingMail:
    if not message.keys():
        raise Unreadable("the message has no header")
    senders = _addresses(message, "From")
    if len(senders) != 1:
        raise Unreadable("the message's From must name exactly one address")
    name, address = senders[0]
    sender = _checked_address(address)
    if sender is None:
        raise Unreadable(f"the From address {one_line(address)!r} is not an email address")
    message_id = next(iter(_ids(message.get("Message-ID", ""))), None)
    recipients = [address for field in ("To", "Cc", "Delivered-To", "X-Original-To")
                  for _, address in _addresses(message, field)]
    return_path = message.get("Return-Path")
    return IncomingMail(
        message=message,
        message_id=message_id,
        sender=sender,
        sender_name=one_line(name),
        subject=one_line(str(message.get("Subject", ""))) or NO_SUBJECT,
        in_reply_to=tuple(_ids(message.get("In-Reply-To", ""))),
        references=tuple(_ids(message.get("References", ""))),
        recipients=tuple(dict.fromkeys(address.lower() for address in (*envelope_recipients, *recipients))),
        return_path=None if return_path is None else str(return_path).strip().strip("<>").strip(),
        key=hashlib.sha256(message_id.encode() if message_id else raw).hexdigest(),
    )


def _addresses(message: EmailMessage, field: str) -> list[tuple[str, str]]:
    values = message.get_all(field) or []
    found = []
    for value in values:
        addresses = getattr(value, "addresses", None)
        if addresses is not None:
            found += [(address.display_name, address.addr_spec) for address in addresses if isinstance(address, Address)]
        else:
            found += [pair for pair in getaddresses([str(value)]) if pair[1]]
    return found


def _checked_address(address: str) -> str | None:
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return valid.normalized.lower()


def _ids(value: object) -> list[str]:
    return MESSAGE_IDS.findall(str(value))
