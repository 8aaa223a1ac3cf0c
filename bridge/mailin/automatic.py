"""Telling mail a robot sent from mail a person wrote, and reading bounces of our own mail.

An auto-reply answered with an acknowledgement is answered again, and two desks can mail each
other for ever. RFC 3834 (Auto-Submitted), the older Precedence and X-Autoreply fields, an empty
return path (RFC 5321: bounces and other notifications), mailer-daemon senders and mailing lists
(List-Id) all mark a message no person is waiting on an answer to. Such mail is stored, but it
never raises a ticket or gets a reply. A delivery status notification (RFC 3464) names the
message it reports in its attached copy; when that is one of ours, the bounce is recorded
against it.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import HeaderParser
from email.policy import default

from bridge.mailin.parse import MESSAGE_IDS, IncomingMail, one_line

ROBOT_SENDERS = ("mailer-daemon", "postmaster")
BULK_PRECEDENCE = ("bulk", "junk", "list")


@dataclass(frozen=True)
class Bounce:
    """What a delivery status notification says: the Message-ID it reports, and why delivery failed."""

    message_id: str | None
    reason: str


def automatic_reason(mail: IncomingMail) -> str | None:
    """Why this mail was sent by a robot, or None when a person sent it."""
    message = mail.message
    auto_submitted = one_line(str(message.get("Auto-Submitted", ""))).lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = one_line(str(message.get("Precedence", ""))).lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for field in ("X-Autoreply", "X-Autorespond", "List-Id"):
        if message.get(field) is not None:
            return f"{field} is present"
    if mail.return_path == "":
        return "its return path is empty (<>)"
    if mail.sender.partition("@")[0] in ROBOT_SENDERS:
        return f"it is from {mail.sender}"
    return None


def bounce(mail: IncomingMail) -> Bounce | None:
    """The bounce this mail is, or None: a multipart/report of delivery status, or a robot's mail quoting one."""
    message = mail.message
    report = message.get_content_type() == "multipart/report" and message.get_param("report-type") == "delivery-status"
    if not report and automatic_reason(mail) is None:
        return None
    original, reason = None, ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            reason = _status(part)
        elif kind == "message/rfc822" and original is None:
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                original = _first_id(inner[0].get("Message-ID", ""))
        elif kind == "text/rfc822-headers" and original is None:
            headers = HeaderParser(policy=default).parsestr(part.get_content())
            original = _first_id(headers.get("Message-ID", ""))
    if not report and original is None:
        return None
    return Bounce(original, reason or "a delivery status notification without a status")


def _status(part: EmailMessage) -> str:
    """The recipient's status and the server's diagnostic, e.g. "5.1.1 smtp; 550 no such user"."""
    fields: dict[str, str] = {}
    for block in part.get_payload():
        for name in ("Final-Recipient", "Status", "Diagnostic-Code", "Action"):
            if block.get(name) is not None and name not in fields:
                fields[name] = one_line(str(block.get(name)))
    return "; ".join(f"{name}: {value}" for name, value in fields.items())


def _first_id(value: object) -> str | None:
    found = MESSAGE_IDS.findall(str(value))
    return found[0] if found else None
