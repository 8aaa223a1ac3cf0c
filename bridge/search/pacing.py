"""Background work that gives way to the queries running beside it.

Opening a new index generation is pure-Python work (walking lexicons, decoding postings) that
holds the GIL. A query running meanwhile gives the GIL up at each file read and then waits up
to a switch interval (5 ms) to get it back, read after read, so a query during an opening is
many times slower than one without. So the opening works in small steps and, between steps,
waits while any query runs; a query then waits at most for the step in progress. Under
constant load the opening still moves on, one step per `patience`, and only takes longer
(benchmarks/RESULTS.md, "publish"; benchmarks/relevance/EXPERIMENTS.md, "Figures moved out of
the code").
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

Item = TypeVar("Item")

# How long a background step waits for the queries to stop before it runs anyway.
PATIENCE_SECONDS = 0.01
# Items of a lexicon or column walked between two chances to give way (a few milliseconds).
STEP = 256


class Foreground:
    """Counts the queries in flight, so background work can wait for a quiet moment."""

    def __init__(self, patience: float = PATIENCE_SECONDS) -> None:
        self.patience = patience
        self._changed = threading.Condition()
        self._running = 0

    @contextmanager
    def running(self) -> Iterator[None]:
        """Marks a query as in flight for the length of the `with` block."""
        with self._changed:
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                if not self._running:
                    self._changed.notify_all()

    def give_way(self, patience: float | None = None) -> None:
        """Waits until no query runs, or at most `patience` seconds (the instance's own by default)."""
        with self._changed:
            self._changed.wait_for(lambda: not self._running, timeout=self.patience if patience is None else patience)


def never_wait() -> None:
    """The pause of work nobody waits for: a generation opened before the bridge answers."""


def paced(items: Iterable[Item], pause: Callable[[], None], step: int = STEP) -> Iterator[Item]:
    """The items, calling `pause` once every `step` items."""
    for count, item in enumerate(items, start=1):
        if count % step == 0:
            pause()
        yield item
