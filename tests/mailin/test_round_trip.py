"""The whole conversation by email: a customer mails the desk, staff answer from /desk, the customer's mail client replies."""
from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from bridge.app import create_app
from bridge.mailin.receive import Outcome
from bridge.tickets.conversation import TicketMessage
from bridge.tickets.models import Ticket
from bridge.web.context import services
from tests.mailin.conftest import SUPPORT, Desk, email
from tests.portal.portal_fixtures import add_staff, signed_in
from tests.ticket_web_fixtures import TOKEN


def client_reply(to: EmailMessage, text: str) -> EmailMessage:
    """A reply as a mail client writes it: Re: the subject, threaded on the mail it answers, that mail quoted below."""
    quoted = "".join(f"> {line}\n" for line in to.get_body(("plain",)).get_content().splitlines())
    references = " ".join(filter(None, [str(to.get("References", "")), to["Message-ID"]]))
    sender = to["Reply-To"] or to["From"]
    return email(to=str(sender), subject=f"Re: {to['Subject']}", In_Reply_To=to["Message-ID"], References=references,
                 text=f"{text}\n\nOn Tue, 8 Dec 2026 at 11:00, {to['From']} wrote:\n{quoted}")


def test_customer_mails_staff_answer_the_customer_replies_and_it_lands_on_the_same_ticket(
        desk: Desk, built_kb: Path) -> None:
    bridge = create_app({**desk.env, "KB_BUILD_DIR": str(built_kb), "KB_SIGN_IN_CLIENT_RATE_LIMIT": ""})
    add_staff(bridge, "sam@example.com", ["ledger"])

    first = desk.receive(email(subject="Invoices print blank", text="Every invoice prints as a blank page."))
    [acknowledgement] = [mail for mail in desk.send_mail() if mail["To"].addresses[0].addr_spec == "ada@acme.example"]
    assert first.reference in acknowledgement["Subject"]

    staff = signed_in(bridge, "sam@example.com")  # the desk's sign-in: the emailed link
    page = staff.get(f"/desk/tickets/{first.reference}").get_data(as_text=True)
    form = {"csrf_token": TOKEN.search(page).group(1)}
    answered = staff.post(f"/desk/tickets/{first.reference}/messages", data={
        **form, "body": "Which printer do you use? Please try printing to PDF.", "action": "reply"})
    waiting = staff.post(f"/desk/tickets/{first.reference}/update", data={**form, "status": "waiting_on_customer"})
    services(bridge).close()
    assert (answered.status_code, waiting.status_code) == (303, 303), answered.get_data(as_text=True)
    answers = [mail for mail in desk.send_mail() if "Which printer" in mail.get_body(("plain",)).get_content()]
    [answer] = answers
    assert f"[{first.reference}]" in answer["Subject"] and answer["Reply-To"].addresses[0].addr_spec == SUPPORT
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
