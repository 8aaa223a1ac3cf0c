"""A time budget for one search: past it, the search skips what it can do without and answers.

Anyone can send a query, and a query's cost depends on what it holds: typo expansion, word
scoring and word pairs all grow with its words. Limits on the words (`bridge.search.spelling`,
`bridge.search.planner`) bound the cost of each step; the budget bounds their sum, so a search
never holds a worker (and, through the index lock, the searches queued behind it) for long.
It counts the CPU time of the searching thread rather than wall time: a busy machine then
slows a search down without also making it answer worse.
"""
from __future__ import annotations

import time
from collections.abc import Callable

# A search's CPU time after which optional work is skipped: several times what an ordinary query
# costs on a large help centre, so that only queries built to be costly reach it.
SEARCH_BUDGET_SECONDS = 0.1


class Budget:
    """The CPU time one search may take; `spent()` tells each optional step whether to go on.

    `cut` records that some step was skipped, so the caller knows the answer is partial.
    """

    def __init__(self, seconds: float = SEARCH_BUDGET_SECONDS, clock: Callable[[], float] = time.thread_time) -> None:
        self._clock = clock
        self._deadline = clock() + seconds
        self.cut = False

    def spent(self) -> bool:
        """True once the budget is used up (and from then on); the step asking should be skipped."""
        if not self.cut and self._clock() >= self._deadline:
            self.cut = True
        return self.cut


def unlimited() -> Budget:
    """A budget that never runs out, for callers that want the whole answer whatever it costs."""
    return Budget(float("inf"))
