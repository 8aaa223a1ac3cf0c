"""Publishing without downtime: incremental re-indexing, and atomic switches under a running bridge."""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort

from bridge.app import create_app
from bridge.search.layout import current_generation, new_generation, read_meta, switch
from bridge.site_build import BUILD_LOCK, SITE_LINK, SITE_PREFIX, build_site
from tests.conftest import eventually
from tests.served_bridge import kb_serve

ARTICLE = Path("support/help-sheets/credits.md")
ARTICLE_URL = "support/help-sheets/credits/"
LEAF_ARTICLE = Path("rota/help-sheets/swapping-shifts.md")
PAUSE = 0.005


def set_marker(kb: Path, word: str, article: Path = ARTICLE) -> None:
    """Give `article` a last paragraph naming `word`, replacing the one a previous call added."""
    path = kb / article
    text = path.read_text().split("\nOur marker word is ")[0].rstrip("\n")
    path.write_text(f"{text}\n\nOur marker word is {word}.\n")


def found(client, word: str) -> set[str]:
    response = client.get("/api/search", query_string={"q": word})
    assert response.status_code == 200
    return {result["url"].split("#")[0] for result in response.get_json()["results"]}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:
        return response.read()


def last_update(out: Path) -> dict:
    return read_meta(current_generation(out / "index"))["update"]


def test_one_changed_article_is_the_only_one_reindexed(kb_copy: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))  # no index kept by an earlier test's build
    out = tmp_path / "out"
    set_marker(kb_copy, "marmalade")
    build_site(kb_copy, out, strict=True)
    assert last_update(out)["full_reason"] == "no previous index"
    client = create_app({"KB_BUILD_DIR": str(out)}).test_client()
    assert found(client, "marmalade") == {ARTICLE_URL}

    set_marker(kb_copy, "quokkaberry")
    build_site(kb_copy, out, strict=True)
    update = last_update(out)
    assert (update["full_reason"], update["changed"], update["added"], update["removed"]) == (None, 1, 0, 0)
    assert eventually(lambda: found(client, "quokkaberry"), lambda urls: urls == {ARTICLE_URL}) == {ARTICLE_URL}
    assert found(client, "marmalade") == set()
    with client.get(ARTICLE_URL) as page:
        assert b"quokkaberry" in page.data


def test_a_removed_article_leaves_search_and_the_site(kb_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    set_marker(kb_copy, "tamarind", LEAF_ARTICLE)
    build_site(kb_copy, out, strict=False)
    (kb_copy / LEAF_ARTICLE).unlink()
    build_site(kb_copy, out, strict=False)
    update = last_update(out)
    assert (update["changed"], update["added"], update["removed"]) == (0, 0, 1)
    client = create_app({"KB_BUILD_DIR": str(out)}).test_client()
    assert found(client, "tamarind") == set()
    assert client.get("/rota/help-sheets/swapping-shifts/").status_code == 404


def test_an_unchanged_rebuild_keeps_the_index_and_switches_the_site(kb_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(kb_copy, out, strict=True)
    index, site = sorted(os.listdir(out / "index")), os.readlink(out / SITE_LINK)
    build_site(kb_copy, out, strict=True)
    assert sorted(os.listdir(out / "index")) == index
    assert os.readlink(out / SITE_LINK) != site and (out / site).is_dir()


def outputs(out: Path) -> list[str]:
    return sorted(os.listdir(out)) + sorted(os.listdir(out / "index"))


def test_a_failed_build_publishes_nothing(kb_copy: Path, tmp_path: Path) -> None:
    """MkDocs aborts a strict build after its last hook ran: the staged index must not go live."""
    out = tmp_path / "out"
    build_site(kb_copy, out, strict=True)
    before = outputs(out)
    set_marker(kb_copy, "[a broken link](missing.md)")
    with pytest.raises(Abort, match="strict mode"):
        build_site(kb_copy, out, strict=True)
    assert outputs(out) == before


def test_a_second_build_into_the_same_folder_waits_for_the_first(kb_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with open(out / BUILD_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = subprocess.Popen([sys.executable, "-m", "bridge.cli", "build", "--kb", str(kb_copy), "--out", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        waiting = next((line for line in process.stderr if "Waiting for another kb build" in line), None)
        assert waiting is not None and not (out / SITE_LINK).exists()
    process.communicate(timeout=120)
    assert process.returncode == 0
    assert (out / SITE_LINK / "index.html").is_file()


def test_a_site_folder_from_before_generations_becomes_the_previous_generation(tmp_path: Path) -> None:
    (tmp_path / SITE_LINK).mkdir()
    (tmp_path / SITE_LINK / "index.html").write_text("old")
    new = new_generation(tmp_path, SITE_PREFIX)
    switch(tmp_path / SITE_LINK, new)
    assert (tmp_path / SITE_LINK).resolve() == new.resolve()
    adopted = [path for path in tmp_path.glob(f"{SITE_PREFIX}*") if path != new]
    assert [path.joinpath("index.html").read_text() for path in adopted] == ["old"]
    assert adopted[0].name < new.name


@pytest.fixture
def served_out(kb_copy: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`kb serve` (gunicorn) on a build of `kb_copy` of the test's own; yields its base URL and the out folder."""
    out = tmp_path / "out"
    set_marker(kb_copy, "build0")
    build_site(kb_copy, out, strict=False)
    # The fetchers below search without pause: the search rate limit would answer them 429.
    with kb_serve(out, f"sqlite:///{tmp_path / 'kb.sqlite3'}", KB_OUTBOX_DIR=str(tmp_path / "outbox"),
                  KB_SEARCH_RATE_LIMIT="") as (base, _):
        yield base, out


class _Fetcher(threading.Thread):
    """Requests one path over and over until stopped, keeping every failure and every body.

    A short pause between requests leaves the builds some CPU; a few hundred requests still
    land on every switch.
    """

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, stop
        self.failures: list[str] = []
        self.bodies: list[bytes] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    self.bodies.append(response.read())
            except (urllib.error.URLError, OSError) as error:
                self.failures.append(f"{self.url}: {error}")
            time.sleep(PAUSE)


def test_queries_and_pages_never_fail_while_rebuilds_are_published(served_out: tuple[str, Path], kb_copy: Path) -> None:
    base, out = served_out
    stop = threading.Event()
    fetchers = [_Fetcher(base + "api/search?q=invoice", stop), _Fetcher(base + "api/search?q=marker+word", stop),
                _Fetcher(base + ARTICLE_URL, stop)]
    for fetcher in fetchers:
        fetcher.start()
    try:
        for number in (1, 2, 3):
            set_marker(kb_copy, f"build{number}")
            subprocess.run([sys.executable, "-m", "bridge.cli", "build", "--kb", str(kb_copy), "--out", str(out)],
                           check=True, capture_output=True, timeout=120)
    finally:
        stop.set()
        for fetcher in fetchers:
            fetcher.join(timeout=15)
    assert [failure for fetcher in fetchers for failure in fetcher.failures] == []
    answers = {(body["total"], frozenset(hit["url"] for hit in body["results"]))
               for body in map(json.loads, fetchers[0].bodies)}
    assert len(answers) == 1, "a query the edits do not touch must find the same sections throughout"
    assert all(len(fetcher.bodies) > 10 for fetcher in fetchers)
    assert last_update(out)["changed"] == 1
    # Each gunicorn worker switches on its own, once it has opened the new index.
    assert ARTICLE_URL.encode() in eventually(lambda: fetch(base + "api/search?q=build3"),
                                              lambda body: ARTICLE_URL.encode() in body)
    assert b"build3" in fetch(base + ARTICLE_URL)
