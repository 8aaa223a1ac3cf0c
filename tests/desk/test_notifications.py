"""Who is told what, read from a real SMTP server (aiosmtpd) after the outbox delivered it."""
from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bridge.accounts.models import Contact
from bridge.desk import actions
from bridge.notify.outbox import OutboxSender
from bridge.notify.transport import SmtpTransport
from tests.desk.desk_fixtures import CUSTOMER, LEDGER_STAFF, DeskWorld, london, make_world
from tests.tickets.smtp_recorder import RecordingHandler


def delivered(sessions: sessionmaker[Session], server: tuple[RecordingHandler, int]) -> list[EmailMessage]:
    """Send what the outbox holds to the SMTP server; every message it received so far, parsed, in order."""
    handler, port = server
    OutboxSender(sessions, SmtpTransport(f"smtp://127.0.0.1:{port}")).send_due(london(30, 9))
    return [message_from_bytes(mail.content, policy=policy.default) for mail in handler.received]  # type: ignore[misc]


def to(mails: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [mail for mail in mails if mail["To"].addresses[0].addr_spec == address]


def body(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def test_the_board_the_requester_and_the_assignee_are_each_told(world: DeskWorld, smtp_server) -> None:
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9), subject="Invoice export fails")
        reference = ticket.reference
        session.commit()
    mails = delivered(world.sessions, smtp_server)
    board = [mail for mail in mails if "New ticket" in mail["Subject"]]
    # The ledger board (Lena and Luke), not Rory (rota) nor the admin, who sits on no board.
    assert sorted(mail["To"].addresses[0].addr_spec for mail in board) == [LEDGER_STAFF, "luke@desk.example"]
    assert board[0]["Subject"] == f"[{reference}] New ticket: Invoice export fails"
    assert f"https://help.example.com/desk/tickets/{reference}" in body(board[0])

    with world.sessions() as session:
        ticket = world.desk.find(session, reference)
        lena = world.account(session, LEDGER_STAFF)
        actions.update_ticket(session, world.desk, ticket, {"assignee": LEDGER_STAFF, "status": "in_progress"},
                              actor=lena, now=london(23, 10))
        actions.add_staff_message(session, world.desk, ticket, actor=lena, body="Please try the Export tab.",
                                  internal=False, now=london(23, 10, 5))
        actions.add_staff_message(session, world.desk, ticket, actor=lena, body="SECRET-NOTE: customer is grumpy",
                                  internal=True, now=london(23, 10, 6))
        actions.update_ticket(session, world.desk, ticket, {"status": "waiting_on_customer"}, actor=lena,
                              now=london(23, 10, 7))
        actions.customer_message(session, world.desk, ticket, author_email=CUSTOMER, author_name="Ada Lovelace",
                                 body="That worked, thanks!", uploads=[], max_attachment_bytes=1000,
                                 now=london(23, 11))
        session.commit()
    mails = delivered(world.sessions, smtp_server)

    customer = to(mails, CUSTOMER)
    assert [mail["Subject"] for mail in customer] == [
        f"[{reference}] We have your request: Invoice export fails",
        f"[{reference}] Being worked on: Invoice export fails",
        f"[{reference}] Re: Invoice export fails",
        f"[{reference}] Waiting for your reply: Invoice export fails",
    ]  # not the note, and not the reopening Ada caused herself
    assert all(f"https://help.example.com/account/tickets/{reference}" in body(mail) for mail in customer[1:])
    assert "Please try the Export tab." in body(customer[2])
    assert all("SECRET-NOTE" not in mail.as_string() for mail in mails)
    for earlier, later in zip(customer, customer[1:]):
        assert later["In-Reply-To"] == earlier["Message-ID"]
        assert later["Reply-To"].addresses[0].addr_spec == "support@example.com"
    assert customer[3]["References"].split()[0] == customer[0]["Message-ID"]
    assert customer[2]["Auto-Submitted"] is None and customer[1]["Auto-Submitted"] == "auto-generated"

    told = [mail for mail in mails if "Customer replied" in mail["Subject"]]
    assert [mail["To"].addresses[0].addr_spec for mail in told] == [LEDGER_STAFF]  # the assignee, not the board
    assert told[0]["Subject"] == f"[{reference}] Customer replied: Invoice export fails"
    assert "That worked, thanks!" in body(told[0])


def test_an_unassigned_ticket_s_customer_message_goes_to_the_board_and_withheld_ones_say_so(
        sessions, resolution_policy, smtp_server) -> None:
    world = make_world(sessions, resolution_policy, entitlement="nominated")
    with world.sessions() as session:
        ticket = world.raise_ticket(session, london(23, 9), email="walk@in.example", subject="Who am I")
        reference = ticket.reference
        actions.customer_message(session, world.desk, ticket, author_email="walk@in.example", author_name="Walk",
                                 body="Hello?", uploads=[], max_attachment_bytes=1000, now=london(23, 10))
        session.commit()
    mails = delivered(world.sessions, smtp_server)
    subjects = sorted((mail["To"].addresses[0].addr_spec, mail["Subject"]) for mail in mails
                      if mail["To"].addresses[0].addr_spec != "walk@in.example")
    assert subjects == [
        (LEDGER_STAFF, f"[{reference}] Customer replied: Who am I"),
        (LEDGER_STAFF, f"[{reference}] Withheld (unknown contact): Who am I"),
        ("luke@desk.example", f"[{reference}] Customer replied: Who am I"),
        ("luke@desk.example", f"[{reference}] Withheld (unknown contact): Who am I"),
    ]


def test_a_customer_who_turned_off_status_mail_still_gets_replies(world: DeskWorld, smtp_server) -> None:
    with world.sessions() as session:
        session.execute(update(Contact).where(Contact.email == CUSTOMER).values(status_mail=False))
        ticket = world.raise_ticket(session, london(23, 9))
        lena = world.account(session, LEDGER_STAFF)
        actions.update_ticket(session, world.desk, ticket, {"status": "in_progress"}, actor=lena, now=london(23, 10))
        actions.add_staff_message(session, world.desk, ticket, actor=lena, body="On it.", internal=False,
                                  now=london(23, 10, 5))
        reference = ticket.reference
        session.commit()
    customer = to(delivered(world.sessions, smtp_server), CUSTOMER)
    assert [mail["Subject"] for mail in customer] == [
        f"[{reference}] We have your request: Invoice export fails", f"[{reference}] Re: Invoice export fails"]
