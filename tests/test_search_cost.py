"""Every query has a ceiling on its cost: typo expansion is bounded, a search answers within its budget, and a
client that searches without pause is told to slow down (429) before it can hold the workers."""
from __future__ import annotations

import json
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.search.budget import Budget
from bridge.search.generation import Generation, GenerationPostings
from bridge.search.index_reader import SearchIndex
from bridge.search.layout import current_generation
from bridge.search.planner import TYPO_WORDS, plan_query
from bridge.search.query import MAX_QUERY_LENGTH, MEANING_CHARACTERS, MEANING_WORD_LETTERS, parse_query
from bridge.search.spelling import MAX_TYPO_LETTERS, Vocabulary, typos_allowed, variants
from bridge.settings import SettingsError
from tests.ticket_web_fixtures import make_app, valid_ticket  # noqa: F401 (make_app is a fixture)

LETTERS = random.Random(18)


def gibberish(count: int, length: int) -> str:
    return " ".join("".join(LETTERS.choice(string.ascii_lowercase) for _ in range(length)) for _ in range(count))


class CountingPostings(GenerationPostings):
    """The real index's lexicon, counting the words it is asked to look up for typos."""

    def __init__(self, generation: Generation) -> None:
        super().__init__(generation)
        self.looked_up: list[str] = []

    def similar_words(self, word: str, distance: int) -> list[tuple[str, int]]:
        self.looked_up.append(word)
        return super().similar_words(word, distance)


@pytest.fixture(scope="module")
def generation(built_kb: Path) -> Generation:
    return Generation(current_generation(built_kb / "index"))


@pytest.mark.parametrize("length", [MAX_TYPO_LETTERS + 1, 40, 127, MAX_QUERY_LENGTH])
def test_a_word_longer_than_any_misspelt_word_is_taken_as_typed(length: int) -> None:
    assert typos_allowed("a" * length) == 0


def test_the_longest_word_still_looked_up_for_typos_is_corrected() -> None:
    known = Vocabulary({"internationalisation"})
    assert variants("internationalisatoin", typos_allowed("internationalisatoin"), known) == {"internationalisation"}


def _one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({left + right[1:] for left, right in splits if right}
            | {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
            | {left + letter + right[1:] for left, right in splits if right for letter in string.ascii_lowercase}
            | {left + letter + right for left, right in splits for letter in string.ascii_lowercase})


def _reach(word: str, known: set[str]) -> set[str]:
    """The typo rule spelt out by generating every string: one edit, or one edit then a deletion or a swap."""
    near = _one_edit(word)
    found = (near & known) - {word}
    if found or typos_allowed(word) < 2:
        return found
    second = set()
    for first in near:
        splits = [(first[:i], first[i:]) for i in range(len(first) + 1)]
        second |= {left + right[1:] for left, right in splits if right}
        second |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    return (second & known) - {word}


def test_two_typo_variants_are_exactly_the_words_one_edit_and_a_deletion_or_swap_away() -> None:
    rng = random.Random(7)
    words = {"".join(rng.choice("abcdeilnorst") for _ in range(rng.randint(4, MAX_TYPO_LETTERS))) for _ in range(400)}

    def slip(word: str) -> str:
        position, letter = rng.randrange(len(word)), rng.choice(string.ascii_lowercase)
        return rng.choice([word[:position] + word[position + 1:], word[:position] + letter + word[position + 1:],
                           word[:position] + letter + word[position:], word[:position] + word[position:][::-1][:2]
                           + word[position + 2:]])

    typed = [slip(slip(word)) for word in sorted(words)] + [slip(slip(slip(word))) for word in sorted(words)[:100]]
    known = Vocabulary(words)
    found_any = 0
    for word in (word for word in typed if typos_allowed(word)):
        expected = _reach(word, words)
        assert variants(word, typos_allowed(word), known) == expected, word
        found_any += bool(expected)
    assert found_any > 100


@pytest.mark.parametrize("query", [gibberish(28, 8), gibberish(12, 20), gibberish(50, 4), "invoise " * 30])
def test_only_a_few_words_of_a_query_are_looked_up_for_typos(generation: Generation, query: str) -> None:
    lexicon = CountingPostings(generation)
    plan_query(parse_query(query[:MAX_QUERY_LENGTH]), lexicon, generation.synonyms)
    assert 0 < len(lexicon.looked_up) <= TYPO_WORDS


def test_a_query_within_the_limit_still_gets_every_typo_suggested(generation: Generation) -> None:
    planned = plan_query(parse_query("invoise bankk feeed"), GenerationPostings(generation), generation.synonyms)
    assert planned.suggestion == "invoice bank feed"


def test_a_spent_budget_stops_at_once_and_stays_spent() -> None:
    now = [0.0]
    budget = Budget(0.5, clock=lambda: now[0])
    assert not budget.spent() and not budget.cut
    now[0] = 0.5
    assert budget.spent() and budget.cut
    now[0] = 0.0
    assert budget.spent()


def test_a_search_past_its_budget_still_answers_with_what_it_has(built_kb: Path) -> None:
    index = SearchIndex(built_kb / "index", budget_seconds=0)
    cut = index.search(parse_query("bank feed not updating"))
    assert cut.hits and cut.hits[0].title == "Bank feed not updating"
    typo = index.search(parse_query("invoise"))
    assert typo.suggestion is None and typo.hits


def test_an_answer_cut_short_is_not_cached(built_kb: Path) -> None:
    index = SearchIndex(built_kb / "index", budget_seconds=0)
    assert index.search(parse_query("invoise")).suggestion is None
    index.budget_seconds = 10
    assert index.search(parse_query("invoise")).suggestion == "invoice"


@pytest.mark.parametrize("query", [gibberish(1, MAX_QUERY_LENGTH), gibberish(2, 127), gibberish(28, 8),
                                   gibberish(64, 3)[:MAX_QUERY_LENGTH], "LDG-4012 " + gibberish(24, 9)])
def test_costly_queries_are_answered_like_any_other(make_app, query: str) -> None:  # noqa: F811
    client = make_app().test_client()
    with client.get("/api/search", query_string={"q": query[:MAX_QUERY_LENGTH]}) as response:
        assert response.status_code == 200
        assert set(response.get_json()) >= {"results", "total", "confident", "suggestion"}
    with client.get("/tickets/new", query_string={"query": query[:200]}) as form:
        assert form.status_code == 200


def test_a_client_searching_without_pause_gets_429_on_every_search_endpoint(make_app) -> None:  # noqa: F811
    client = make_app(KB_SEARCH_RATE_LIMIT="3/minute").test_client()
    with client.get("/api/search", query_string={"q": "vat"}) as first:
        search_id = first.get_json()["search_id"]
    client.post("/api/feedback", json={"page": "ledger/", "helpful": True}).close()
    client.post(f"/api/search-events/{search_id}/opened", json={"url": "ledger/"}).close()
    for request in (lambda: client.get("/api/search", query_string={"q": "vat"}),
                    lambda: client.post("/api/feedback", json={"page": "ledger/", "helpful": False}),
                    lambda: client.post(f"/api/search-events/{search_id}/opened", json={"url": "ledger/"})):
        with request() as limited:
            assert limited.status_code == 429
            assert limited.get_json()["error"]["code"] == "too_many_requests"
            assert int(limited.headers["Retry-After"]) > 0
    with client.get("/api/health") as health:
        assert health.status_code == 200
    with client.get("/api/search", query_string={"q": "vat"}, environ_base={"REMOTE_ADDR": "192.0.2.7"}) as other:
        assert other.status_code == 200


def test_searching_does_not_use_up_the_ticket_allowance(make_app) -> None:  # noqa: F811
    client = make_app(KB_SEARCH_RATE_LIMIT="1/minute", KB_TICKET_RATE_LIMIT="5/minute").test_client()
    client.get("/api/search", query_string={"q": "vat"}).close()
    with client.get("/api/search", query_string={"q": "vat"}) as limited:
        assert limited.status_code == 429
    with client.post("/api/tickets", json=valid_ticket()) as ticket:
        assert ticket.status_code == 201


def test_a_search_rate_limit_the_bridge_cannot_read_stops_it_naming_the_setting(make_app) -> None:  # noqa: F811
    with pytest.raises(SettingsError, match="KB_SEARCH_RATE_LIMIT"):
        make_app(KB_SEARCH_RATE_LIMIT="lots")


def test_turning_the_search_limit_off_leaves_the_ticket_limit_on(make_app) -> None:  # noqa: F811
    client = make_app(KB_SEARCH_RATE_LIMIT="", KB_TICKET_RATE_LIMIT="1/minute").test_client()
    for _ in range(3):
        with client.get("/api/search", query_string={"q": "vat"}) as search:
            assert search.status_code == 200
    statuses = []
    for _ in range(2):
        with client.post("/api/tickets", json=valid_ticket()) as ticket:
            statuses.append(ticket.status_code)
    assert statuses == [201, 429]


@pytest.mark.parametrize(("query", "read"), [
    ("a" * 100 + " bank feed", "bank feed"),
    ("bank " + "b" * MEANING_WORD_LETTERS, "bank " + "b" * MEANING_WORD_LETTERS),
    ("X-OWA-Error: Microsoft.Exchange.Data.Storage.QuotaExceededException",
     "x-owa-error: microsoft.exchange.data.storage.quotaexceededexception"),
    ("a" * MAX_QUERY_LENGTH, ""),
])
def test_the_sentence_model_reads_what_a_customer_types_or_pastes_and_no_longer_word(query: str, read: str) -> None:
    assert parse_query(query).meaning_text == read


def test_the_sentence_model_reads_at_most_the_length_of_a_long_customer_query_cut_at_a_word() -> None:
    query = gibberish(30, 6)
    text = parse_query(query).meaning_text
    assert query.startswith(text) and MEANING_CHARACTERS - 7 < len(text) <= MEANING_CHARACTERS
    assert query[len(text)] == " "


FIRST_SEARCH = """
import json, sys
from pathlib import Path
from bridge.search.index_reader import SearchIndex
from bridge.search.query import parse_query
answer = SearchIndex(Path(sys.argv[1])).search(parse_query("how long until you answer my urgent problem"))
print(json.dumps([answer.hits[0].title, answer.confident]))
"""


def test_the_first_search_of_a_process_which_loads_the_model_is_answered_in_full(built_kb: Path) -> None:
    """A new process (a worker, a command) loads the sentence model on its first search; that is not the query's cost."""
    first = subprocess.run([sys.executable, "-c", FIRST_SEARCH, str(built_kb / "index")], capture_output=True,
                           text=True, check=True)
    assert json.loads(first.stdout) == ["Priorities and response targets", True]
