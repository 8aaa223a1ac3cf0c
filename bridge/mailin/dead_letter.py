"""Keeping the email the desk cannot take, so that nothing sent to it is lost.

An unreadable or oversized message never reaches the database; it is written to
KB_MAIL_DEAD_LETTER_DIR as it arrived (`.eml`), with the reason beside it (`.txt`), for someone
to look at. Names carry the time and the bytes' digest, so the same message twice is one file.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path


def keep(folder: Path, raw: bytes, reason: str, now: datetime) -> Path:
    """Write raw and its reason into folder (created if needed); returns the message's file."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{now:%Y%m%dT%H%M%SZ}-{hashlib.sha256(raw).hexdigest()[:16]}"
    message = folder / f"{stem}.eml"
    partial = folder / f".{stem}.eml.partial"
    partial.write_bytes(raw)
    os.replace(partial, message)  # whole or not at all: a reader never sees half a message
    (folder / f"{stem}.txt").write_text(reason + "\n", encoding="utf-8")
    return message
