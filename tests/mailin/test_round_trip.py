"""The whole conversation by email: a customer mails the desk, staff answer, the customer's mail client replies."""
from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import select

from bridge.accounts.identity import account_for
from bridge.accounts.models import StaffMember
from bridge.desk.actions import add_staff_message, update_ticket
from bridge.mailin.receive import Outcome
from bridge.tickets.conversation import TicketMessage
from bridge.tickets.models import Ticket
from tests.mailin.conftest import SUPPORT, Desk, email


def client_reply(to: EmailMessage, text: str) -> EmailMessage:
    """A reply as a mail client writes it: Re: the subject, threaded on the mail it answers, that mail quoted below."""
    quoted = "".join(f"> {line}\n" for line in to.get_body(("plain",)).get_content().splitlines())
    references = " ".join(filter(None, [str(to.get("References", "")), to["Message-ID"]]))
    sender = to["Reply-To"] or to["From"]
    return email(to=str(sender), subject=f"Re: {to['Subject']}", In_Reply_To=to["Message-ID"], References=references,
                 text=f"{text}\n\nOn Tue, 8 Dec 2026 at 11:00, {to['From']} wrote:\n{quoted}")


def test_customer_mails_staff_answer_the_customer_replies_and_it_lands_on_the_same_ticket(desk: Desk) -> None:
    with desk.services.sessions()() as session:
        session.add(StaffMember(email="sam@example.com", name="Sam Staff", boards=["ledger"], admin=False))
        session.commit()

    first = desk.receive(email(subject="Invoices print blank", text="Every invoice prints as a blank page."))
    [acknowledgement] = [mail for mail in desk.send_mail() if mail["To"].addresses[0].addr_spec == "ada@acme.example"]
    assert first.reference in acknowledgement["Subject"]

    now = datetime.now(UTC)
    with desk.services.sessions()() as session, session.begin():
        ticket = session.scalars(select(Ticket).where(Ticket.reference == first.reference)).one()
        staff = account_for(session, "sam@example.com")
        add_staff_message(session, desk.services.desk(), ticket, actor=staff, internal=False, now=now,
                          body="Which printer do you use? Please try printing to PDF.")
        update_ticket(session, desk.services.desk(), ticket, {"status": "waiting_on_customer"}, actor=staff, now=now)
    answers = [mail for mail in desk.send_mail() if "Which printer" in mail.get_body(("plain",)).get_content()]
    [answer] = answers
    assert answer["Reply-To"].addresses[0].addr_spec == SUPPORT
    assert answer["In-Reply-To"] == acknowledgement["Message-ID"]

    reply = client_reply(answer, "A LaserJet 4000. Printing to PDF works.")
    reply.replace_header("Subject", "Re: printer question")  # the customer edits the reference out: In-Reply-To still threads it
    received = desk.receive(reply)

    assert (received.outcome, received.reference) == (Outcome.MESSAGE, first.reference)
    with desk.services.sessions()() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == first.reference)).one()
        bodies = session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id)
                                 .order_by(TicketMessage.id)).all()
        assert ticket.status == "open"
    assert bodies == ["Which printer do you use? Please try printing to PDF.",
                      "A LaserJet 4000. Printing to PDF works."]
    assert len(desk.tickets()) == 1
