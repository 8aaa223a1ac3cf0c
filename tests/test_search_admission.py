"""Queries shaped to be costly take turns and give way to ordinary ones; a costly query alone is answered in full,
and only a flood gets one refused (503 with Retry-After), never an ordinary query."""
from __future__ import annotations

import os
import random
import signal
import string
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bridge.search.admission import Lanes, SearchBusy, Shape, SharedTurns
from bridge.search.index_reader import SearchIndex
from bridge.search.pacing import Foreground
from bridge.search.query import MAX_QUERY_LENGTH, parse_query
from tests.served_bridge import kb_serve
from tests.ticket_web_fixtures import make_app  # noqa: F401 (a fixture)

SAMPLE_QUERIES = Path(__file__).resolve().parent.parent / "benchmarks" / "relevance" / "sample.yml"
ORDINARY, COSTLY = Shape(unknown_words=0, tokens=8), Shape(unknown_words=40, tokens=90)
LETTERS = random.Random(7)


def gibberish(count: int, length: int) -> str:
    return " ".join("".join(LETTERS.choice(string.ascii_lowercase) for _ in range(length)) for _ in range(count))


@pytest.fixture(scope="module")
def index(built_kb: Path) -> SearchIndex:
    return SearchIndex(built_kb / "index")


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Runs `work` on a thread; the list gets its result, or the exception it raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:  # noqa: BLE001 (the test looks at what was raised)
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_no_customer_query_of_the_sample_set_is_costly_and_random_letters_are(index: SearchIndex) -> None:
    data = yaml.safe_load(SAMPLE_QUERIES.read_text(encoding="utf-8"))
    queries = [entry["q"] for entry in data["answerable"] + data["unanswerable"]]
    assert [query for query in queries if index.shape(parse_query(query)).costly] == []
    for adversarial in (gibberish(28, 8), gibberish(12, 20), gibberish(50, 4), gibberish(8, 30)):
        assert index.shape(parse_query(adversarial[:MAX_QUERY_LENGTH])).costly, adversarial


@pytest.mark.parametrize("query", [gibberish(28, 8), gibberish(12, 20), "bank feed not updating " + gibberish(24, 9)])
def test_a_costly_query_alone_is_answered_in_full(index: SearchIndex, query: str) -> None:
    parsed = parse_query(query[:MAX_QUERY_LENGTH])
    assert index.shape(parsed).costly
    results = index.search(parsed)
    # Answered in full: a whole answer is cached, one cut short by the time budget is not.
    assert index.search(parsed) is results
    if query.startswith("bank feed"):
        assert results.hits[0].title == "Bank feed not updating"


def test_while_a_costly_search_runs_another_waits_its_turn_and_an_ordinary_one_goes_straight_in() -> None:
    lanes = Lanes(Foreground(), wait_seconds=30)
    first_in, first_may_end = threading.Event(), threading.Event()
    order: list[str] = []

    def costly(name: str, hold: threading.Event | None = None) -> None:
        with lanes.enter(COSTLY):
            order.append(name)
            if hold is not None:
                first_in.set()
                hold.wait(10)

    first, _ = in_thread(lambda: costly("first", first_may_end))
    first_in.wait(10)
    second, _ = in_thread(lambda: costly("second"))
    second.join(0.2)
    assert order == ["first"], "a second costly search ran beside the first"
    with lanes.enter(ORDINARY):
        order.append("ordinary")
    assert order == ["first", "ordinary"]
    first_may_end.set()
    for thread in (first, second):
        thread.join(10)
    assert order == ["first", "ordinary", "second"]


def assert_refuses_costly_but_admits_ordinary(lanes: Lanes) -> None:
    with pytest.raises(SearchBusy):
        with lanes.enter(COSTLY):
            pass
    with lanes.enter(ORDINARY):
        pass


def test_a_full_costly_lane_refuses_the_next_costly_search_at_once_but_never_an_ordinary_one() -> None:
    lanes = Lanes(Foreground(), in_flight=1, wait_seconds=30)
    with lanes.enter(COSTLY):
        assert_refuses_costly_but_admits_ordinary(lanes)
    with lanes.enter(COSTLY):  # the turn is free again
        pass


def test_a_costly_search_whose_turn_does_not_come_in_time_is_refused() -> None:
    lanes = Lanes(Foreground(), wait_seconds=0.05)
    with lanes.enter(COSTLY):
        waiting, outcome = in_thread(lambda: lanes.enter(COSTLY).__enter__())
        waiting.join(10)
    assert isinstance(outcome[0], SearchBusy)


def test_a_costly_search_gives_way_between_steps_while_an_ordinary_one_runs() -> None:
    lanes = Lanes(Foreground(), give_way_seconds=60)
    ordinary_in, ordinary_may_end = threading.Event(), threading.Event()
    steps: list[str] = []

    def ordinary() -> None:
        with lanes.enter(ORDINARY):
            ordinary_in.set()
            ordinary_may_end.wait(10)

    def costly() -> None:
        with lanes.enter(COSTLY) as pause:
            pause()
            steps.append("step")

    querying, _ = in_thread(ordinary)
    ordinary_in.wait(10)
    working, _ = in_thread(costly)
    working.join(0.2)
    assert steps == [], "the costly search stepped while an ordinary one ran"
    ordinary_may_end.set()
    for thread in (querying, working):
        thread.join(10)
    assert steps == ["step"]


def test_workers_sharing_a_turn_run_one_costly_search_between_them(tmp_path: Path) -> None:
    turn = tmp_path / "turn"
    turn.touch()
    one, other = Lanes(Foreground(), wait_seconds=0.05), Lanes(Foreground(), wait_seconds=0.05)
    one.take_turns_with(SharedTurns(turn))
    other.take_turns_with(SharedTurns(turn))
    with one.enter(COSTLY):
        assert_refuses_costly_but_admits_ordinary(other)
    with other.enter(COSTLY):
        pass


HOLD_TURN = """
import sys, time
from pathlib import Path
from bridge.search.admission import SharedTurns
assert SharedTurns(Path(sys.argv[1])).acquire(5)
print("holding", flush=True)
time.sleep(60)
"""


def test_a_worker_that_dies_holding_the_turn_does_not_keep_it(tmp_path: Path) -> None:
    turn = tmp_path / "turn"
    turn.touch()
    with subprocess.Popen([sys.executable, "-c", HOLD_TURN, str(turn)], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout.readline().strip() == "holding"
            assert not SharedTurns(turn).acquire(0.05)
        finally:
            holder.kill()
    assert SharedTurns(turn).acquire(5)


def test_a_refused_costly_search_is_a_503_with_retry_after_and_ordinary_ones_answer(make_app) -> None:  # noqa: F811
    from bridge.web.context import services

    app = make_app(KB_SEARCH_RATE_LIMIT="")
    services(app).search_index().lanes.in_flight = 0  # the lane as a flood leaves it: full
    client = app.test_client()
    with client.get("/api/search", query_string={"q": gibberish(28, 8)[:MAX_QUERY_LENGTH]}) as refused:
        assert refused.status_code == 503
        assert refused.get_json()["error"]["code"] == "busy"
        assert int(refused.headers["Retry-After"]) > 0
    with client.get("/api/search", query_string={"q": "bank feed not updating"}) as ordinary:
        assert ordinary.status_code == 200
        assert ordinary.get_json()["results"][0]["title"] == "Bank feed not updating"
    with client.get("/tickets/new", query_string={"query": gibberish(20, 9)[:200]}) as form:
        assert form.status_code == 200


def workers_of(server: subprocess.Popen[bytes]) -> set[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text(encoding="utf-8")
    return {int(pid) for pid in children.split()}


def test_the_workers_keep_answering_costly_queries_after_one_of_them_is_replaced(built_kb: Path,
                                                                                   database_file: str) -> None:
    """A worker that exits (a restart after a timeout, say) leaves the shared turn to the others and its replacement."""
    with kb_serve(built_kb, database_file, KB_SEARCH_RATE_LIMIT="") as (base, server):
        def search(query: str) -> int:
            with urllib.request.urlopen(base + "api/search?" + urllib.parse.urlencode({"q": query})) as answer:
                return answer.status

        assert search(gibberish(28, 8)[:MAX_QUERY_LENGTH]) == 200
        first = workers_of(server)
        os.kill(min(first), signal.SIGTERM)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (len(workers_of(server)) < len(first) or workers_of(server) == first):
            time.sleep(0.2)
        replaced = workers_of(server)
        assert len(replaced) == len(first) and replaced != first
        time.sleep(2)  # the new worker loads its model before it answers
        assert [search(gibberish(28, 8)[:MAX_QUERY_LENGTH]) for _ in range(8)] == [200] * 8
