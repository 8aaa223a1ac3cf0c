"""Background index opening gives way to queries, yet still finishes under constant load."""
from __future__ import annotations

import threading

from bridge.search.pacing import Foreground, paced


def test_background_work_waits_while_a_query_runs_and_goes_on_when_it_ends() -> None:
    foreground = Foreground(patience=60)
    query_started, query_may_end = threading.Event(), threading.Event()
    steps_done: list[str] = []

    def query() -> None:
        with foreground.running():
            query_started.set()
            query_may_end.wait(10)

    def background() -> None:
        foreground.give_way()
        steps_done.append("step")

    querying = threading.Thread(target=query)
    querying.start()
    query_started.wait(10)
    working = threading.Thread(target=background)
    working.start()
    working.join(0.2)
    assert steps_done == [], "the background step ran while a query was running"
    query_may_end.set()
    querying.join(10)
    working.join(10)
    assert steps_done == ["step"]


def test_background_work_moves_on_when_queries_never_stop() -> None:
    foreground = Foreground(patience=0.01)
    with foreground.running():
        worker = threading.Thread(target=foreground.give_way)
        worker.start()
        worker.join(10)
        assert not worker.is_alive()


def test_paced_yields_every_item_and_pauses_once_a_step() -> None:
    pauses: list[int] = []
    seen: list[int] = []
    for item in paced(range(10), lambda: pauses.append(len(seen)), step=4):
        seen.append(item)
    assert seen == list(range(10))
    assert pauses == [3, 7]
