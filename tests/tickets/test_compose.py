"""compose_mail, the one way the bridge writes mail: every header field we fill, sent through a real
SMTP server (aiosmtpd) and read back from what it received.

The attacks are the ones issue 18 found (CVE-2024-6923: encoded words decoded into line breaks;
gh-80222: a folded display name becoming two recipients) and their relatives: other encodings
and charsets, other header names, every kind of line break, every parameter that reaches a header.
"""
from __future__ import annotations

import random
import re
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from smtp_recorder import ReceivedMail, RecordingHandler

from bridge.notify.compose import OutgoingMail, compose_mail, parse_mail
from bridge.notify.headers import UnsafeHeader
from bridge.notify.transport import SmtpTransport

SENDER = "Example Support <support@example.com>"
OUR_HEADERS = ["from", "to", "subject", "date", "message-id", "auto-submitted", "mime-version", "content-type"]

# Encoded words that decode to a line break followed by a header or a body, in every form a reader decodes.
ENCODED_INJECTIONS = [
    "=?utf-8?q?B=0D=0AContent-Type=3A_text/html=0D=0A=0D=0A=3Ch1=3EPay_now=3C/h1=3E?=",
    "=?utf-8?q?hi=0D=0ABcc=3A_eve2=40evil=2Eexample?=",
    "=?UTF-8?B?aGkNCkJjYzogZXZlQGV2aWwuZXhhbXBsZQ==?=",  # base64, upper case
    "=?iso-8859-1?q?hi=0ACc=3A_eve=40evil=2Eexample?=",  # another charset, a bare LF
    "=?utf-8*en?q?hi=0D=0AReply-To=3A_eve=40evil=2Eexample?=",  # RFC 2231 language tag
    "Invoice =?us-ascii?Q?x=0D=0AX-Priority=3A_1?= question",  # inside ordinary text
    "=?utf-8?b?wqVoaQ0KU3ViamVjdDogUGF5IG5vdw==?=",  # another header name (Subject) after CRLF
]
# Every character a reader may take for the end of a line.
LINE_BREAKS = ["\r", "\n", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x00"]


def compose(**changes: object) -> OutgoingMail:
    fields: dict[str, object] = {"sender": SENDER, "to": "ada@example.org", "subject": "Your request",
                                 "text": "Hello,\nwe have it.", "html": "<p>Hello, we have it.</p>"}
    fields.update(changes)
    return compose_mail(**fields)  # type: ignore[arg-type]


@pytest.fixture
def smtp(start_smtp_server: Callable[..., RecordingHandler]) -> RecordingHandler:
    return start_smtp_server(smtputf8=True)


@pytest.fixture
def relay(smtp: RecordingHandler, free_port: int) -> Callable[[OutgoingMail], tuple[ReceivedMail, EmailMessage]]:
    """Send one composed mail through the real server; what it received, raw and parsed."""

    def send(mail: OutgoingMail) -> tuple[ReceivedMail, EmailMessage]:
        SmtpTransport(f"smtp://127.0.0.1:{free_port}").send(mail.recipient, mail.message)
        received = smtp.received[-1]
        return received, parse_mail(received.content)

    return send


def header_names(received: ReceivedMail) -> list[str]:
    """The header fields as the raw bytes have them (a continuation line starts with white space)."""
    head = received.content.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line and line[0] not in " \t"]


@pytest.mark.parametrize("injection", ENCODED_INJECTIONS)
@pytest.mark.parametrize("field", ["to_name", "subject"])
def test_encoded_words_are_refused_naming_the_field(field: str, injection: str) -> None:
    with pytest.raises(UnsafeHeader) as refused:
        compose(**{field: injection})
    assert refused.value.field == field
    assert "encoded word" in refused.value.problem


@pytest.mark.parametrize("line_break", LINE_BREAKS, ids=repr)
@pytest.mark.parametrize("field", ["to_name", "subject", "to", "reply_to", "in_reply_to", "sender"])
def test_line_breaks_are_refused_in_every_field_that_reaches_a_header(field: str, line_break: str) -> None:
    values = {"to_name": "Ada", "subject": "Hi", "to": "ada@example.org", "reply_to": "desk@example.com",
              "in_reply_to": "<1.2@example.com>", "sender": "support@example.com"}
    value = values[field]
    with pytest.raises(UnsafeHeader) as refused:
        compose(**{field: f"{value[:-1]}{line_break}Bcc: eve@evil.example{value[-1]}"})
    assert refused.value.field == field


def test_references_are_checked_one_by_one() -> None:
    with pytest.raises(UnsafeHeader) as refused:
        compose(references=["<1@example.com>", "<2@example.com>\r\nBcc: eve@evil.example"])
    assert refused.value.field == "references"


@pytest.mark.parametrize("name", [
    "Support Team <eve@evil.example>, " + "x" * 80,  # gh-80222: folds into two recipients
    "Smith, John",
    'Ada "The Countess" Lovelace',
    "Ada (work account)",
    "eve@evil.example",
    "Group: eve@evil.example;",
    "Zoë <eve@evil.example>",
])
def test_a_name_with_address_specials_is_left_out_and_the_mail_has_one_recipient(relay, name: str) -> None:
    received, message = relay(compose(to_name=name))

    assert received.rcpt_tos == ["ada@example.org"]
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [("", "ada@example.org")]
    assert header_names(received) == OUR_HEADERS


@pytest.mark.parametrize("name", [
    "Ada Lovelace",
    "Dr. Augusta Ada King-Noel Countess of Lovelace",
    "O'Neil " * 28 + "Jr.",  # 200 characters of ASCII: folded inside its quotes
    "Zoë Ó Briain",
    "山田太郎",
    "Åsa-Britt Ängström",
    "Zoë 🙂",
    "=? not an encoded word",
])
def test_a_plain_name_reaches_the_to_header_exactly(relay, name: str) -> None:
    received, message = relay(compose(to_name=name))

    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [(name.strip(), "ada@example.org")]
    assert header_names(received) == OUR_HEADERS


def test_a_name_too_long_for_one_encoded_word_is_left_out(relay) -> None:
    received, message = relay(compose(to_name="Zoë Ünicode-Bergström " * 5))

    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [("", "ada@example.org")]
    assert received.rcpt_tos == ["ada@example.org"]


@pytest.mark.parametrize("subject", [
    "Cannot export invoices",
    "Invoice <eve@evil.example>, Bcc: eve@evil.example; (urgent) [1] \"quoted\" \\ back",
    "Straße é ÆØÅ façade " * 9,  # 3.11.7's own folder loses spaces between encoded words here
    "請求書をエクスポートできません。" * 12,
    "Ошибка экспорта счетов " * 8,
    "x" * 199,  # one word longer than a line
    "Why does =? appear, and ?= too",
    "e\u0301 combining and zero\u200bwidth and 👨\u200d👩\u200d👧 family",
])
def test_the_subject_reaches_the_server_exactly(relay, subject: str) -> None:
    received, message = relay(compose(subject=subject))

    assert message["Subject"] == re.sub(" +", " ", subject).strip()
    assert header_names(received) == OUR_HEADERS
    assert all(len(line) <= 998 for line in received.content.split(b"\r\n"))


def test_threading_and_reply_to_headers_reach_the_server(relay) -> None:
    references = [f"<{number}.thread@example.com>" for number in range(12)]
    received, message = relay(compose(reply_to="desk@bücher.example", in_reply_to=references[-1],
                                      references=references, auto_submitted=None))

    assert header_names(received) == ["from", "to", "subject", "date", "message-id", "reply-to", "in-reply-to",
                                      "references", "mime-version", "content-type"]
    assert [a.addr_spec for a in message["Reply-To"].addresses] == ["desk@xn--bcher-kva.example"]
    assert message["In-Reply-To"] == references[-1]
    assert message["References"].split() == references


def test_the_bodies_arrive_as_written_whatever_line_breaks_they_had(relay) -> None:
    text = "Line one\r\nline two\u2028line three\nBcc: eve@evil.example\n.\nFrom the desk"
    html = "<p>Pay <b>nothing</b></p>\r\n<p>Content-Type: text/plain</p>"

    received, message = relay(compose(text=text, html=html))

    assert message.get_body(("plain",)).get_content() == (
        "Line one\nline two\nline three\nBcc: eve@evil.example\n.\nFrom the desk\n")
    assert message.get_body(("html",)).get_content() == "<p>Pay <b>nothing</b></p>\n<p>Content-Type: text/plain</p>\n"
    assert header_names(received) == OUR_HEADERS


def test_international_addresses_are_sent_in_the_form_servers_take(relay, smtp: RecordingHandler) -> None:
    idna, _ = relay(compose(to="bob@bücher.example", to_name="Bob"))
    utf8, message = relay(compose(to="josé@example.com", to_name="José"))

    assert idna.rcpt_tos == ["bob@xn--bcher-kva.example"] and "SMTPUTF8" not in idna.mail_options
    assert utf8.rcpt_tos == ["josé@example.com"] and "SMTPUTF8" in utf8.mail_options
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [("José", "josé@example.com")]


def test_random_names_and_subjects_are_written_exactly_or_refused() -> None:
    """A fixed sample of hostile text: every composed mail reads back with our headers and one recipient."""
    pieces = list("aZ .,;:<>@()[]\\\"'=?_-") + ["é", "日", "🙂", "\u00a0", "\u200d", "=0D=0A", "Bcc: ", "=?", "?="]
    sample = random.Random(18)
    outcomes = {"written": 0, "refused": 0}
    for _ in range(400):
        name = "".join(sample.choice(pieces) for _ in range(sample.randint(1, 40)))
        subject = "S" + "".join(sample.choice(pieces) for _ in range(sample.randint(1, 120)))
        try:
            mail = compose(to_name=name, subject=subject)
        except UnsafeHeader as refused:
            assert refused.field in ("to_name", "subject") and "encoded word" in refused.problem
            outcomes["refused"] += 1
            continue
        message = parse_mail(mail.message)
        assert [a.addr_spec for a in message["To"].addresses] == ["ada@example.org"]
        assert message["Subject"] == mail.subject
        assert [name.lower() for name in message.keys()] == OUR_HEADERS
        outcomes["written"] += 1
    assert outcomes["written"] > 200 and outcomes["refused"] > 0
