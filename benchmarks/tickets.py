"""Tickets per second, and latency, when 8 clients raise tickets at once through `POST /api/tickets`;
and the board's queue, `GET /api/tickets` for a member of staff whose board has 50,000 tickets.

Each run starts a real `kb serve` (gunicorn, 2 workers x 4 threads, each worker with its own
outbox sender writing the acknowledgements as .eml files) on the sample kb, once on SQLite and
once on PostgreSQL (a schema of its own), with the rate limit raised out of the way. Every
ticket is validated, gets its targets in business time, and is stored with its acknowledgement
in one transaction. Two kinds of client are measured: one that sends the articles it showed
(as the contact form's script does), and one that sends none, so the bridge searches the index
for suggestions from the subject.

The queue: 50,000 tickets of one product (a year of them, most closed, as a desk's database holds
them) and 5,000 of another are written straight into a migrated database; one signed-in board
member then asks `kb serve` for the queue, one request at a time, unfiltered and with each filter
the board uses, and the latency of each kind is reported.

    .venv/bin/python benchmarks/tickets.py [--part create|queue|both] [--tickets 400] [--clients 8]
        [--board-tickets 50000] [--requests 200]

Writes the "tickets" and "queue" sections of benchmarks/RESULTS.md.
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

from benchmarks.queue_data import QUEUES, fill_board, signed_in_cookie  # noqa: E402
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
def sqlite_database(folder: Path, name: str = "bench") -> Iterator[str]:
    yield f"sqlite:///{folder / f'{name}.sqlite3'}"


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


def creation(folder: Path, tickets: int, clients: int) -> None:
    runs = []
    load = os.getloadavg()[0]
    for backend, database in (("SQLite", sqlite_database(folder)), ("PostgreSQL", postgres_database())):
        with database as url, served(folder / "build", url, folder / f"outbox-{backend}") as port:
            warm_up(port)
            for kind in CLIENTS:
                runs.append(measure(backend, kind, port, url, tickets, clients))
                print(runs[-1].row())
    body = "\n".join([
        f"`benchmarks/tickets.py`: {clients} clients (threads, one keep-alive connection each) POST "
        f"{tickets} tickets per row to `kb serve` ({WORKERS} gunicorn workers x 4 threads, each worker's "
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


def queue(folder: Path, board_tickets: int, requests: int) -> None:
    """The board's queue on each backend: the same tickets, the same requests, one at a time."""
    rows, loads = [], []
    for backend, database in (("SQLite", sqlite_database(folder, "queue")), ("PostgreSQL", postgres_database())):
        with database as url:
            fill_board(url, board_tickets)
            with served(folder / "build", url, folder / f"outbox-queue-{backend}") as port:
                cookie = signed_in_cookie(url, port)
                loads.append(os.getloadavg()[0])
                for name, query in QUEUES.items():
                    latencies = queue_latencies(port, cookie, query, requests)
                    ordered = sorted(latencies)
                    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
                    rows.append(f"| {backend} | {name} | `{query}` | {requests} | {statistics.median(ordered) * 1000:.1f} | "
                                f"{p99 * 1000:.1f} | {max(ordered) * 1000:.1f} |")
                    print(rows[-1])
    body = "\n".join([
        f"`benchmarks/tickets.py --part queue`: {board_tickets:,} tickets of one product (a year of them: 85% closed, "
        "5% resolved, the rest new, open, in progress, waiting or withheld; three priorities; four assignees) and "
        f"{board_tickets // 10:,} of another, in a migrated database; one member of the first product's board signs in "
        f"and asks `kb serve` ({WORKERS} workers) for `GET /api/tickets` {requests} times per row, one request at a "
        "time on a keep-alive connection, after 20 unmeasured requests. Each answer is a page of 50 queue rows with "
        "business time left to the target. Target: p99 under 50 ms. "
        f"Load average when each backend's run started: {', '.join(f'{load:.1f}' for load in loads)} "
        "(SQLite, PostgreSQL; other work on the shared machine shows in the tails).",
        "",
        "| Database | Queue | Query | Requests | p50 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
    ])
    write_section("queue", "Tickets: the board's queue", body)


def queue_latencies(port: int, cookie: str, query: str, requests: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    try:
        for number in range(20 + requests):
            began = time.perf_counter()
            connection.request("GET", f"/api/tickets{query}", headers={"Cookie": cookie, "Accept": "application/json"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200 or not json.loads(body)["tickets"]:
                raise RuntimeError(f"GET /api/tickets{query}: {response.status} {body[:200]!r}")
            if number >= 20:
                latencies.append(time.perf_counter() - began)
    finally:
        connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["create", "queue", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--board-tickets", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        build_site(OUR_KB, folder / "build", strict=True)
        if args.part in ("create", "both"):
            creation(folder, args.tickets, args.clients)
        if args.part in ("queue", "both"):
            queue(folder, args.board_tickets, args.requests)


if __name__ == "__main__":
    main()
