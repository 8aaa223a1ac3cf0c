"""The help centre works in a real browser under its Content-Security-Policy, and the policy does stop injected script.

Every browser test fails on a policy violation (tests/conftest.py's `page` fixture); these tests
walk the pages the others do not, and check that the listener does catch one.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import eventually

pytestmark = pytest.mark.browser


def test_an_injected_inline_script_is_blocked_and_reported(served_kb: str, page, csp_violations: list[str]) -> None:
    response = page.goto(served_kb + "ledger/help-sheets/bank-feed-not-updating/")
    assert "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
    page.evaluate("""() => {
        const script = document.createElement("script")
        script.textContent = "window.kbInjected = true"
        document.body.append(script)
        const image = new Image()
        image.src = "https://evil.example/pixel.png"
    }""")
    page.wait_for_function("window.kbCspReports.length >= 2")
    reported = page.evaluate("window.kbCspReports")
    assert page.evaluate("window.kbInjected") is None
    assert any(report.startswith("script-src-elem blocked inline") for report in reported), reported
    assert any(report.startswith("img-src blocked https://evil.example/pixel.png") for report in reported), reported
    assert eventually(lambda: (page.evaluate("0"), len(csp_violations))[1], lambda count: count >= 2) >= 2, \
        "the fixture that fails every browser test heard them too"
    csp_violations.clear()


def test_materials_own_scripts_run_on_every_kind_of_page(served_kb: str, page) -> None:
    for path in ("", "ledger/help-sheets/bank-feed-not-updating/", "no-such-page/"):
        page.goto(served_kb + path)
        # Material's inline set-up ran (its bundle needs it) and its bundle ran (it builds the header's components).
        assert page.evaluate("typeof __md_scope") == "object", path
        page.wait_for_function("document.body.querySelector('[data-md-component=header]') !== null")
        assert page.evaluate("getComputedStyle(document.querySelector('.md-header')).position") == "sticky", path


def test_search_feedback_and_the_contact_form_work_under_the_policy(served_kb: str, page) -> None:
    page.goto(served_kb)
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("bank feed")
    page.locator(".md-search-result__item", has_text="Bank feed not updating").first.wait_for()
    box.press("Enter")
    page.wait_for_url(re.compile(r"/ledger/help-sheets/bank-feed-not-updating/"))
    with page.expect_response(re.compile(r"/api/feedback$")) as feedback:
        page.locator(".kb-feedback__yes").click()
    assert feedback.value.status == 204

    page.goto(served_kb + "tickets/new?page=ledger/help-sheets/bank-feed-not-updating/")
    page.locator("#kb-subject").press_sequentially("bank feed stopped")
    page.locator("#kb-suggestions-list li").first.wait_for()
    assert page.locator("#kb-suggestions").is_visible()
