"""Relevance features of search: synonyms, typos, error codes, phrases, product filter, confidence.

Most tests search a tiny help centre written here, so each one shows the one behaviour it is
about; some ask the built sample kb/ through the API, as customers would; the last ones test
the pure pieces (query parsing, spelling, synonyms, snippets, confidence, cache) directly.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bridge.search.cache import LRUCache
from bridge.search.confidence import Evidence, words_answer
from bridge.search.index_reader import SearchIndex
from bridge.search.index_writer import write_index
from bridge.search.layout import CURRENT, new_generation, publish_staged, switch
from bridge.search.query import parse_query
from bridge.search.snippets import snippet, word_pattern
from bridge.search.spelling import Vocabulary, edit_distance, typos_allowed, variants
from bridge.search.synonyms import Synonyms, SynonymsError, load_synonyms, parse_groups
from bridge.search.types import SearchResults, Section
from tests.conftest import eventually

FILLER = "Nothing else in this paragraph matters for the search. " * 3

ARTICLES = {
    "portal/signing-in/": ("Signing in to the portal", "account",
                           "To sign in, open the portal and enter your passcode. " + FILLER),
    "portal/event-log/": ("Reading the event log", "account",
                          "The event log lists every change; a log entry names who made it. " + FILLER),
    "mail/relay-denied/": ("Mail rejected with 550 5.7.1", "mail",
                           "The server answered 550 5.7.1 Unable to relay. Add the sender to the connector. " + FILLER),
    "mail/other-code/": ("Mail rejected with 554 5.7.1", "mail",
                         "The server answered 554 5.7.1 when the message was too large. " + FILLER),
    "mail/send-receive-error/": ("Send and receive error 0x800CCC0E", "mail",
                                 "Outlook shows 0x800CCC0E when it cannot reach the server. " + FILLER),
    "banking/feed-stopped/": ("Why transactions stop arriving", "ledger",
                              "If the bank feed stops, reconnect the account. " + FILLER),
    "banking/feed-words-apart/": ("Why transactions stop arriving", "ledger",
                                  "If the bank changes its service, the news feed stops. " + FILLER),
    "banking/password-reset/": ("Reset your banking password", "ledger",
                                "Choose a new password for the banking app. " + FILLER),
}


def one_section_each() -> list[Section]:
    """The articles above, one section each."""
    return [Section(article_url=url, url=f"{url}#top", title=title, heading=title, text=text, product=product,
                    type="help-sheet") for url, (title, product, text) in ARTICLES.items()]


def publish(sections: list[Section], root: Path, synonyms: Path | None = None) -> None:
    """Index `sections` under `root` and make them the current generation, as `kb build` does."""
    write_index(sections, root, synonyms=synonyms)
    publish_staged(root)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """The articles above, one section each, with synonyms as writers would keep them."""
    root = tmp_path_factory.mktemp("small") / "index"
    synonyms = root.parent / "synonyms.yml"
    synonyms.write_text("- [sign in, log in, login]\n- [password, passcode]\n", encoding="utf-8")
    publish(one_section_each(), root, synonyms)
    return SearchIndex(root)


def search(index: SearchIndex, text: str, **options) -> SearchResults:
    return index.search(parse_query(text), **options)


def articles(results: SearchResults) -> list[str]:
    return [hit.url.split("#")[0] for hit in results.hits]


def test_a_synonym_finds_the_article_that_only_uses_the_other_word(small_index: SearchIndex) -> None:
    assert articles(search(small_index, "can't log in"))[0] == "portal/signing-in/"
    assert articles(search(small_index, "login"))[0] == "portal/signing-in/"
    assert "banking/password-reset/" in articles(search(small_index, "passcode"))


def test_a_multi_word_synonym_matches_only_as_a_phrase(small_index: SearchIndex) -> None:
    assert "portal/event-log/" not in articles(search(small_index, "log in"))


def test_a_typo_is_searched_and_suggested_but_never_silently_replaced(small_index: SearchIndex) -> None:
    results = search(small_index, "pasword reset")
    assert results.query == "pasword reset"
    assert results.suggestion == "password reset"
    assert articles(results)[0] == "banking/password-reset/"
    assert search(small_index, "password reset").suggestion is None


@pytest.mark.parametrize(("query", "expected"), [
    ("0x800CCC0E", ["mail/send-receive-error/"]),
    ("error 0x800ccc0e outlook", ["mail/send-receive-error/"]),
    ("550 5.7.1 unable to relay", ["mail/relay-denied/"]),
])
def test_an_error_code_is_matched_whole(small_index: SearchIndex, query: str, expected: list[str]) -> None:
    assert articles(search(small_index, query)) == expected


@pytest.mark.parametrize("query", ["0x800CCC0F", "550 5.7.2", "551 5.7.1"])
def test_a_different_code_matches_nothing(small_index: SearchIndex, query: str) -> None:
    results = search(small_index, query)
    assert results.hits == [] and results.total == 0


def test_words_together_rank_above_the_same_words_apart(small_index: SearchIndex) -> None:
    assert articles(search(small_index, "bank feed stops"))[:2] == ["banking/feed-stopped/", "banking/feed-words-apart/"]


def test_the_product_filter_keeps_only_that_product(small_index: SearchIndex) -> None:
    everywhere = search(small_index, "password")
    assert {hit.product for hit in everywhere.hits} == {"account", "ledger"}
    ledger = search(small_index, "password", product="ledger")
    assert articles(ledger) == ["banking/password-reset/"] and ledger.total == 1


def test_results_are_one_per_article(small_index: SearchIndex) -> None:
    found = articles(search(small_index, "mail rejected server"))
    assert len(found) == len(set(found)) >= 2


def test_off_topic_queries_are_not_confident(client) -> None:
    for query in ("playstation controller won't connect", "how do i get a refund for my flight"):
        body = client.get("/api/search", query_string={"q": query}).get_json()
        assert body["confident"] is False, query


@pytest.mark.parametrize("query", ["bank feed not updating", "LDG-4012", "how do I swap a shift", "response time"])
def test_answerable_queries_are_confident(client, query: str) -> None:
    body = client.get("/api/search", query_string={"q": query}).get_json()
    assert body["results"] and body["confident"] is True


def test_synonyms_come_from_the_generation_searched(small_index: SearchIndex) -> None:
    synonyms = Path(small_index.info().path) / "synonyms.yml"
    assert synonyms.read_text(encoding="utf-8").startswith("- [sign in")


@pytest.mark.parametrize(("raw", "codes"), [
    ("550 5.7.1 unable to relay", (("550", "5.7.1"),)),
    ("error 0x800CCC0E in outlook", (("0x800ccc0e",),)),
    ("LDG-4012 after reconnecting", (("ldg-4012",),)),
    ("event 1098 and aadsts50020", (("aadsts50020",),)),
    ("outlook 2016 crashes", ()),
])
def test_code_like_words_form_codes(raw: str, codes: tuple) -> None:
    assert parse_query(raw).codes == codes


def test_question_words_are_left_out_unless_nothing_else_is_left() -> None:
    assert parse_query("how do I share my calendar").topic_words == ("share", "calendar")
    assert parse_query("how do I").topic_words == ("how", "do", "i")


@pytest.mark.parametrize(("word", "allowed"), [("pst", 0), ("sinc", 1), ("calender", 2), ("0x8004", 0)])
def test_typos_allowed_grow_with_the_word(word: str, allowed: int) -> None:
    assert typos_allowed(word) == allowed


def test_spelling_variants_come_from_the_vocabulary() -> None:
    vocabulary = Vocabulary({"calendar", "sync", "since", "password"})
    assert variants("calender", 2, vocabulary) == {"calendar"}
    assert variants("sinc", 1, vocabulary) == {"sync", "since"}
    assert variants("pasword", 1, vocabulary) == {"password"}
    assert variants("zeppelin", 2, vocabulary) == set()
    assert edit_distance("passwrod", "password") == 1


def test_synonyms_match_the_longest_entry_and_name_the_others() -> None:
    synonyms = Synonyms([[("sign", "in"), ("log", "in"), ("login",)], [("log",), ("journal",)]])
    [match] = synonyms.matches(("cannot", "log", "in", "today"))
    assert (match.start, match.end, match.entry) == (1, 3, ("log", "in"))
    assert set(match.others) == {("sign", "in"), ("login",)}


@pytest.mark.parametrize("data", [{"sign in": "log in"}, [["only one"]], [["a", 3]]])
def test_a_malformed_synonyms_file_is_reported(data: object) -> None:
    with pytest.raises(SynonymsError):
        parse_groups(data, lambda text: tuple(text.split()))


def test_a_broken_synonyms_file_leaves_search_without_synonyms(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yml"
    path.write_text("- [sign in\n", encoding="utf-8")
    assert len(load_synonyms(path, lambda text: tuple(text.split()))) == 0


def test_snippets_mark_query_words_and_escape_the_rest() -> None:
    text = "Intro <b>. " + "filler " * 40 + "Reset the password & sign in again. " + "tail " * 40
    marked = snippet(text, word_pattern(["password", "sign"]), lambda word: word in {"password", "sign"})
    assert "<mark>password</mark>" in marked and "<mark>sign</mark>" in marked
    assert "&amp;" in marked and "<b>" not in marked and len(marked) < 260


@pytest.mark.parametrize(("evidence", "confident"), [
    (Evidence(coverage=1.0, topic_coverage=0.0, scores=[9, 5], products=["a", "b"]), True),
    (Evidence(coverage=1.0, topic_coverage=0.0, scores=[9, 5], products=["a", "b"], guessed=True), False),
    (Evidence(coverage=0.7, topic_coverage=0.7, scores=[9, 8, 8, 8, 8], products=["a", "b", "c", "d", "e"]), False),
    (Evidence(coverage=0.7, topic_coverage=0.7, scores=[9, 8, 8, 8, 8], products=["a"] * 5), True),
    (Evidence(coverage=0.7, topic_coverage=0.7, scores=[20, 8, 8, 8, 8], products=["a", "b", "c", "d", "e"]), True),
    (Evidence(coverage=0.3, topic_coverage=0.3, scores=[50, 1], products=["a", "a"]), False),
    (Evidence(coverage=0.5, topic_coverage=0.1, scores=[50, 1], products=["a", "a"]), False),
    (Evidence(coverage=0.0, topic_coverage=0.0, scores=[], products=[]), False),
])
def test_word_evidence_needs_coverage_and_topic_or_a_clear_list(evidence: Evidence, confident: bool) -> None:
    assert words_answer(evidence) is confident


def test_the_cache_keeps_the_most_recently_used_within_its_capacity() -> None:
    cache: LRUCache[str] = LRUCache(capacity=3)
    cache.put("a", "A", size=2)
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert cache.get("b") is None and cache.get("a") == "A" and cache.get("c") == "C"
    cache.put("huge", "H", size=4)
    assert cache.get("huge") is None


def test_an_incremental_update_hides_the_old_sections(tmp_path: Path) -> None:
    """An edited article is re-indexed into a new segment; its old sections linger, deleted, and must not match."""
    root = tmp_path / "index"
    sections = one_section_each()
    publish(sections, root)
    index = SearchIndex(root)
    assert any("reconnect" in hit.snippet.lower() for hit in search(index, "reconnect the account").hits)
    edited = [section if section.article_url != "banking/feed-stopped/" else
              Section(article_url=section.article_url, url=section.url, title=section.title, heading=section.heading,
                      text="If the bank feed stops, authorise the connection again. " + FILLER,
                      product=section.product, type=section.type)
              for section in sections]
    publish(edited, root)
    snippets = eventually(lambda: [hit.snippet for hit in search(index, "authorise the connection").hits],
                          lambda found: bool(found) and "authorise" in found[0])
    assert "authorise" in snippets[0]
    assert not any("reconnect" in hit.snippet.lower() for hit in search(index, "reconnect the account").hits)


def test_a_damaged_new_index_is_skipped_and_the_old_one_keeps_answering(tmp_path: Path) -> None:
    root = tmp_path / "index"
    sections = one_section_each()
    publish(sections, root)
    index = SearchIndex(root)
    damaged = new_generation(root)
    switch(root / CURRENT, damaged)
    answers = [articles(search(index, f"reconnect the account {number}")) for number in range(50)]
    assert all("banking/feed-stopped/" in found for found in answers)

    publish(sections[:1], root)
    assert eventually(lambda: index.info().articles, lambda count: count == 1) == 1
