"""Tickets per second, and latency, when 8 clients raise tickets at once through `POST /api/tickets`.

Each run starts a real `kb serve` (gunicorn, 2 workers x 4 threads, each worker with its own
outbox sender writing the acknowledgements as .eml files) on the sample kb, once on SQLite and
once on PostgreSQL (a schema of its own), with the rate limit raised out of the way. Every
ticket is validated, gets its targets in business time, and is stored with its acknowledgement
in one transaction. Two kinds of client are measured: one that sends the articles it showed
(as the contact form's script does), and one that sends none, so the bridge searches the index
for suggestions from the subject.

    .venv/bin/python benchmarks/tickets.py [--tickets 400] [--clients 8]

Writes the "tickets" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.results import write_section  # noqa: E402
from bridge.db import make_engine  # noqa: E402
from bridge.site_build import OUR_KB, build_site  # noqa: E402
from bridge.tickets.models import Ticket  # noqa: E402

POSTGRES_URL = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORKERS = 2
TICKET = {
    "email": "ada@example.org",
    "name": "Ada Lovelace",
    "product": "ledger",
    "subject": "Invoice export fails with an error",
    "description": "The export button does nothing.\nI tried twice, in two browsers.",
    "request_type": "technical",
    "priority": "urgent",
    "query": "export invoices",
}
SHOWN = [{"title": "Sending your first invoice", "url": "ledger/quick-starts/your-first-invoice/"}]
CLIENTS = {"sends the articles it showed": {**TICKET, "suggested_articles": SHOWN}, "bridge suggests articles": TICKET}


@dataclass(frozen=True)
class Run:
    backend: str
    kind: str
    tickets: int
    seconds: float
    latencies: list[float]

    def row(self) -> str:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
        return (f"| {self.backend} | {self.kind} | {self.tickets} | {self.tickets / self.seconds:.0f} | "
                f"{statistics.median(ordered) * 1000:.1f} | {p99 * 1000:.1f} | {max(ordered) * 1000:.1f} |")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'bench.sqlite3'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A schema of its own in the test database, dropped afterwards (kb serve creates the tables)."""
    schema = f"kb_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def served(build: Path, database_url: str, outbox: Path) -> Iterator[int]:
    """`kb serve` on a free port until the block ends."""
    port = free_port()
    env = {**os.environ, "KB_DATABASE_URL": database_url, "KB_OUTBOX_DIR": str(outbox),
           "KB_TICKET_RATE_LIMIT": "1000000/minute"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli", "serve", "--out", str(build), "--port", str(port), "--workers", str(WORKERS)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"kb serve did not start: {process.stderr.read()}") from None
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stderr.close()


def client(port: int, ticket: dict, count: int, start: threading.Barrier, latencies: list[float],
           failures: list[str]) -> None:
    """One customer system: a keep-alive connection sending count tickets back to back."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps(ticket)
    try:
        start.wait()
        for _ in range(count):
            began = time.perf_counter()
            connection.request("POST", "/api/tickets", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - began)
            if response.status != 201:
                failures.append(str(response.status))
    finally:
        connection.close()


def measure(backend: str, kind: str, port: int, database_url: str, tickets: int, clients: int) -> Run:
    """Send tickets from clients at once and check that every one was stored."""
    before = stored_tickets(database_url)
    latencies: list[float] = []
    failures: list[str] = []
    start = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=client, args=(port, CLIENTS[kind], tickets // clients, start, latencies, failures))
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{backend}: {len(failures)} tickets were refused: {sorted(set(failures))}")
    stored = stored_tickets(database_url) - before
    if stored != len(latencies):
        raise RuntimeError(f"{backend}: {stored} tickets stored, {len(latencies)} sent")
    return Run(backend, kind, len(latencies), seconds, latencies)


def warm_up(port: int) -> None:
    """A few tickets per worker first, so each has opened its index, database pool and mail sender."""
    threads = [threading.Thread(target=client, args=(port, ticket, 5, threading.Barrier(1), [], []))
               for ticket in CLIENTS.values() for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def stored_tickets(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Ticket)).scalar_one()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    runs = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        build_site(OUR_KB, folder / "build", strict=True)
        for backend, database in (("SQLite", sqlite_database(folder)), ("PostgreSQL", postgres_database())):
            with database as url, served(folder / "build", url, folder / f"outbox-{backend}") as port:
                warm_up(port)
                for kind in CLIENTS:
                    runs.append(measure(backend, kind, port, url, args.tickets, args.clients))
                    print(runs[-1].row())
    body = "\n".join([
        f"`benchmarks/tickets.py`: {args.clients} clients (threads, one keep-alive connection each) POST "
        f"{args.tickets} tickets per row to `kb serve` ({WORKERS} gunicorn workers x 4 threads, each worker's "
        "outbox sender writing the acknowledgements meanwhile), after warm-up tickets. Each ticket is validated, "
        "gets business-time targets and is committed with its acknowledgement mail; a client that sends no "
        "suggested articles makes the bridge search the index for up to 5 from the subject. "
        f"Load average when the run started: {load:.1f} (other work on the machine shows in the tails).",
        "",
        "| Database | Client | Tickets | Tickets/s | p50 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(run.row() for run in runs),
    ])
    write_section("tickets", "Tickets: creation throughput", body)


if __name__ == "__main__":
    main()
