"""The `kb-bridge` MkDocs plugin under a company's own configuration, and run by MkDocs alone."""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.app import create_app
from bridge.cli import main
from bridge.search.layout import STAGED
from bridge.settings import PROJECT_ROOT

ACME = PROJECT_ROOT / "examples" / "acme" / "mkdocs.yml"
ARTICLE = Path("rota/help-sheets/swapping-shifts.md")  # links to no other article
THIRD_PARTY_FONTS = ("googleapis", "gstatic")


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """One article of the sample kb/: enough for a real build that encodes in seconds."""
    kb = tmp_path / "kb"
    (kb / ARTICLE).parent.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "kb" / ARTICLE, kb / ARTICLE)
    return kb


class Requests(HTMLParser):
    """Every address a browser would fetch while loading the page (not the links a reader may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "source") and values.get("src"):
            self.urls.append(values["src"])
        if tag == "link" and values.get("href") and values.get("rel") != "canonical":
            self.urls.append(values["href"])


def fetched_elsewhere(site: Path) -> dict[str, list[str]]:
    """For each built page, the addresses it loads from another host."""
    found = {}
    for page in site.rglob("*.html"):
        parser = Requests()
        parser.feed(page.read_text(encoding="utf-8"))
        elsewhere = [url for url in parser.urls if url.startswith(("http:", "https:", "//"))]
        if elsewhere:
            found[str(page.relative_to(site))] = elsewhere
    return found


def test_kb_build_config_brands_the_site_and_keeps_our_plugin_and_theme(small_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "--config", str(ACME), "--kb", str(small_kb), "--out", str(out),
                                       "--strict"])
    assert result.exit_code == 0, result.output
    site = out / "site"
    article = (site / "rota/help-sheets/swapping-shifts/index.html").read_text()
    assert "<title>Swapping shifts - Acme Help</title>" in article
    assert 'class="md-copyright"' in article and "Acme Ltd. Registered in England" in article
    assert 'src="../../../assets/acme-logo.svg"' in article and (site / "assets/acme-logo.svg").is_file()
    assert 'data-md-color-primary="deep-purple"' in article and "assets/acme.css" in article
    assert "About Acme" in article, "the company's own page is in the navigation"
    assert "kb-feedback" in article and "bridge-search-worker.js" in article and "kb-bridge.css" in article
    assert "Acme Help" in (site / "_bridge/shell.html").read_text()
    assert not (site / "synonyms.yml").exists()
    assert fetched_elsewhere(site) == {}

    client = create_app({"KB_BUILD_DIR": str(out)}).test_client()
    urls = [result["url"] for result in client.get("/api/search?q=about+acme+leeds").get_json()["results"]]
    assert urls and urls[0].startswith("about-acme/")
    with client.get("/tickets/new") as form:
        assert b"Acme Help" in form.data


def test_mkdocs_alone_runs_the_plugin_with_its_index_option(small_kb: Path, tmp_path: Path) -> None:
    """`mkdocs build` finds the plugin through its entry point; a Google font is refused, not fetched."""
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"site_name: Plain\ndocs_dir: {small_kb}\nsite_dir: site\n"
                      "theme: {name: material, font: {text: Lato}}\n"
                      "plugins:\n  - kb-bridge:\n      index_dir: search-index\n")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-f", str(config)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "theme.font {'text': 'Lato'}" in result.stderr and "never fetched from Google" in result.stderr
    assert (tmp_path / "search-index" / STAGED).is_dir()
    assert not (tmp_path / "index").exists()
    html = (tmp_path / "site/rota/help-sheets/swapping-shifts/index.html").read_text()
    assert not any(host in html for host in THIRD_PARTY_FONTS)


def test_a_company_main_html_that_skips_ours_is_refused(small_kb: Path, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """The company's configuration named by the setting KB_MKDOCS_CONFIG, with a main.html that loses our additions."""
    brand = tmp_path / "brand"
    (brand / "overrides").mkdir(parents=True)
    (brand / "overrides/main.html").write_text('{% extends "base.html" %}\n')
    (brand / "mkdocs.yml").write_text("site_name: Bare\ntheme: {name: material, custom_dir: overrides}\n")
    with caplog.at_level(logging.ERROR):
        result = CliRunner().invoke(main, ["build", "--kb", str(small_kb), "--out", str(tmp_path / "out")],
                                    env={"KB_MKDOCS_CONFIG": str(brand / "mkdocs.yml")})
    assert result.exit_code == 1 and "kb build failed" in result.output
    assert f'the theme\'s main.html (custom_dir {brand / "overrides"}) must {{% extends "kb-bridge.html" %}}' in caplog.text
    assert not (tmp_path / "out" / "site").exists()


def test_our_own_site_loads_nothing_from_another_host(built_kb: Path) -> None:
    site = built_kb / "site"
    assert fetched_elsewhere(site) == {}
    home = (site / "index.html").read_text()
    assert not any(host in home for host in THIRD_PARTY_FONTS)
    assert 'data-md-color-media="(prefers-color-scheme: dark)"' in home and 'data-md-color-scheme="slate"' in home
