"""A customer uses the search box of the served site in a real browser (Debian's chromium)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def open_search(page, base: str, query: str) -> None:
    page.goto(base)
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(query)


def test_typing_shows_the_answer_and_enter_opens_it(served_kb: str, page) -> None:
    open_search(page, served_kb, "response time")
    first = page.locator(".md-search-result__item").first
    first.wait_for()
    assert "Priorities and response targets" in first.inner_text()
    assert first.locator("mark").count() > 0
    page.locator("input.md-search__input").press("Enter")
    page.wait_for_url(re.compile(r"/support/help-sheets/priorities-and-response-targets/(\?[^#]*)?#"))
    assert page.locator("article h1").inner_text().startswith("Priorities and response targets")
    page.wait_for_function("!location.search.includes('sid=')")


def test_a_misspelt_search_offers_did_you_mean_and_searches_again(served_kb: str, page) -> None:
    open_search(page, served_kb, "invoise")
    retry = page.locator(".kb-search-suggestion button", has_text="invoice")
    retry.wait_for()
    assert page.locator(".kb-search-suggestion").inner_text() == "Did you mean invoice?"
    retry.click()
    assert page.locator("input.md-search__input").input_value() == "invoice"
    page.locator(".kb-search-suggestion").wait_for(state="hidden")
    page.locator(".md-search-result__item", has_text="invoice").first.wait_for()


def test_a_search_with_no_answer_offers_contact_support_with_the_query(served_kb: str, page) -> None:
    open_search(page, served_kb, "xylophone zeppelin")
    contact = page.locator(".md-search-result__list a", has_text="Contact support")
    # The box searches as the words are typed: wait for the answer to the whole query, not to "xylophone zep".
    expect(contact).to_have_attribute("href", re.compile(r"[?&]q=xylophone(\+|%20)zeppelin(&|$)"))
    assert page.locator(".md-search-result__meta").inner_text() == "No matching articles"
    link = urlsplit(contact.get_attribute("href"))
    assert link.path == "/tickets/new"
    assert parse_qs(link.query)["q"] == ["xylophone zeppelin"]


def test_the_search_box_says_so_when_the_bridge_cannot_be_reached(served_kb: str, page) -> None:
    page.route("**/api/search*", lambda route: route.abort())
    open_search(page, served_kb, "invoice")
    page.locator(".md-search-result__list a", has_text="Contact support").wait_for()
    assert page.locator(".md-search-result__meta").inner_text() == "Search is unavailable right now"


def test_no_on_an_article_offers_support_with_the_page_and_search_carried(served_kb: str, page) -> None:
    open_search(page, served_kb, "bank feed")
    page.locator(".md-search-result__item", has_text="Bank feed not updating").first.wait_for()
    page.locator("input.md-search__input").press("Enter")
    page.wait_for_url(re.compile(r"/ledger/help-sheets/bank-feed-not-updating/"))
    page.locator(".kb-feedback__no").click()
    offer = page.locator(".kb-feedback__offer a", has_text="Contact support")
    offer.wait_for()
    link = parse_qs(urlsplit(offer.get_attribute("href")).query)
    assert link["page"] == ["ledger/help-sheets/bank-feed-not-updating/"]
    assert link["q"] == ["bank feed"] and link["sid"]
    offer.click()
    page.wait_for_url(re.compile(r"/tickets/new\?"))
    assert parse_qs(urlsplit(page.url).query)["page"] == ["ledger/help-sheets/bank-feed-not-updating/"]
