"""The release notes already announced: one row each, so no build announces one twice.

`path` (the article's file under kb/) is unique: two builds publishing the same note at once both
try to add its row with its mails in one transaction, and the one that loses rolls back, mails
and all.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Identity, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base, UtcDateTime


class AnnouncedReleaseNote(Base):
    """A release note as it was first published and mailed: when, and to how many contacts."""

    __tablename__ = "release_notes_announced"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)
    product: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    announced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recipients: Mapped[int] = mapped_column(Integer)
