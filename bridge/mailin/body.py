"""The customer's words and files in an email: text (HTML converted), quotes and signature trimmed.

A reply carries the whole conversation quoted below it and a signature; the ticket wants only
what is new. Trimming is mail-parser-reply's (maintained, many languages' "On ... wrote:"
lines); HTML-only mail becomes text with inscriptis, which keeps lists and paragraphs readable
and never runs the page's scripts or fetches its images.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage, Message

from inscriptis import get_text
from mailparser_reply import EmailReplyParser

from bridge.tickets.conversation import Upload, safe_filename

# The languages whose "On ... wrote:" and signature lines are recognised.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
NO_TEXT = "(The email had no text.)"


@dataclass(frozen=True)
class Files:
    """An email's attachments split into those the desk keeps and the names of those it refuses, with why."""

    kept: list[Upload]
    refused: list[str]


def new_text(message: EmailMessage) -> str:
    """What the sender wrote in this message, without the quoted conversation or their signature."""
    full = full_text(message)
    if not full:
        return NO_TEXT
    trimmed = EmailReplyParser(languages=REPLY_LANGUAGES).read(full).replies
    body = trimmed[0].body.strip() if trimmed else ""
    return body or full


def full_text(message: EmailMessage) -> str:
    """The plain-text body, or the HTML body as text when there is no plain one; line breaks as "\n"."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = get_text(text)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip()


def attachments(message: EmailMessage, *, max_bytes: int, max_files: int) -> Files:
    """The files attached, each at most max_bytes and at most max_files of them; the rest named as refused."""
    kept: list[Upload] = []
    refused: list[str] = []
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        name = safe_filename(part.get_filename() or f"attachment.{part.get_content_subtype()}")
        data = part.get_payload(decode=True) or b""
        if len(data) > max_bytes:
            refused.append(f"{name} ({len(data) / 1_000_000:.1f} MB; each file must be at most "
                           f"{max_bytes // 1_000_000} MB)")
        elif len(kept) >= max_files:
            refused.append(f"{name} (at most {max_files} files an email)")
        else:
            kept.append(Upload(filename=name, content_type=part.get_content_type(), data=data))
    return Files(kept, refused)


def _decoded(part: Message) -> str:
    """The part's text; a charset Python does not know is read as UTF-8 with replacements rather than refused."""
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")
