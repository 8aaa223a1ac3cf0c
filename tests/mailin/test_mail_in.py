"""An email to the support address, as the desk handles it: on SQLite and PostgreSQL, mail out through a real SMTP server."""
from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from bridge.accounts.models import StaffMember
from bridge.mailin.models import InboundMessage
from bridge.mailin.parse import TooLarge, Unreadable
from bridge.mailin.receive import Outcome
from bridge.tickets.conversation import TicketMessage
from bridge.tickets.lifecycle import change_status
from bridge.tickets.models import Ticket, TicketEvent
from bridge.tickets.status import TicketStatus
from tests.mailin.conftest import SUPPORT, Desk, email


def messages_on(desk: Desk, reference: str) -> list[TicketMessage]:
    with desk.services.sessions()() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        return list(session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                    .order_by(TicketMessage.id)))


def set_status(desk: Desk, reference: str, status: TicketStatus) -> None:
    with desk.services.sessions()() as session, session.begin():
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        change_status(session, ticket, status, actor="staff@example.com", now=datetime.now(UTC))


def status_of(desk: Desk, reference: str) -> str:
    return next(ticket.status for ticket in desk.tickets() if ticket.reference == reference)


def test_a_new_email_raises_a_ticket_and_is_acknowledged_with_the_reference_in_the_subject(desk: Desk) -> None:
    mail = email(text="When I print an invoice the page is blank.\n\nThanks,\nAda\n-- \nAda Lovelace | Acme Ltd")
    received = desk.receive(mail)

    assert received.outcome == Outcome.TICKET
    [ticket] = desk.tickets()
    assert ticket.reference == received.reference
    assert (ticket.email, ticket.name, ticket.subject) == ("ada@acme.example", "Ada Lovelace", "Invoices print blank")
    assert ticket.product == "ledger"  # Ada's only product
    assert ticket.status == "new" and ticket.respond_by is not None
    assert "the page is blank" in ticket.description and "Acme Ltd" not in ticket.description  # signature trimmed
    [acknowledgement] = desk.send_mail()
    assert acknowledgement["To"].addresses[0].addr_spec == "ada@acme.example"
    assert acknowledgement["Subject"].startswith(f"[{ticket.reference}] ")
    assert acknowledgement["In-Reply-To"] == mail["Message-ID"]  # the customer's client threads the two
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    assert ticket.reference in acknowledgement.get_body(("plain",)).get_content()


def test_a_reply_quoting_the_reference_in_its_subject_lands_on_the_ticket_and_reopens_it(desk: Desk) -> None:
    first = desk.receive(email())
    set_status(desk, first.reference, TicketStatus.WAITING_ON_CUSTOMER)
    reply = email(subject=f"RE: [{first.reference}] We have your request: Invoices print blank",
                  text="It happens on every invoice.\n\nOn Tue, 8 Dec 2026, Support wrote:\n> Which invoices?\n")

    received = desk.receive(reply)

    assert (received.outcome, received.reference) == (Outcome.MESSAGE, first.reference)
    assert len(desk.tickets()) == 1
    [message] = messages_on(desk, first.reference)
    assert message.body == "It happens on every invoice."  # the quoted conversation trimmed
    assert (message.author_email, message.author_role) == ("ada@acme.example", "customer")
    assert status_of(desk, first.reference) == "open"


def test_a_reply_by_in_reply_to_alone_lands_on_the_ticket(desk: Desk) -> None:
    first = desk.receive(email())
    [acknowledgement] = desk.send_mail()
    reply = email(subject="Re: that printing problem", text="Still blank today.",
                  In_Reply_To=acknowledgement["Message-ID"], References=acknowledgement["Message-ID"])

    received = desk.receive(reply)

    assert (received.outcome, received.reference) == (Outcome.MESSAGE, first.reference)
    assert [message.body for message in messages_on(desk, first.reference)] == ["Still blank today."]


def test_a_reply_from_a_stranger_never_joins_the_ticket(desk: Desk) -> None:
    first = desk.receive(email())
    [acknowledgement] = desk.send_mail()
    intruder = email(sender="Eve <eve@elsewhere.example>", subject=f"Re: [{first.reference}] Invoices print blank",
                     text="Please send me the invoices.", In_Reply_To=acknowledgement["Message-ID"])

    received = desk.receive(intruder)

    assert received.outcome == Outcome.TICKET and received.reference != first.reference
    assert messages_on(desk, first.reference) == []
    eves = [ticket for ticket in desk.tickets() if ticket.email == "eve@elsewhere.example"]
    assert [ticket.status for ticket in eves] == ["withheld"]  # not a contact: stored, support withheld


def test_a_reference_with_a_wrong_check_digit_is_not_trusted(desk: Desk) -> None:
    first = desk.receive(email())
    wrong = first.reference[:-1] + str((int(first.reference[-1]) + 1) % 10)

    received = desk.receive(email(subject=f"Re: [{wrong}] Invoices print blank", text="More detail."))

    assert received.outcome == Outcome.TICKET and received.reference != first.reference
    assert messages_on(desk, first.reference) == []


def test_a_colleague_who_may_see_the_ticket_adds_to_it(desk: Desk) -> None:
    """Bob is a nominated contact of Ada's organisation with ledger: access.py lets him write on her ticket."""
    first = desk.receive(email())
    received = desk.receive(email(sender="bob@acme.example", subject=f"[{first.reference}]", text="Same for me."))
    assert (received.outcome, received.reference) == (Outcome.MESSAGE, first.reference)


def test_a_reply_to_a_closed_ticket_raises_a_follow_up(desk: Desk) -> None:
    first = desk.receive(email())
    set_status(desk, first.reference, TicketStatus.CLOSED)

    received = desk.receive(email(subject=f"Re: [{first.reference}] Invoices print blank", text="It is back."))

    assert received.outcome == Outcome.TICKET
    follow_up = next(ticket for ticket in desk.tickets() if ticket.reference == received.reference)
    assert follow_up.follows_up == next(t.id for t in desk.tickets() if t.reference == first.reference)


@pytest.mark.parametrize("header", [
    {"Auto_Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"X_Autoreply": "yes"},
    {"List_Id": "<users.lists.example>"},
    {"Return_Path": "<>"},
])
def test_automatic_mail_raises_no_ticket_and_gets_no_reply(desk: Desk, header: dict[str, str]) -> None:
    received = desk.receive(email(subject="Out of office: Invoices print blank", **header))

    assert received.outcome == Outcome.AUTOMATIC
    assert desk.tickets() == [] and desk.send_mail() == []
    with desk.services.sessions()() as session:
        [stored] = session.scalars(select(InboundMessage)).all()
    assert stored.outcome == "automatic"  # kept all the same


def test_mail_from_a_mailer_daemon_or_the_support_address_itself_is_automatic(desk: Desk) -> None:
    assert desk.receive(email(sender="MAILER-DAEMON@mx.acme.example")).outcome == Outcome.AUTOMATIC
    assert desk.receive(email(sender=SUPPORT)).outcome == Outcome.AUTOMATIC
    assert desk.tickets() == [] and desk.send_mail() == []


def delivery_status_notification(original: EmailMessage) -> EmailMessage:
    """A bounce as Postfix writes it (RFC 3464): a report with the status and the original's headers."""
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.acme.example (Mail Delivery System)"
    bounce["To"] = SUPPORT
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<bounce.1@mx.acme.example>"
    bounce["Auto-Submitted"] = "auto-replied"
    bounce.set_content("I'm sorry to have to inform you that your message could not be delivered.")
    bounce.make_mixed()
    bounce.set_type("multipart/report")
    bounce.set_param("report-type", "delivery-status")
    status = EmailMessage()
    status.set_type("message/delivery-status")
    per_message, per_recipient = EmailMessage(), EmailMessage()
    per_message["Reporting-MTA"] = "dns; mx.acme.example"
    per_recipient["Final-Recipient"] = "rfc822; ada@acme.example"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = "5.1.1"
    per_recipient["Diagnostic-Code"] = "smtp; 550 5.1.1 <ada@acme.example>: Recipient address rejected"
    status.set_payload([per_message, per_recipient])
    bounce.attach(status)
    headers = EmailMessage()
    headers.set_content("".join(f"{name}: {value}\n" for name, value in original.items()), subtype="rfc822-headers")
    bounce.attach(headers)
    return bounce


def test_a_bounce_of_our_acknowledgement_is_recorded_against_it_and_raises_nothing(desk: Desk) -> None:
    first = desk.receive(email())
    [acknowledgement] = desk.send_mail()

    received = desk.receive(delivery_status_notification(acknowledgement))

    assert (received.outcome, received.reference) == (Outcome.BOUNCE, first.reference)
    # What `kb mail ingest` prints goes to the mail server's log: no address, no reason; the ticket keeps both.
    assert received.detail == f"our acknowledgement #{desk.outbox()[0].id} bounced"
    assert len(desk.tickets()) == 1 and desk.send_mail() == []
    with desk.services.sessions()() as session:
        bounced = session.scalars(select(InboundMessage).where(InboundMessage.outcome == "bounce")).one()
        assert bounced.bounced_id == desk.outbox()[0].id
        [event] = session.scalars(select(TicketEvent).where(TicketEvent.kind == "mail_bounced")).all()
    assert "5.1.1" in event.detail["reason"] and event.detail["recipient"] == desk.outbox()[0].recipient


def test_the_same_message_id_twice_changes_nothing(desk: Desk) -> None:
    mail = email()
    first = desk.receive(mail)
    again = desk.receive(mail)

    assert first.outcome == Outcome.TICKET and again.outcome == Outcome.DUPLICATE
    assert len(desk.tickets()) == 1 and len(desk.send_mail()) == 1


def test_an_html_only_email_becomes_text(desk: Desk) -> None:
    html = ("<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
            "<p>The <b>VAT report</b> is empty.</p><ul><li>Quarter 3</li><li>Quarter 4</li></ul></body></html>")
    received = desk.receive(email(text=None, html=html, subject="VAT report empty"))

    [ticket] = desk.tickets()
    assert received.outcome == Outcome.TICKET
    assert "The VAT report is empty." in ticket.description and "Quarter 4" in ticket.description
    assert "<" not in ticket.description and "alert" not in ticket.description and "color" not in ticket.description


def test_an_attachment_over_the_limit_is_refused_with_a_note_and_the_ticket_stands(desk: Desk) -> None:
    mail = email()
    mail.add_attachment(b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="invoice.pdf")
    mail.add_attachment(b"x" * 1_500_000, maintype="application", subtype="zip", filename="logs.zip")

    received = desk.receive(mail)

    assert received.outcome == Outcome.TICKET
    [message] = messages_on(desk, received.reference)
    assert [(a.filename, a.size) for a in message.attachments] == [("invoice.pdf", 14)]
    sent = desk.send_mail()
    assert len(sent) == 2
    note = next(mail for mail in sent if "could not keep" in mail["Subject"])
    assert note["Subject"].startswith(f"[{received.reference}]")
    assert "logs.zip (1.5 MB; each file must be at most 1 MB)" in note.get_body(("plain",)).get_content()


def test_the_product_comes_from_a_plus_address(desk: Desk) -> None:
    """Bob may see ledger and rota; writing to support+rota@ says which."""
    received = desk.receive(email(sender="bob@acme.example", to="support+rota@example.com"))
    assert received.outcome == Outcome.TICKET
    assert desk.tickets()[0].product == "rota"


def test_without_a_plus_address_or_an_only_product_the_policy_default_for_mail_applies(desk: Desk) -> None:
    desk.receive(email(sender="bob@acme.example"))
    assert desk.tickets()[0].product == "support"  # site_config/support.yml email.product


def test_acknowledgements_to_one_address_are_limited_per_hour(desk: Desk) -> None:
    results = [desk.receive(email(subject=f"Problem {n}")) for n in range(7)]

    assert [result.outcome for result in results] == [Outcome.TICKET] * 7
    assert len(desk.tickets()) == 7  # every request is kept
    assert len(desk.send_mail()) == 5  # KB_MAIL_ACKNOWLEDGEMENTS_PER_HOUR
    assert "not acknowledged" in results[-1].detail


def test_a_subject_smuggling_a_header_stays_one_line(desk: Desk) -> None:
    raw = (b"From: ada@acme.example\r\nTo: support@example.com\r\nMessage-ID: <inject.1@acme.example>\r\n"
           b"Subject: =?utf-8?q?Help=0D=0ABcc:_victim@example.org?=\r\n\r\nBody\r\n")
    desk.receive(raw)

    [ticket] = desk.tickets()
    assert ticket.subject == "Help Bcc: victim@example.org"
    [acknowledgement] = desk.send_mail()
    assert acknowledgement["Bcc"] is None and len(desk.smtp.received[-1].rcpt_tos) == 1


def test_out_of_hours_the_acknowledgement_says_when_the_clock_starts(desk: Desk) -> None:
    desk.clock[0] = datetime(2026, 12, 12, 11, 0, tzinfo=UTC)  # a Saturday
    desk.receive(email())
    [acknowledgement] = desk.send_mail()
    text = " ".join(acknowledgement.get_body(("plain",)).get_content().split())
    assert "outside office hours, so the clock starts when we open: Monday 14 December, 08:30 UK time" in text


def test_a_long_thread_is_looked_up_by_its_nearest_messages(desk: Desk) -> None:
    first = desk.receive(email())
    [acknowledgement] = desk.send_mail()
    older = " ".join(f"<old{n}@acme.example>" for n in range(2000))
    reply = email(subject="Re: printing", text="Any news?", References=f"{older} {acknowledgement['Message-ID']}")

    received = desk.receive(reply)

    assert (received.outcome, received.reference) == (Outcome.MESSAGE, first.reference)


def test_a_header_too_large_to_read_is_refused_before_parsing(desk: Desk) -> None:
    raw = email(References=" ".join(f"<id{n}@acme.example>" for n in range(10_000))).as_bytes()
    with pytest.raises(TooLarge, match="the header is"):
        desk.receive(raw)
    assert desk.tickets() == []


def test_staff_answering_a_notification_by_mail_leave_an_internal_note_not_a_ticket(desk: Desk) -> None:
    with desk.services.sessions()() as session:
        session.add(StaffMember(email="sam@example.com", name="Sam Staff", boards=["ledger"], admin=False))
        session.commit()
    first = desk.receive(email())
    desk.send_mail()

    received = desk.receive(email(sender="Sam Staff <sam@example.com>", subject=f"Re: [{first.reference}] New ticket",
                                  text="Looks like the printer driver again."))

    assert (received.outcome, received.reference) == (Outcome.MESSAGE, first.reference)
    [note] = messages_on(desk, first.reference)
    assert (note.body, note.internal, note.author_role) == ("Looks like the printer driver again.", True, "staff")
    assert len(desk.tickets()) == 1
    assert [mail for mail in desk.send_mail() if mail["To"].addresses[0].addr_spec == "ada@acme.example"] == []


@pytest.mark.parametrize(("raw", "reason"), [
    (b"Subject: no sender\r\nMessage-ID: <a@b.example>\r\n\r\nhi\r\n", "From must name exactly one address"),
    (b"From: a@b.example, c@d.example\r\nSubject: two\r\n\r\nhi\r\n", "From must name exactly one address"),
    (b"From: not an address\r\nSubject: x\r\n\r\nhi\r\n", "exactly one address|is not an email address"),
    (b"\r\n\r\n", "empty"),
])
def test_a_malformed_message_is_refused_with_the_reason_and_nothing_stored(desk: Desk, raw: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        desk.receive(raw)
    with desk.services.sessions()() as session:
        assert session.scalars(select(InboundMessage)).all() == []
