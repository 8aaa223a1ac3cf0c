"""SQLite writers take turns through bridge/sqlite_writers.py: a second writer waits for the first to end,
readers never wait, and a thread that is already writing is never left waiting for itself."""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bridge.db import make_engine
from bridge.sqlite_writers import WRITERS_SUFFIX, connection_class


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "kb.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode = WAL")
        setup.execute("CREATE TABLE notes (body TEXT)")
    return path


@pytest.fixture
def connect(database: Path) -> Iterator[Callable[..., sqlite3.Connection]]:
    """Connections that queue their writers, closed after the test."""
    opened: list[sqlite3.Connection] = []

    def open_one(busy_ms: int = 30_000) -> sqlite3.Connection:
        opened.append(sqlite3.connect(database, factory=connection_class(Path(f"{database}{WRITERS_SUFFIX}")),
                                      check_same_thread=False))
        opened[-1].execute(f"PRAGMA busy_timeout = {busy_ms}")
        return opened[-1]

    yield open_one
    for connection in opened:
        connection.close()


def test_a_second_writer_waits_for_the_first_to_commit_while_readers_read(connect) -> None:
    first, second, reader = connect(), connect(), connect()
    first.execute("INSERT INTO notes VALUES ('first')")
    order: list[str] = []

    def write_second() -> None:
        second.execute("INSERT INTO notes VALUES ('second')")
        order.append("second wrote")
        second.commit()

    waiting = threading.Thread(target=write_second)
    waiting.start()
    time.sleep(0.3)
    assert order == [], "the second writer waits while the first is writing"
    assert reader.execute("SELECT count(*) FROM notes").fetchone() == (0,), "a reader does not wait"
    order.append("first committed")
    first.commit()
    waiting.join(timeout=10)
    assert order == ["first committed", "second wrote"]
    assert [row[0] for row in reader.execute("SELECT body FROM notes ORDER BY rowid")] == ["first", "second"]


@pytest.mark.parametrize("end", ["rollback", "commit statement", "close"])
def test_the_turn_ends_with_the_transaction_however_it_ends(connect, end: str) -> None:
    first, second = connect(), connect(busy_ms=0)
    first.execute("INSERT INTO notes VALUES ('first')")
    if end == "rollback":
        first.rollback()
    elif end == "commit statement":
        first.execute("COMMIT")
        first.execute("SELECT 1")  # the next statement notices the transaction has ended
    else:
        first.close()
    done = threading.Thread(target=lambda: (second.execute("INSERT INTO notes VALUES ('second')"), second.commit()))
    done.start()
    done.join(timeout=10)
    assert not done.is_alive()


def test_a_thread_already_writing_falls_back_on_busy_timeout_instead_of_waiting_for_itself(connect) -> None:
    first, second = connect(), connect(busy_ms=100)
    first.execute("INSERT INTO notes VALUES ('first')")
    problems: list[Exception] = []

    def write_again_in_this_thread() -> None:
        try:
            second.execute("INSERT INTO notes VALUES ('second')")
        except sqlite3.OperationalError as problem:
            problems.append(problem)

    write_again_in_this_thread()
    assert [str(problem) for problem in problems] == ["database is locked"]
    first.commit()


def test_the_bridges_engine_queues_its_writers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('x')"))
        assert connection.connection.dbapi_connection._holding
    assert (tmp_path / f"kb.sqlite3{WRITERS_SUFFIX}").is_file()
    engine.dispose()
