"""The mail credits send: a quote to approve, a charge made, credits needed, a change of category, a decision.

Plain text only, each quoting the ticket's reference in the subject like every mail about a
ticket, and each queued in the caller's transaction (store first, then mail), so a charge and the
mail that tells the customer about it commit together or not at all.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bridge.notify.acknowledgement import absolute_url, single_line
from bridge.notify.compose import compose_mail
from bridge.notify.outbox import queue_mail
from bridge.tickets.models import Ticket
from bridge.tickets.policy import CreditPackage

FOLLOW = "Your request's page (sign in with this email address when asked):"


@dataclass(frozen=True)
class CustomerMail:
    """Who credit mail comes from and where its links point (the desk's MailSettings, without the ticket desk)."""

    sender: str
    site_url: str

    def send(self, session: Session, ticket: Ticket, *, kind: str, subject: str, paragraphs: Sequence[str],
             now: datetime) -> None:
        """Queue one mail about ticket to its customer, ending with the link to the ticket's page."""
        page = absolute_url(self.site_url, f"/account/tickets/{ticket.reference}")
        text = "\n\n".join([f"Hello {single_line(ticket.name)},", *paragraphs, f"{FOLLOW}\n{page}",
                            "The support team"])
        mail = compose_mail(sender=self.sender, to=ticket.email, to_name=single_line(ticket.name),
                            subject=f"[{ticket.reference}] {subject}", text=text, now=now)
        queue_mail(session, mail, kind=kind, ticket_id=ticket.id, now=now)


def packages_offered(packages: Sequence[CreditPackage]) -> str:
    """The packages as a list a customer can pick from, with the way to buy them."""
    lines = [f"- {package.credits} credits: {package.price:.2f} {package.currency}" for package in packages]
    return "Credits are sold in packages:\n" + "\n".join(lines) + (
        "\nTo buy a package, reply to this mail or ask your account manager: we invoice you, and the credits are "
        "added when the invoice is paid.")
