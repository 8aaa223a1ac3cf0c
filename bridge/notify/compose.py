"""The one way the bridge composes mail: checked values in, verified bytes for the outbox out.

Every mail the bridge sends (acknowledgements now, the desk's replies and status mail later)
goes through compose_mail. The header lines are written by bridge/notify/headers.py from
checked values; the body parts by the standard library (quoted-printable, so the body is 7-bit
whatever the customer typed). Then the whole message is parsed back with the library and
compared with what was asked for: the same header fields in the same order and nothing else,
one recipient, the same subject, the same body. A message that does not survive that is never
queued: UnsafeHeader names the parameter that caused it, so a view can answer 400 naming the
customer's field.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_string
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid, parseaddr

from email_validator import EmailNotValidError, validate_email

from bridge.notify import headers
from bridge.notify.header_registry import parsing_once
from bridge.notify.headers import UnsafeHeader

AUTO_SUBMITTED = ("auto-generated", "auto-replied")


@dataclass(frozen=True)
class OutgoingMail:
    """A composed and verified message: the envelope recipient, its subject and its bytes as sent."""

    recipient: str
    subject: str
    message_id: str
    message: bytes

    @property
    def needs_smtputf8(self) -> bool:
        """Only a non-ASCII local part needs it: domains are always written in their ASCII (IDNA) form."""
        return not self.recipient.isascii()


def envelope_address(field: str, address: str) -> str:
    """The address as mail servers want it: what email-validator accepts, the domain in its ASCII form.

    "bob@bücher.example" becomes "bob@xn--bcher-kva.example"; a non-ASCII local part
    ("josé@example.com") stays, and can only be sent to a server that offers SMTPUTF8.
    """
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise UnsafeHeader(field, f"is not an email address ({error})") from error
    return f"{valid.local_part}@{valid.ascii_domain}"


def compose_mail(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    to_name: str | None = None,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto_submitted: str | None = "auto-generated",
    now: datetime | None = None,
) -> OutgoingMail:
    """A message to one recipient, with a plain text body and optionally an HTML alternative.

    sender is the configured support address, optionally with a name ("Support <help@x.com>").
    to_name is a courtesy, so it is left out rather than refused when it holds address specials
    (a real name may have a comma or brackets), is too long for one encoded word
    (headers.mailbox says why), or does not read back exactly. Every other value that cannot be
    written safely raises UnsafeHeader naming its parameter. Line breaks in the bodies are
    written as line breaks, whichever kind they were (CRLF, LF, U+2028...). auto_submitted is
    RFC 3834's field: None for mail a person wrote.
    """
    sender_name, sender_address = _sender(sender)
    recipient = envelope_address("to", to)
    name = headers.checked_text("to_name", to_name) if to_name else None
    subject = headers.checked_text("subject", subject)
    if not subject:
        raise UnsafeHeader("subject", "must not be empty")
    message_id = make_msgid(domain=sender_address.rpartition("@")[2])
    after_to: list[tuple[str, str, str]] = [
        ("Subject", "subject", headers.unstructured("Subject", subject)),
        ("Date", "now", f"Date: {format_datetime((now or datetime.now(UTC)).astimezone(UTC))}"),
        ("Message-ID", "message_id", f"Message-ID: {message_id}"),
    ]
    checked_reply_to = envelope_address("reply_to", reply_to) if reply_to else None
    if checked_reply_to:
        after_to.append(("Reply-To", "reply_to", headers.mailbox("Reply-To", checked_reply_to)))
    if in_reply_to:
        after_to.append(("In-Reply-To", "in_reply_to",
                         headers.message_ids("In-Reply-To", [headers.checked_message_id("in_reply_to", in_reply_to)])))
    if references:
        checked = [headers.checked_message_id("references", reference) for reference in references]
        after_to.append(("References", "references", headers.message_ids("References", checked)))
    if auto_submitted:
        if auto_submitted not in AUTO_SUBMITTED:
            raise UnsafeHeader("auto_submitted", f"must be one of {', '.join(AUTO_SUBMITTED)} or None")
        after_to.append(("Auto-Submitted", "auto_submitted", f"Auto-Submitted: {auto_submitted}"))
    text = _lines(text)
    html = _lines(html) if html is not None else None
    body = _body(text, html)

    def written(display_name: str | None) -> bytes:
        fields = [("From", "sender", headers.mailbox("From", sender_address, sender_name)),
                  ("To", "to_name" if display_name else "to", headers.mailbox("To", recipient, display_name)),
                  *after_to]
        raw = ("\r\n".join(line for _, _, line in fields) + "\r\n").encode("utf-8") + body.as_bytes(policy=SMTP)
        _verify(raw, _Expected(
            fields=[(header, field) for header, field, _ in fields] + [(header, "body") for header in body.keys()],
            sender=(sender_name or "", sender_address), to=(display_name or "", recipient), subject=subject,
            reply_to=checked_reply_to, in_reply_to=in_reply_to, references=" ".join(references), text=text, html=html,
        ))
        return raw

    raw = None
    if name and headers.fits_as_display_name(name):
        try:
            raw = written(name)
        except UnsafeHeader as problem:
            if problem.field != "to_name":
                raise
    return OutgoingMail(recipient=recipient, subject=subject, message_id=message_id, message=raw or written(None))


def parse_mail(raw: bytes) -> EmailMessage:
    """A message as we wrote it (UTF-8 in headers only with SMTPUTF8), parsed by the standard library."""
    message = message_from_string(raw.decode("utf-8").replace("\r\n", "\n"),
                                  policy=parsing_once(default))
    assert isinstance(message, EmailMessage)
    return message


def check_sender(sender: str) -> None:
    """Raise UnsafeHeader unless sender can be every message's From (checked once at start-up)."""
    _sender(sender)


def _sender(sender: str) -> tuple[str | None, str]:
    """The configured From: its address must be ASCII, since every message we send carries it."""
    headers.checked_text("sender", sender)
    name, address = parseaddr(sender)
    address = envelope_address("sender", address or sender)
    if not address.isascii():
        raise UnsafeHeader("sender", "must have an ASCII local part: it is on every message, SMTPUTF8 or not")
    if name:
        name = headers.checked_text("sender", name)
        if not headers.fits_as_display_name(name):
            raise UnsafeHeader("sender", "the name must not contain address specials such as , < > @ ( ) \"")
    return name or None, address


def _lines(body: str) -> str:
    """One "\n" per line break of any kind, ending with one: what the body part will give back."""
    return "\n".join(body.splitlines()) + "\n"


def _body(text: str, html: str | None) -> EmailMessage:
    body = EmailMessage(policy=parsing_once(SMTP))
    body.set_content(text, cte="quoted-printable")
    if html is not None:
        body.add_alternative(html, subtype="html", cte="quoted-printable")
    return body


@dataclass(frozen=True)
class _Expected:
    """What the parsed message must say; fields pairs each header with the parameter that wrote it."""

    fields: list[tuple[str, str]]
    sender: tuple[str, str]
    to: tuple[str, str]
    subject: str
    reply_to: str | None
    in_reply_to: str | None
    references: str
    text: str
    html: str | None


def _verify(raw: bytes, expected: _Expected) -> None:
    """Parse raw back and compare it with expected; UnsafeHeader names the parameter behind the first difference."""
    parsed = parse_mail(raw)
    names = [name.lower() for name in parsed.keys()]
    wanted = [name.lower() for name, _ in expected.fields]
    if names != wanted:
        position = next((i for i, (a, b) in enumerate(zip(names, wanted)) if a != b), min(len(names), len(wanted)))
        culprit = expected.fields[max(position - 1, 0)][1]
        raise UnsafeHeader(culprit, f"could not be written safely: the mail's header fields became {names}")
    checks = [
        ("sender", _mailboxes(parsed, "From") == [expected.sender]),
        # The address was checked by email-validator, so a wrong To can only come from the name beside it.
        ("to_name" if expected.to[0] else "to", _mailboxes(parsed, "To") == [expected.to]),
        ("subject", parsed["Subject"] == expected.subject),
        ("reply_to", expected.reply_to is None or _mailboxes(parsed, "Reply-To") == [("", expected.reply_to)]),
        ("in_reply_to", expected.in_reply_to is None or parsed["In-Reply-To"] == expected.in_reply_to),
        ("references", not expected.references or parsed["References"] == expected.references),
        ("text", _part(parsed, "plain") == expected.text),
        ("html", _part(parsed, "html") == expected.html),
    ]
    for field, agrees in checks:
        if not agrees:
            raise UnsafeHeader(field, "could not be written safely: the mail read back differs from what was written")


def _mailboxes(parsed: EmailMessage, name: str) -> list[tuple[str, str]]:
    header = parsed[name]
    return [(address.display_name, address.addr_spec) for address in header.addresses] if header else []


def _part(parsed: EmailMessage, subtype: str) -> str | None:
    """The one part of that subtype, or None; more than one text or HTML part counts as a difference."""
    parts = [part for part in parsed.walk() if part.get_content_type() == f"text/{subtype}"]
    if len(parts) != 1:
        return None
    content = parts[0].get_content()
    return content if isinstance(content, str) else None
