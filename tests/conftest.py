"""Shared fixtures: the sample kb/ built once per session, the bridge on it, a served site, a browser."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from bridge.app import create_app
from bridge.db import upgrade_database
from bridge.settings import PROJECT_ROOT
from bridge.site_build import build_site
from bridge.web.context import services

CHROMIUM = Path("/usr/bin/chromium")
CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "officedocs-support"


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing real part skips with its reason; in CI it is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def built_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own kb/, built strictly (as `kb build` does) into a temporary folder."""
    out = tmp_path_factory.mktemp("build")
    build_site(PROJECT_ROOT / "kb", out, strict=True)
    return out


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    """A migrated SQLite database of the test's own."""
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    upgrade_database(url)
    return url


@pytest.fixture
def app(built_kb: Path, database_file: str):
    app = create_app({"KB_BUILD_DIR": str(built_kb), "KB_DATABASE_URL": database_file, "KB_ENTITLEMENT": "anyone"})
    yield app
    services(app).close()


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Answer = TypeVar("Answer")


def eventually(probe: Callable[[], Answer], done: Callable[[Answer], bool], seconds: float = 10) -> Answer:
    """`probe()` again until `done` holds of its answer or `seconds` pass; the last answer, for the assertion.

    For what the bridge does in the background: it switches to a newly published index only
    once it has opened and warmed it.
    """
    deadline = time.monotonic() + seconds
    while not done(answer := probe()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return answer


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {seconds} s")


@pytest.fixture(scope="session")
def served_kb(built_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kb serve` (gunicorn) on the built sample kb, as `make run` starts it; yields its base URL."""
    port = free_port()
    env = {**os.environ, "KB_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'kb.sqlite3'}",
           "KB_OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox"))}
    process = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", str(port), "--out", str(built_kb)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(base + "api/health", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


# Reports every Content-Security-Policy violation of every page a browser test opens, through a binding that
# outlives navigation, so a page or script the policy breaks fails the test that met it.
CSP_LISTENER = """window.kbCspReports = []
document.addEventListener("securitypolicyviolation", event => {
    const report = `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}:${event.lineNumber}`
    window.kbCspReports.push(report)
    window.__kbCspViolation(report)
})"""


@pytest.fixture
def csp_violations() -> list[str]:
    """The violations the browser reported; a test that provokes one on purpose empties it."""
    return []


@pytest.fixture
def page(browser, csp_violations: list[str]):
    context = browser.new_context()
    context.expose_binding("__kbCspViolation", lambda source, report: csp_violations.append(report))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda message: csp_violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not csp_violations, f"the page broke its Content-Security-Policy: {csp_violations}"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the project's kb/ for tests that break it on purpose."""
    target = tmp_path / "kb"
    shutil.copytree(PROJECT_ROOT / "kb", target)
    return target
