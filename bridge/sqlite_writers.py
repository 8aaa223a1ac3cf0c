"""SQLite writers wait their turn in a queue the kernel keeps, not in SQLite's busy loop.

SQLite lets one transaction write at a time. A writer that finds the write lock taken sleeps
and tries again, sleeping longer each time (up to 100 ms a try: SQLite's busy handler), so
under steady load the writer that has waited longest tries least often and newcomers overtake
it. With 8 clients raising tickets, some waited seconds for a lock that is held for milliseconds
at a time (decision 0006, benchmarks/RESULTS.md). So each connection to a database file first
takes an exclusive flock on a file beside it (`kb.sqlite3.writers`), a blocking call that the
kernel ends as soon as the lock is free, and keeps it until its transaction ends; SQLite's own
lock is then free when asked for. Readers never wait here (WAL lets them read meanwhile).
Programs that do not use this module (the sqlite3 shell, a backup) still queue the old way,
through busy_timeout.

The flock is taken when a transaction first writes (Python's sqlite3 opens a transaction just
before the first INSERT, UPDATE, DELETE or REPLACE) and released once it commits or rolls back.
A thread that already holds it through another connection does not wait for it again: that
wait would never end. It falls back on busy_timeout, as it would without this module.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any

WRITERS_SUFFIX = ".writers"
WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
_turns_held = threading.local()


def connection_class(lock_path: Path) -> type[sqlite3.Connection]:
    """A sqlite3.Connection class (sqlite3.connect's `factory`) whose write transactions queue on lock_path."""

    class QueuedWriterConnection(_QueuedWriterConnection):
        path = lock_path

    return QueuedWriterConnection


class _QueuedWriterCursor(sqlite3.Cursor):
    """SQLAlchemy executes every statement through a cursor, so the cursor asks for the turn."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.connection.wait_turn(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        self.connection.wait_turn(sql)
        return super().executemany(sql, parameters)


class _QueuedWriterConnection(sqlite3.Connection):
    path: Path

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        # Closed with the connection, or when a connection nobody closed is collected (closing it drops the flock).
        self._close_turn = weakref.finalize(self, os.close, self._turn)
        self._holding = False

    def cursor(self, factory: type[sqlite3.Cursor] = _QueuedWriterCursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)

    def wait_turn(self, sql: str) -> None:
        """Before a statement that opens a write transaction, wait until no other connection is writing."""
        if self._holding and not self.in_transaction:
            self._end_turn()  # the transaction ended by a statement of its own (COMMIT) rather than commit()
        if self._holding or self.in_transaction or getattr(_turns_held, "count", 0):
            return
        words = sql.lstrip().split(None, 1)
        if words and words[0].upper() in WRITES:
            fcntl.flock(self._turn, fcntl.LOCK_EX)
            self._holding = True
            _turns_held.count = getattr(_turns_held, "count", 0) + 1

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()
            self._close_turn()

    def _end_turn(self) -> None:
        if self._holding:
            self._holding = False
            _turns_held.count -= 1
            fcntl.flock(self._turn, fcntl.LOCK_UN)
