"""Writing the header lines of the mail we send, ourselves, from values checked here.

The standard library refolds every header value it writes, and that folder has let customers'
words become headers: an RFC 2047 encoded word in a name or subject decoded into a real line
break (CVE-2024-6923, Python 3.11.7 and 3.12.1 among others), and a long display name with
address specials lost its quotes when folded, so "A <eve@evil.example>, B" became two
recipients (gh-80222, still open in 3.13). Python 3.11.7 also drops spaces between the encoded
words it writes. So the bridge writes its few header lines itself, the same on every Python:
printable ASCII folded at spaces, anything else as RFC 2047 "B" encoded words split between
characters (unfolding and decoding give back exactly the value), and refuses what no header of
ours should carry. bridge/notify/compose.py parses every message back with the library as a
second line of defence.
"""
from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Sequence

MAX_LINE = 78
MAX_ENCODED_WORD = 75
# Anything a lenient decoder could take for an encoded word (=?charset?encoding?text?=): Python's own
# accepts white space inside and a "?" in the text, so only "=?", two more "?" and a final "?=" are required.
ENCODED_WORD = re.compile(r"=\?[^?]*\?[^?]*\?.*\?=", re.DOTALL)
# RFC 5322 specials that make a display name need quoting: the source of gh-80222's extra recipients.
ADDRESS_SPECIALS = frozenset('()<>[]:;@\\,"')
# The dot-atom characters of RFC 5322 (atext and "."), the only ones a message id of ours may hold.
MESSAGE_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}>")
_BREAKING_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")
_EW_PREFIX = "=?utf-8?b?"


class UnsafeHeader(ValueError):
    """A value cannot be written into the named header field; field is the composer's parameter name."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def text_problem(value: str) -> str | None:
    """Why value cannot be header text, or None: line breaks of any kind (CR, LF, NEL, U+2028...),
    other control characters, and anything a reader could decode as an RFC 2047 encoded word."""
    if any(unicodedata.category(char) in _BREAKING_CATEGORIES for char in value):
        return "must not contain line breaks or control characters"
    if ENCODED_WORD.search(value):
        return "must not contain an encoded word (=?...?=); type the text itself"
    return None


def checked_text(field: str, value: str) -> str:
    """value on one line (runs of spaces made one, ends trimmed), or UnsafeHeader naming field."""
    problem = text_problem(value)
    if problem:
        raise UnsafeHeader(field, problem)
    return re.sub(" {2,}", " ", value).strip()


def fits_as_display_name(name: str) -> bool:
    """Whether name can stand before an address: no address specials (a real name with a comma or
    brackets is legitimate, so callers leave it out of the header rather than refuse it), and
    either printable ASCII or short enough for one encoded word (see mailbox)."""
    if ADDRESS_SPECIALS.intersection(name):
        return False
    return (name.isascii() and name.isprintable()) or len(_encode_word(name)) <= MAX_ENCODED_WORD


def checked_message_id(field: str, value: str) -> str:
    if not MESSAGE_ID.fullmatch(value) or "=?" in value:
        raise UnsafeHeader(field, "must be a message id such as <123.abc@example.com>")
    return value


def unstructured(name: str, value: str) -> str:
    """The header line(s) for a text field such as Subject, folded, without the final CRLF."""
    if value.isascii() and value.isprintable():
        return _fold_at_spaces(f"{name}: {value}")
    return _encoded(f"{name}: ", value)


def mailbox(name: str, address: str, display_name: str | None = None) -> str:
    """An address field (From, To, Reply-To) naming one mailbox.

    display_name must have passed checked_text and fits_as_display_name. Printable ASCII is
    written as a quoted string (folded at its spaces if long); anything else as one encoded
    word, since readers disagree about adjacent encoded words in a name (RFC 2047 drops the
    space between them, Python's parser keeps one). The address comes from email-validator: a
    dot-atom local part (raw UTF-8 only when non-ASCII, sent with SMTPUTF8), an ASCII domain.
    """
    if not display_name:
        return f"{name}: {address}"
    if display_name.isascii() and display_name.isprintable():
        return _fold_at_spaces(f'{name}: "{display_name}" <{address}>')
    return f"{name}: {_encode_word(display_name)}\r\n <{address}>"


def message_ids(name: str, ids: Sequence[str]) -> str:
    """In-Reply-To or References: checked ids, one per line."""
    return f"{name}: " + "\r\n ".join(ids)


def _fold_at_spaces(line: str) -> str:
    """Break a long line at spaces, never straight after the field's name (a reader would keep that
    space as part of the value); unfolding (removing each CRLF) gives the line back exactly."""
    name, value_start, *words = line.split(" ")
    lines = [f"{name} {value_start}"]
    for word in words:
        if len(lines[-1]) + 1 + len(word) > MAX_LINE:
            lines.append(f" {word}")
        else:
            lines[-1] += f" {word}"
    return "\r\n".join(lines)


def _encoded(prefix: str, value: str) -> str:
    """prefix, then value as encoded words, one per line, each as long as fits; the first shares the prefix's line."""
    words: list[str] = []
    chunk = ""
    room = MAX_LINE - len(prefix)
    for char in value:
        if chunk and len(_encode_word(chunk + char)) > room:
            words.append(_encode_word(chunk))
            chunk, room = "", MAX_ENCODED_WORD
        chunk += char
    words.append(_encode_word(chunk))
    return prefix + "\r\n ".join(words)


def _encode_word(text: str) -> str:
    return f"{_EW_PREFIX}{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="
