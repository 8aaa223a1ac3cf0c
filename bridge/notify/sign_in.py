"""The mail that carries a sign-in link.

The link sits on a line of its own so mail programs make the whole of it clickable and nothing
else. The mail names no ticket and no organisation: whoever reads it learns only that someone
asked to sign in with this address.
"""
from __future__ import annotations

from bridge.notify.compose import OutgoingMail, compose_mail

SIGN_IN_LINK = "sign_in_link"
SUBJECT = "Your link to sign in to the help centre"


def compose_sign_in_link(*, recipient: str, link: str, minutes: int, sender: str) -> OutgoingMail:
    """The sign-in mail for recipient; link is absolute (the site's public address)."""
    text = (
        "Hello,\n\n"
        "Someone, probably you, asked to sign in to the help centre with this address. "
        f"Open this link within {minutes} minutes to sign in. It works once.\n\n"
        f"{link}\n\n"
        "If you did not ask, you can ignore this mail: nobody can sign in without the link.\n\n"
        "The support team\n"
    )
    return compose_mail(sender=sender, to=recipient, subject=SUBJECT, text=text)
