"""Ticket numbers handed out before a ticket's transaction starts, so its reference is known early.

Everything that quotes a new ticket's reference (its acknowledgement, the board's mail) can then
be composed before the ticket is written. On SQLite that matters: one transaction writes at a
time (bridge/sqlite_writers.py), and composing and checking a mail inside that turn made every
other ticket wait for it (benchmarks/RESULTS.md, "tickets"; decision 0006).

- PostgreSQL: the next value of the tickets' own identity sequence, which never blocks and is
  never handed out twice, whether or not the ticket is stored.
- SQLite: a counter in a file beside the database (`kb.sqlite3.numbers`), read and advanced
  under an exclusive flock, and never below the highest number the tickets table ever had
  (its AUTOINCREMENT record), so a counter that a crash set back, or tickets written without
  it, cannot make a number be handed out twice.

A number whose ticket is never stored (a refused submission, a rolled-back split) is skipped;
references have gaps, as they do with any database sequence.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

COUNTER_SUFFIX = ".numbers"


def reserve_number(session: Session) -> int:
    """A ticket number no other ticket has or will get; it never waits for the turn to write to the database.

    Nothing pending in the session is flushed meanwhile: a flush could take that turn while the
    SQLite counter is locked, and a transaction holding the turn may be asking for a number.
    """
    with session.no_autoflush:
        url = session.get_bind().engine.url
        if url.get_dialect().name == "postgresql":
            return session.scalar(text("SELECT nextval(pg_get_serial_sequence('tickets', 'id'))"))
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            raise ValueError("ticket numbers need PostgreSQL or a SQLite database file, not one in memory or named "
                             "by a file: URI (KB_DATABASE_URL)")
        return _next_from_file(session, Path(f"{database}{COUNTER_SUFFIX}"))


def _next_from_file(session: Session, counter: Path) -> int:
    descriptor = os.open(counter, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        written = os.read(descriptor, 32).strip()
        number = max(int(written) if written.isdigit() else 0, _highest_stored(session)) + 1
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(number).encode("ascii"))
        return number
    finally:
        os.close(descriptor)  # closing drops the flock


def _highest_stored(session: Session) -> int:
    """The highest number the tickets table ever held, deleted rows included (SQLite's AUTOINCREMENT record)."""
    return session.scalar(text("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'tickets'"))
