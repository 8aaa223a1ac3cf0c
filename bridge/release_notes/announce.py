"""Mailing a newly published release note to the nominated contacts of every organisation whose plan covers its product.

`kb build` calls `announce` after it has published into KB_BUILD_DIR (the site the bridge
serves), reading the list of release notes from that published site. Each note is announced in
one transaction: its row in `release_notes_announced` and one queued mail per contact, or
nothing. A note with a row is never announced again, however often the site is rebuilt; two
builds at once both try to add the row, the unique path lets one win, and the other rolls back
with its mails. A contact nominated later does not receive the notes published before.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bridge.accounts.models import Contact
from bridge.notify.acknowledgement import absolute_url, single_line
from bridge.notify.compose import OutgoingMail, compose_mail
from bridge.notify.outbox import queue_mail
from bridge.release_notes.manifest import PublishedNote, read_manifest
from bridge.release_notes.models import AnnouncedReleaseNote

RELEASE_NOTE = "release_note"


@dataclass(frozen=True)
class Announcement:
    """A note announced by this call, and to how many contacts."""

    note: PublishedNote
    recipients: int


def announce(sessions: sessionmaker[Session], site_dir: Path, *, sender: str, site_url: str,
             product_names: dict[str, str], now: datetime) -> list[Announcement]:
    """Announce every note the published site lists that no build announced before; what this call announced."""
    done = []
    for note in read_manifest(site_dir):
        with sessions() as session:
            if session.scalar(select(AnnouncedReleaseNote.id).where(AnnouncedReleaseNote.path == note.path)):
                continue
            contacts = _covered_contacts(session, note.product)
            session.add(AnnouncedReleaseNote(path=note.path, product=note.product, title=note.title, url=note.url,
                                             announced_at=now, recipients=len(contacts)))
            try:
                session.flush()  # a build announcing the same note at this moment holds its row: this one loses here
                for contact in contacts:
                    mail = _mail(note, contact, sender=sender, site_url=site_url,
                                 product=product_names.get(note.product, note.product))
                    queue_mail(session, mail, kind=RELEASE_NOTE, ticket_id=None, now=now)
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
        done.append(Announcement(note, len(contacts)))
    return done


def _covered_contacts(session: Session, product: str) -> list[Contact]:
    """Every nominated contact of an organisation whose plan covers product, each once, by address."""
    nominated = session.scalars(select(Contact).where(Contact.nominated.is_(True)).order_by(Contact.email))
    return [contact for contact in nominated if product in contact.organisation.products]


def _mail(note: PublishedNote, contact: Contact, *, sender: str, site_url: str, product: str) -> OutgoingMail:
    link = absolute_url(site_url, note.url)
    title, summary = single_line(note.title), single_line(note.summary)
    text = (f"Hello {single_line(contact.name)},\n\n{title}\n\n{summary}\n\nRead the release notes:\n{link}\n\n"
            f"You receive release notes for {product} as a nominated contact of "
            f"{single_line(contact.organisation.name)}.\n\nThe support team\n")
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>\n'
            f"<body>\n<p>Hello {escape(single_line(contact.name))},</p>\n<h1>{escape(title)}</h1>\n"
            f"<p>{escape(summary)}</p>\n<p>Read the release notes:<br>\n"
            f'<a href="{escape(link)}">{escape(link)}</a></p>\n'
            f"<p>You receive release notes for {escape(product)} as a nominated contact of "
            f"{escape(single_line(contact.organisation.name))}.</p>\n<p>The support team</p>\n</body></html>\n")
    return compose_mail(sender=sender, to=contact.email, to_name=contact.name,
                        subject=f"{product} release notes: {title}", text=text, html=html)
