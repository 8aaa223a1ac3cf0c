"""Search by meaning: a customer's own words find an article written in other words.

The index is a tiny help centre written here, searched through the real sentence model; the
fusion and vector storage are also tested as pure pieces.
"""
from __future__ import annotations


import numpy as np
import pytest

from bridge.search.confidence import Evidence, is_confident
from bridge.search.fusion import MEANING_WEIGHT, WORDS_WEIGHT, fuse
from bridge.search.index_reader import SearchIndex
from bridge.search.index_writer import write_index
from bridge.search.layout import publish_staged
from bridge.search.meaning import encoder, from_bytes, query_vector, to_bytes
from bridge.search.query import parse_query
from bridge.search.types import Section

ARTICLES = {
    "desktop/crash-on-start/": ("Outlook crashes after startup", "desktop",
                                "If Outlook crashes right after startup, start it in safe mode and turn off add-ins."),
    "desktop/repair-data-file/": ("Repairing a data file with scanpst", "desktop",
                                  "Close Outlook, run scanpst on the damaged file, then open Outlook again."),
    "desktop/printing/": ("Printing a calendar", "desktop",
                          "Choose File, then Print, and pick the calendar style you want on paper."),
    "billing/change-card/": ("Updating your payment card", "billing",
                             "Open Billing, choose Payment methods and replace the expired card."),
    "billing/invoices/": ("Downloading invoices", "billing",
                          "Every invoice is in Billing, under Statements, as a PDF you can download."),
}
# Shares no word with the crash article, but says the same thing.
OWN_WORDS = "my mail program shuts down the moment I launch it"
WEIGHTS = [WORDS_WEIGHT, MEANING_WEIGHT]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    root = tmp_path_factory.mktemp("meaning") / "index"
    write_index([Section(article_url=url, url=url, title=title, heading=title, text=text, product=product,
                         type="help-sheet") for url, (title, product, text) in ARTICLES.items()], root)
    publish_staged(root)
    return SearchIndex(root)


def urls(index: SearchIndex, text: str, **options) -> list[str]:
    return [hit.url for hit in index.search(parse_query(text), **options).hits]


def test_a_customers_own_words_find_the_article_that_says_it_differently(index: SearchIndex) -> None:
    assert urls(index, OWN_WORDS)[:1] == ["desktop/crash-on-start/"]


def test_gibberish_still_finds_nothing(index: SearchIndex) -> None:
    results = index.search(parse_query("qzxv wplk frungle"))
    assert results.hits == [] and results.total == 0 and not results.confident


def test_the_product_filter_applies_to_meaning_too(index: SearchIndex) -> None:
    assert "desktop/crash-on-start/" not in urls(index, OWN_WORDS, product="billing")


def test_a_word_match_and_a_meaning_match_share_one_list(index: SearchIndex) -> None:
    found = urls(index, "replace an expired card")
    assert found[0] == "billing/change-card/" and len(found) == len(set(found))


def test_a_batch_encodes_each_text_as_it_would_alone() -> None:
    texts = ["a long text about printing a calendar on paper, with every option explained", "invoice", "sign in"]
    together = encoder().encode(texts)
    alone = np.stack([encoder().encode([text])[0] for text in texts])
    assert np.allclose(together, alone, atol=1e-4)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_query_vectors_are_remembered_and_read_only() -> None:
    assert query_vector("print  my calendar") is query_vector("print my calendar")
    assert not query_vector("print my calendar").flags.writeable


def test_vectors_survive_the_index_column() -> None:
    vectors = encoder().encode(["printing a calendar", "expired card"])
    restored = from_bytes(to_bytes(vectors))
    assert restored.shape == vectors.shape and np.allclose(restored, vectors, atol=1e-3)
    assert from_bytes([]).shape == (0, vectors.shape[1])


def test_fusion_puts_an_article_both_rankings_found_first() -> None:
    article_of = np.array([0, 0, 1, 2, 3])
    fused = fuse([[2, 0], [1, 3, 2]], WEIGHTS, article_of, limit=3)
    assert [item.doc for item in fused] == [0, 2, 3]
    assert fused[0].score > fused[1].score > fused[2].score


def test_fusion_ranks_the_closest_meaning_above_the_best_word_match() -> None:
    article_of = np.array([0, 1])
    assert [item.doc for item in fuse([[0], [1]], WEIGHTS, article_of, limit=10)] == [1, 0]


def test_fusion_shows_the_word_rankings_section_of_an_article() -> None:
    article_of = np.array([0, 0])
    assert [item.doc for item in fuse([[1], [0]], WEIGHTS, article_of, limit=10)] == [1]


def test_a_sentence_is_judged_by_how_close_its_meaning_is() -> None:
    assert is_confident(Evidence(cosine=0.7))
    assert not is_confident(Evidence(coverage=1.0, topic_coverage=1.0, scores=[9, 1], products=["a"], cosine=0.4))


def test_one_word_or_a_code_is_judged_by_its_words() -> None:
    covered = Evidence(coverage=1.0, topic_coverage=1.0, scores=[9, 1], products=["a"], cosine=0.0, literal=True)
    assert is_confident(covered)
    assert not is_confident(Evidence(cosine=0.9, literal=True))


def test_a_tool_name_the_model_does_not_know_is_confident_on_its_words(index: SearchIndex) -> None:
    results = index.search(parse_query("scanpst"))
    assert results.hits[0].url == "desktop/repair-data-file/" and results.confident
