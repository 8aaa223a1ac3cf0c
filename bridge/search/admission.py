"""Admission: queries shaped to cost more than a customer's take turns in a lane of their own and give way.

Anyone can send queries back to back, and a few clients doing so fill every core. Sharing the
cores fairly does not help the customer then: an ordinary search still waits behind the others
for a core, for the GIL (a worker's threads run Python one at a time) and for the index lock.
So a search is classified before it starts, from what it holds (`Shape`): a query with more
words the index does not know, or more for the sentence model to read, than any customer query
of the relevance sets is costly. Costly searches run one at a time, waiting for their turn
without using CPU: one per process, and one across the server's workers when they share a turn
(`SharedTurns`), which leaves the other core to ordinary searches. Between steps, the one
running waits while ordinary searches of its process run (`bridge.search.pacing.Foreground`),
so an ordinary search never waits for it for more than a step. Ordinary searches never wait
for a turn. On a normal day the lane is empty and a costly search is answered at once and in
full; only when it is full (a flood) is one refused with `SearchBusy`, which the API answers
as 503 with Retry-After. The figures behind the limits are in decision 0007.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bridge.search.pacing import Foreground, never_wait

# The 956 customer queries of the relevance sets and latency list hold at most 4 words the index does not know
# (typos) and give the sentence model at most 38 tokens; random letters give 8 to 64 and 68 to 97.
ORDINARY_UNKNOWN_WORDS = 6
ORDINARY_TOKENS = 48
# Costly searches a process holds at once, the one running included; past that one is refused at
# once. Fewer than the server's threads per worker (bridge/server.py), so that waiting costly
# searches never take every thread an ordinary one could be answered on.
COSTLY_IN_FLIGHT = 8
# How long a costly search waits for its turn before it is refused.
COSTLY_WAIT_SECONDS = 5.0
# How long a costly search, between two steps, waits for the ordinary searches in flight to end
# before it takes its step anyway: under constant ordinary load it still moves on.
GIVE_WAY_SECONDS = 0.25
RETRY_AFTER_SECONDS = 1
# How often a process waiting for the workers' shared turn tries again.
TURN_POLL_SECONDS = 0.002


class SearchBusy(RuntimeError):
    """Too many costly searches are waiting: this one is refused; the client may try again after `retry_after` s."""

    retry_after = RETRY_AFTER_SECONDS


@dataclass(frozen=True)
class Shape:
    """What a query asks of the search, counted before searching: words to look up for typos, text for the model."""

    unknown_words: int
    tokens: int

    @property
    def costly(self) -> bool:
        return self.unknown_words > ORDINARY_UNKNOWN_WORDS or self.tokens > ORDINARY_TOKENS


class SharedTurns:
    """One turn shared by processes: an exclusive `flock` on a file that each process opens for itself.

    The kernel drops a process's lock when it dies, so a worker killed mid-search never keeps
    the others waiting. Only one thread of a process asks at a time (the one holding the
    process's own turn), so a short poll, without CPU between tries, serves as a timeout. A
    process that has just had the turn lets a poll go by before asking again, or it would
    take every turn from a process that is polling.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._released = 0.0

    def acquire(self, timeout: float) -> bool:
        """True once this process holds the turn; False if it did not come within `timeout` seconds."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + timeout
        time.sleep(max(0.0, self._released + 2 * TURN_POLL_SECONDS - time.monotonic()))
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(TURN_POLL_SECONDS)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._released = time.monotonic()


class Lanes:
    """The two lanes of one process: ordinary searches go straight in; costly ones one at a time, giving way."""

    def __init__(self, foreground: Foreground, in_flight: int = COSTLY_IN_FLIGHT,
                 wait_seconds: float = COSTLY_WAIT_SECONDS, give_way_seconds: float = GIVE_WAY_SECONDS) -> None:
        self._foreground = foreground
        self.in_flight, self.wait_seconds, self.give_way_seconds = in_flight, wait_seconds, give_way_seconds
        self._changed = threading.Condition()
        self._queued = 0
        self._running = False
        self._across: SharedTurns | None = None

    def take_turns_with(self, turns: SharedTurns) -> None:
        """Costly searches of this process also take turns with those of the processes sharing `turns`."""
        self._across = turns

    @contextmanager
    def enter(self, shape: Shape) -> Iterator[Callable[[], None]]:
        """The search's lane for the `with` block; yields the pause to call between its steps.

        Raises `SearchBusy` for a costly search when the lane is full or its turn does not come in time.
        """
        if not shape.costly:
            with self._foreground.running():
                yield never_wait
            return
        self._wait_for_turn()
        try:
            yield self._give_way
        finally:
            if self._across is not None:
                self._across.release()
            self._end_turn()

    def _wait_for_turn(self) -> None:
        """This process's turn, then (while holding it, so one thread a process waits) the workers' shared turn."""
        deadline = time.monotonic() + self.wait_seconds
        with self._changed:
            if self._queued + self._running >= self.in_flight:
                raise SearchBusy("too many costly searches at once")
            self._queued += 1
            try:
                if not self._changed.wait_for(lambda: not self._running, timeout=self.wait_seconds):
                    raise SearchBusy("no turn for a costly search in time")
                self._running = True
            finally:
                self._queued -= 1
        if self._across is not None and not self._across.acquire(max(0.0, deadline - time.monotonic())):
            self._end_turn()
            raise SearchBusy("no turn for a costly search in time")

    def _end_turn(self) -> None:
        with self._changed:
            self._running = False
            self._changed.notify()

    def _give_way(self) -> None:
        self._foreground.give_way(self.give_way_seconds)
