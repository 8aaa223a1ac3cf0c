"""KB_IMAP_URL read into a Mailbox: every part percent-decoded, and the password kept out of what is logged."""
from __future__ import annotations

from bridge.mailin.imap import Mailbox


def test_the_mailbox_password_never_shows_in_what_is_logged() -> None:
    mailbox = Mailbox.from_url("imaps://support%40acme.example:s3cret%21@mail.acme.example/Support")
    assert (mailbox.username, mailbox.password, mailbox.folder, mailbox.port) == (
        "support@acme.example", "s3cret!", "Support", 993)
    assert "s3cret" not in repr(mailbox) and "s3cret" not in mailbox.describe()
