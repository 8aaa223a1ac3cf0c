"""Query parsing, section splitting and article metadata: the pieces under the search API."""
from __future__ import annotations

import pytest

from bridge.search.pages import article_product, page_sections
from bridge.search.query import MAX_QUERY_LENGTH, QueryError, parse_query
from bridge.search.sections import split_sections


def test_query_words_and_phrases() -> None:
    parsed = parse_query('  Outlook  "keeps asking" for PASSWORD ')
    assert parsed.text == 'outlook "keeps asking" for password'
    assert parsed.words == ("outlook", "for", "password")
    assert parsed.phrases == (("keeps", "asking"),)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("error 0x800CCC0E", ("error", "0x800ccc0e")),
        ("550 5.7.1 unable to relay", ("550", "5.7.1", "unable", "to", "relay")),
        ("title:(secret) OR *", ("title", "secret", "or")),
        ("can't sign-in", ("can't", "sign-in")),
    ],
)
def test_query_syntax_characters_never_reach_the_engine(raw: str, words: tuple[str, ...]) -> None:
    assert parse_query(raw).words == words


@pytest.mark.parametrize("raw", [None, "", "   ", "?!", "x" * (MAX_QUERY_LENGTH + 1)])
def test_unsearchable_queries_are_refused(raw: str | None) -> None:
    with pytest.raises(QueryError):
        parse_query(raw)


HTML = """
<p>Lead-in text.</p>
<h1 id="reset">Reset a password<a class="headerlink" href="#reset">&para;</a></h1>
<p>Intro &amp; more.</p><script>var ignored = 1;</script>
<h2 id="steps">Steps<a class="headerlink" href="#steps">&para;</a></h2>
<ol><li>Open <b>Settings</b></li><li>Choose Reset</li></ol>
<h4>Minor heading</h4><p>stays in Steps</p>
<h3 id="if-it-fails">If it fails</h3><p>Call us.</p>
"""


def test_sections_split_at_h1_h2_h3_with_anchors_and_clean_text() -> None:
    sections = split_sections(HTML)
    assert [(s.heading, s.anchor) for s in sections] == [
        ("", ""), ("Reset a password", "reset"), ("Steps", "steps"), ("If it fails", "if-it-fails")
    ]
    assert sections[1].text == "Intro & more."
    assert sections[2].text == "Open Settings Choose Reset Minor heading stays in Steps"


def test_page_sections_carry_article_metadata() -> None:
    meta = {"title": "Reset", "summary": "How to reset", "type": "help-sheet", "product": "support", "tags": ["Password"]}
    sections = page_sections(url="support/reset/", src_uri="support/reset.md", title="Reset", meta=meta, html=HTML)
    steps = sections[2]
    assert steps.url == "support/reset/#steps" and steps.article_url == "support/reset/"
    assert (steps.product, steps.type, steps.summary, steps.tags) == ("support", "help-sheet", "How to reset", ("password",))


@pytest.mark.parametrize(
    ("meta", "src_uri", "product"),
    [
        ({"product": "ledger", "appliesto": ["Outlook 2016"]}, "Outlook/a.md", "ledger"),
        ({"appliesto": ["Outlook for Microsoft 365", "Outlook 2016"]}, "Outlook/a.md", "Outlook for Microsoft 365"),
        ({}, "Teams/meetings/a.md", "Teams"),
        ({}, "a.md", "general"),
    ],
)
def test_product_falls_back_from_front_matter_to_appliesto_to_folder(meta: dict, src_uri: str, product: str) -> None:
    assert article_product(meta, src_uri) == product
