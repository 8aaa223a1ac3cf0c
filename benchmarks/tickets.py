"""Tickets per second, and latency, when 8 clients raise tickets at once through `POST /api/tickets`;
and the board's queue, `GET /api/tickets` for a member of staff whose board has 50,000 tickets.

Each run starts a real `kb serve` (gunicorn, 2 workers of `bridge.server.THREADS` threads, each worker with its own
outbox sender writing the acknowledgements as .eml files) on the sample kb, once on SQLite and
once on PostgreSQL (a schema of its own), with the rate limits raised out of the way and the
shipped policy (nominated contacts only). Each client is a nominated contact of one
organisation, so every ticket is served, not withheld. Every ticket is validated, gets its
targets in business time, and is stored with its acknowledgement in one transaction. Three
kinds of client are measured: one that sends the articles it showed (as the contact form's
script does), one that sends none, so the bridge searches the index for suggestions from the
subject (a different question from `relevance/sample.yml` for each ticket), and one that first signs in with the emailed link (read from the outbox) and then
raises its tickets with the session cookie, leaving its address and name to the account.

The queue: 50,000 tickets of one product (a year of them, most closed, as a desk's database holds
them) and 5,000 of another are written straight into a migrated database; one signed-in board
member then asks `kb serve` for the queue, one request at a time, unfiltered and with each filter
the board uses, and the latency of each kind is reported.

    .venv/bin/python benchmarks/tickets.py [--part create|queue|both] [--tickets 400] [--clients 8]
        [--backends sqlite,postgresql] [--board-tickets 50000] [--requests 200] [--board-members 3]

Writes the "tickets" and "queue" sections of benchmarks/RESULTS.md; with `--board-members N` (staff on the
product's review board, each mailed about every new ticket) the creation figures go to a section
of their own, "tickets-board", so the desk without a board stays the one the targets are judged on.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import yaml
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.queue_data import QUEUES, fill_board, signed_in_cookie  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from bridge.accounts.models import Contact, Organisation, StaffMember  # noqa: E402
from bridge.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from bridge.server import THREADS  # noqa: E402
from bridge.site_build import OUR_KB, build_site  # noqa: E402
from bridge.tickets.models import Ticket  # noqa: E402
from bridge.tickets.service import MIN_SUGGESTION_CHARS  # noqa: E402

SAMPLE_QUERIES = Path(__file__).resolve().parent / "relevance" / "sample.yml"
POSTGRES_URL = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORKERS = 2
WARM_REQUESTS = 20
TICKET = {
    "product": "ledger",
    "subject": "Invoice export fails with an error",
    "description": "The export button does nothing.\nI tried twice, in two browsers.",
    "request_type": "technical",
    "priority": "urgent",
    "query": "export invoices",
}
SHOWN = [{"title": "Sending your first invoice", "url": "ledger/quick-starts/your-first-invoice/"}]
SHOWS, SUGGESTS, SIGNED_IN = "sends the articles it showed", "bridge suggests articles", "signed in, sends the articles"
KINDS = (SHOWS, SUGGESTS, SIGNED_IN)
LINK = re.compile(r"/account/sign-in/([\w-]+)\s*$", re.MULTILINE)


def contact(number: int) -> str:
    return f"client{number}@bench.example"


def ticket_for(kind: str, number: int) -> dict:
    """The body client `number` of this kind sends next; a signed-in client leaves its address and name to the account.

    A client that sends no articles gives each ticket a subject of its own, a question customers of
    the sample help centre ask, so the bridge searches for each one rather than answer from its
    cache of results.
    """
    ticket = {**TICKET, "suggested_articles": SHOWN} if kind != SUGGESTS else {**TICKET, "subject": next_subject()}
    if kind != SIGNED_IN:
        ticket.update(email=contact(number), name=f"Client {number}")
    return ticket


@cache
def _subjects() -> list[str]:
    """What customers of the sample help centre ask (`benchmarks/relevance/sample.yml`), answerable or not."""
    asked = yaml.safe_load(SAMPLE_QUERIES.read_text(encoding="utf-8"))
    return [entry["q"] for part in ("answerable", "unanswerable") for entry in asked[part]
            if len(entry["q"]) >= MIN_SUGGESTION_CHARS]


_SENT = itertools.count()  # subjects handed out, by every client (next() on it is atomic)


def next_subject() -> str:
    """The next customer query as a subject; once every query was sent, each again with a number after it."""
    subjects = _subjects()
    turn, at = divmod(next(_SENT), len(subjects))
    return subjects[at] if turn == 0 else f"{subjects[at]} ({turn})"


@dataclass(frozen=True)
class Run:
    backend: str
    kind: str
    tickets: int
    seconds: float
    latencies: list[float]

    def row(self) -> str:
        return (f"| {self.backend} | {self.kind} | {self.tickets} | {self.tickets / self.seconds:.0f} | "
                f"{statistics.median(self.latencies) * 1000:.1f} | {p99(self.latencies) * 1000:.1f} | "
                f"{max(self.latencies) * 1000:.1f} |")


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sqlite_database(folder: Path, name: str = "bench") -> Iterator[str]:
    yield f"sqlite:///{folder / f'{name}.sqlite3'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A schema of its own in the test database, dropped afterwards."""
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


def add_contacts(database_url: str, clients: int, board: int = 0) -> None:
    """One paid-up organisation with a nominated contact per client, so no ticket is withheld; `board` staff on the
    product's review board, each mailed about every new ticket."""
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            organisation = Organisation(key="bench", name="Bench Ltd", products=["ledger"],
                                        paid_until=date(2099, 12, 31), out_of_hours_cover=False)
            session.add(organisation)
            session.flush()
            session.add_all(Contact(email=contact(number), name=f"Client {number}", organisation_id=organisation.id,
                                    nominated=True, products=["ledger"]) for number in range(clients))
            session.add_all(StaffMember(email=f"agent{number}@desk.example", name=f"Agent {number}", boards=["ledger"])
                            for number in range(board))
            session.commit()
    finally:
        engine.dispose()


@contextmanager
def served(build: Path, database_url: str, outbox: Path) -> Iterator[int]:
    """`kb serve` on a free port until the block ends."""
    port = free_port()
    env = {**os.environ, "KB_DATABASE_URL": database_url, "KB_OUTBOX_DIR": str(outbox),
           "KB_TICKET_RATE_LIMIT": "1000000/minute", "KB_TICKET_RECIPIENT_RATE_LIMIT": "",
           "KB_SIGN_IN_CLIENT_RATE_LIMIT": "", "KB_SIGN_IN_ADDRESS_RATE_LIMIT": ""}
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


def post(connection: http.client.HTTPConnection, path: str, body: dict, cookie: str = "") -> http.client.HTTPResponse:
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    connection.request("POST", path, body=json.dumps(body), headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def sign_in(port: int, email: str, outbox: Path) -> str:
    """Sign in as a customer does: ask for a link, read it from the mail, use it; returns the session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        if (asked := post(connection, "/api/session", {"email": email})).status != 202:
            raise RuntimeError(f"asking for a sign-in link for {email}: {asked.status}")
        token = emailed_token(outbox, email)
        used = post(connection, "/api/session", {"token": token})
        if used.status != 200:
            raise RuntimeError(f"using the sign-in link for {email}: {used.status}")
        return used.getheader("Set-Cookie", "").split(";", 1)[0]
    finally:
        connection.close()


def emailed_token(outbox: Path, email: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] and email in message["To"] and (found := LINK.search(
                    message.get_body(("plain",)).get_content())):
                path.unlink()
                return found.group(1)
        time.sleep(0.05)
    raise RuntimeError(f"no sign-in mail for {email} in {outbox} within {seconds} s")


def client(port: int, ticket: Callable[[], dict], cookie: str, count: int, start: threading.Barrier,
           latencies: list[float], failures: list[str]) -> None:
    """One customer system: a keep-alive connection sending count tickets (each `ticket()`) back to back."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        start.wait()
        for _ in range(count):
            body = ticket()
            began = time.perf_counter()
            response = post(connection, "/api/tickets", body, cookie)
            latencies.append(time.perf_counter() - began)
            if response.status != 201:
                failures.append(str(response.status))
    finally:
        connection.close()


def measure(backend: str, kind: str, port: int, database_url: str, tickets: int, cookies: list[str]) -> Run:
    """Send tickets from every client at once and check that every one was stored."""
    before = stored_tickets(database_url)
    latencies: list[float] = []
    failures: list[str] = []
    start = threading.Barrier(len(cookies) + 1)
    threads = [threading.Thread(target=client, args=(port, partial(ticket_for, kind, number), cookie if kind == SIGNED_IN else "",
                                                     tickets // len(cookies), start, latencies, failures))
               for number, cookie in enumerate(cookies)]
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


def warm_up(port: int, cookies: list[str]) -> None:
    """A few tickets of each kind per worker first, so each has opened its index, database pool and mail sender."""
    threads = [threading.Thread(target=client, args=(port, partial(ticket_for, kind, 0), cookies[0] if kind == SIGNED_IN else "",
                                                     5, threading.Barrier(1), [], []))
               for kind in KINDS for _ in range(WORKERS)]
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


def creation(folder: Path, tickets: int, clients: int, backends: list[str], board: int = 0) -> None:
    runs, sign_ins = [], []
    loads = [os.getloadavg()[0]]
    databases = {"sqlite": ("SQLite", lambda: sqlite_database(folder)), "postgresql": ("PostgreSQL", postgres_database)}
    for backend, database in (databases[name] for name in backends):
        outbox = folder / f"outbox-{backend}"
        with database() as url:
            add_contacts(url, clients, board)
            with served(folder / "build", url, outbox) as port:
                began = time.perf_counter()
                cookies = [sign_in(port, contact(number), outbox) for number in range(clients)]
                sign_ins.append(f"{backend} {(time.perf_counter() - began) / clients * 1000:.0f} ms")
                warm_up(port, cookies)
                for kind in KINDS:
                    runs.append(measure(backend, kind, port, url, tickets, cookies))
                    print(runs[-1].row(), flush=True)
        loads.append(os.getloadavg()[0])
    body = "\n".join([
        f"`benchmarks/tickets.py`: {clients} clients (threads, one keep-alive connection each), each a "
        f"nominated contact, POST {tickets} tickets per row to `kb serve` ({WORKERS} gunicorn workers x {THREADS} "
        "threads, each worker's outbox sender writing the acknowledgements meanwhile), after warm-up tickets. "
        + (f"The product's review board has {board} members, each mailed about every new ticket, so each ticket is "
           f"{board + 1} mails to compose and send. " if board else "") +
        "Each ticket is validated, gets business-time targets and is committed with its acknowledgement mail; "
        "a client that sends no suggested articles makes the bridge search the index for up to 5 from the "
        "subject, a different question from `relevance/sample.yml` for each ticket (a number added once all 72 were "
        "sent, so the search's cache of results does not answer); a signed-in client signed in first with the emailed link (one at a time, link asked for, "
        f"read from the outbox and used: {', '.join(sign_ins)} each) and sends its session cookie. "
        f"Load average (1 min) at the start and after each backend: {', '.join(f'{load:.1f}' for load in loads)} "
        "(other work on the machine shows in the tails).",
        "",
        "| Database | Client | Tickets | Tickets/s | p50 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(run.row() for run in runs),
    ])
    if board:
        write_section("tickets-board", f"Tickets: creation throughput with a board of {board}", body)
    else:
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
                    cpu = server_cpu_seconds(port)
                    latencies = queue_latencies(port, cookie, query, requests)
                    cpu = (server_cpu_seconds(port) - cpu) / (requests + WARM_REQUESTS)
                    rows.append(f"| {backend} | {name} | `{query}` | {requests} | "
                                f"{statistics.median(latencies) * 1000:.1f} | {p99(latencies) * 1000:.1f} | "
                                f"{max(latencies) * 1000:.1f} | {cpu * 1000:.1f} |")
                    print(rows[-1])
    body = "\n".join([
        f"`benchmarks/tickets.py --part queue`: {board_tickets:,} tickets of one product (a year of them: 85% closed, "
        "5% resolved, the rest new, open, in progress, waiting or withheld; three priorities; four assignees) and "
        f"{board_tickets // 10:,} of another, in a migrated database; one member of the first product's board signs in "
        f"and asks `kb serve` ({WORKERS} workers) for `GET /api/tickets` {requests} times per row, one request at a "
        f"time on a keep-alive connection, after {WARM_REQUESTS} unmeasured requests. Each answer is a page of 50 queue "
        "rows with business time left to the target. Target: p99 under 50 ms. The last column is the CPU time "
        "`kb serve` (its master and workers, from /proc; PostgreSQL's own is not in it) used per request, which a "
        "busy machine inflates far less than the wall-clock times. "
        f"Load average when each backend's run started: {', '.join(f'{load:.1f}' for load in loads)} "
        "(SQLite, PostgreSQL; other work on the shared machine shows in the tails).",
        "",
        "| Database | Queue | Query | Requests | p50 ms | p99 ms | max ms | server CPU ms/request |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
    ])
    write_section("queue", "Tickets: the board's queue", body)


def server_cpu_seconds(port: int) -> float:
    """CPU time (user and system) used so far by the `kb serve` listening on port, master and workers (Linux /proc)."""
    def stat(pid: str) -> list[str]:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            return file.read().rpartition(")")[2].split()

    def children(pid: str) -> list[str]:
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as file:
                found += file.read().split()
        return found

    serving = {pid for pid in os.listdir("/proc") if pid.isdigit() and _serves(pid, port)}
    # Workers are forked with the master's command line; the master is the one whose parent is not serving.
    master = next(pid for pid in serving if stat(pid)[1] not in serving)
    pids, total = [master], 0
    while pids:
        pid = pids.pop()
        fields = stat(pid)
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the whole line)
        pids += children(pid)
    return total / os.sysconf("SC_CLK_TCK")


def _serves(pid: str, port: int) -> bool:
    """Whether the process is a `kb serve --port port` (its command line holds "serve" and "--port", port)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            command = file.read().decode(errors="replace").split("\0")
    except OSError:
        return False
    return "serve" in command and any(a == "--port" and b == str(port) for a, b in zip(command, command[1:]))


def queue_latencies(port: int, cookie: str, query: str, requests: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    try:
        for number in range(WARM_REQUESTS + requests):
            began = time.perf_counter()
            connection.request("GET", f"/api/tickets{query}", headers={"Cookie": cookie, "Accept": "application/json"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200 or not json.loads(body)["tickets"]:
                raise RuntimeError(f"GET /api/tickets{query}: {response.status} {body[:200]!r}")
            if number >= WARM_REQUESTS:
                latencies.append(time.perf_counter() - began)
    finally:
        connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["create", "queue", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql", help="ticket creation on: sqlite, postgresql")
    parser.add_argument("--board-tickets", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--board-members", type=int, default=0,
                        help="staff on the product's board, each mailed about every ticket (its own section of RESULTS)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        build_site(OUR_KB, folder / "build", strict=True)
        if args.part in ("create", "both"):
            creation(folder, args.tickets, args.clients, args.backends.split(","), args.board_members)
        if args.part in ("queue", "both"):
            queue(folder, args.board_tickets, args.requests)


if __name__ == "__main__":
    main()
