"""`kb serve` as a browser test meets it: gunicorn on a free port, its mail going to aiosmtpd in this process."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.conftest import free_port, wait_until_up
from tests.tickets.smtp_recorder import RecordingHandler


@contextmanager
def served_with_mail(built_kb: Path, database_url: str, **env: str) -> Iterator[tuple[str, RecordingHandler]]:
    """The served bridge's base URL and the recorder of every mail it sends, until the block ends."""
    handler = RecordingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    environment = {**os.environ, "KB_DATABASE_URL": database_url, "KB_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", **env}
    process = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", str(port), "--out", str(built_kb)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(base + "api/health", process)
        yield base, handler
    finally:
        process.terminate()
        process.wait(timeout=60)
        smtp.stop()
