"""Answers on a small help centre (the sample kb/, 22 articles), asked through the API as a customer would:
`confident` holds when the right article comes first, listing pages stay below articles, and "did you mean"
only offers a different query that finds more."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bridge.search.confidence import CONFIDENT_COSINE, PARTIAL_COVERAGE, SMALL_CONFIDENT_COSINE, Evidence, is_confident
from bridge.search.pages import is_listing_page

LISTING_PAGES = {"", "ledger/", "rota/", "support/"}


def search(client, query: str) -> dict:
    with client.get("/api/search", query_string={"q": query}) as response:
        assert response.status_code == 200
        return response.get_json()


def article(result: dict) -> str:
    return result["url"].split("#")[0]


@pytest.mark.parametrize(("query", "answer"), [
    ("how long until you answer my urgent problem", "Priorities and response targets"),
    ("what does support cover", "What support covers"),
    ("credit note", "Correcting a sent invoice"),
    ("are you open at christmas", "Support hours and holidays"),
    ("my bank transactions stopped appearing", "Bank feed not updating"),
])
def test_a_question_answered_first_is_called_confident(client, query: str, answer: str) -> None:
    body = search(client, query)
    assert body["results"][0]["title"] == answer
    assert body["confident"] is True


@pytest.mark.parametrize("query", ["cancel my subscription", "do you offer phone support", "delete my account",
                                   "install ledger on my mac", "can i pay by paypal"])
def test_a_question_no_article_answers_is_still_unsure(client, query: str) -> None:
    assert search(client, query)["confident"] is False


def test_on_a_large_help_centre_agreement_alone_does_not_make_a_sentence_confident() -> None:
    agreed = Evidence(cosine=SMALL_CONFIDENT_COSINE, coverage=PARTIAL_COVERAGE, agree=True, small=True)
    assert is_confident(agreed)
    assert not is_confident(replace(agreed, small=False))
    assert not is_confident(replace(agreed, agree=False))
    assert not is_confident(replace(agreed, coverage=PARTIAL_COVERAGE / 2))
    assert not is_confident(replace(agreed, cosine=SMALL_CONFIDENT_COSINE - 0.01))
    assert is_confident(Evidence(cosine=CONFIDENT_COSINE))


@pytest.mark.parametrize("path", ["index.md", "ledger/index.md", "docs/README.md", "a/b/Index.md"])
def test_a_folders_own_page_is_a_listing_page(path: str) -> None:
    assert is_listing_page(path)


@pytest.mark.parametrize("path", ["ledger/help-sheets/bank-feed-not-updating.md", "indexing.md", "ledger/readme-first.md"])
def test_an_article_is_not_a_listing_page(path: str) -> None:
    assert not is_listing_page(path)


@pytest.mark.parametrize("query", ["LDG-4012", "bank feed", "priorities and response targets", "raising a request",
                                   "publishing a rota", "vat", "error code"])
def test_a_listing_page_never_outranks_an_article(client, query: str) -> None:
    found = [article(result) for result in search(client, query)["results"]]
    kinds = [url in LISTING_PAGES for url in found]
    assert kinds == sorted(kinds), f"a listing page above an article: {found}"


def test_an_error_code_finds_the_help_sheet_that_explains_it_first(client) -> None:
    assert search(client, "LDG-4012")["results"][0]["title"] == "Bank feed not updating"


@pytest.mark.parametrize(("query", "page"), [("ledger", "ledger/"), ("what is ledger", "ledger/"),
                                             ("getting support", "support/")])
def test_a_listing_page_asked_for_by_name_comes_first(client, query: str, page: str) -> None:
    assert article(search(client, query)["results"][0]) == page


@pytest.mark.parametrize("query", ["is training included", "what does support cover", "correcting invoices",
                                   "shift reminders", "who are nominated contacts"])
def test_real_words_in_another_form_get_no_suggestion(client, query: str) -> None:
    assert search(client, query)["suggestion"] is None


@pytest.mark.parametrize(("query", "suggestion"), [
    ("How do I corect an Invoise", "How do I correct an Invoice"),
    ("SHIFT REMINDRS", "SHIFT REMINDERS"),
    ("invoise correction", "invoice correction"),
])
def test_a_suggestion_keeps_the_case_of_the_words_it_did_not_change(client, query: str, suggestion: str) -> None:
    assert search(client, query)["suggestion"] == suggestion


@pytest.mark.parametrize("query", ["invoise", "bank feeed", "How do I corect an Invoise", "priorty"])
def test_a_suggestion_is_a_different_query_whose_words_are_all_found(client, query: str) -> None:
    typed = search(client, query)
    suggested = search(client, typed["suggestion"])
    assert typed["suggestion"].lower() != typed["query"]
    assert suggested["suggestion"] is None and suggested["results"]
    for changed in set(typed["suggestion"].lower().split()) - set(typed["query"].split()):
        assert search(client, changed)["total"] > 0
