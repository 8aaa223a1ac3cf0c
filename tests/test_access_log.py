"""`kb serve`'s access log names each request's path and status, never what a customer typed into it."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.conftest import free_port, wait_until_up


def test_the_access_log_leaves_out_query_strings_and_referrers(built_kb: Path, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}", "KB_OUTBOX_DIR": str(tmp_path)}
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", str(port), "--out",
                                    str(built_kb)], env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/api/health", process)
            request = urllib.request.Request(f"{base}/api/search?q=ada.lovelace%40example.org+payroll",
                                             headers={"Referer": f"{base}/?q=my+account+number+12345678"})
            with urllib.request.urlopen(request) as answer:
                assert answer.status == 200
        finally:
            process.terminate()
            process.wait(timeout=60)
    written = log.read_text()
    assert '"GET /api/search HTTP/1.1" 200' in written
    assert "lovelace" not in written and "12345678" not in written
