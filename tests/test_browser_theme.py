"""A reader's system preference picks light or dark, the toggle switches, and nothing loads from another host."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_dark_system_gets_dark_pages_and_the_toggle_switches_to_light(served_kb: str, browser) -> None:
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(served_kb + "support/help-sheets/credits/")
        scheme = "document.body.getAttribute('data-md-color-scheme')"
        assert page.evaluate(scheme) == "slate"
        page.locator("label[title='Switch to light mode']").click()
        page.wait_for_function(f"{scheme} === 'default'")
        page.reload()
        assert page.evaluate(scheme) == "default", "the reader's choice is kept across pages"
        assert requested and [url for url in requested if not url.startswith((served_kb, "data:"))] == []
    finally:
        context.close()
