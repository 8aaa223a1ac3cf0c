"""How long an assessment takes when the board's assessments of one organisation's tickets arrive at once.

Every assessment locks its organisation before it reads the balance (bridge/credits/ledger.py),
so assessments of one organisation take turns by design; this measures what that costs. One
organisation with 100,000 credits (so none waits for credits) and N tickets; T threads, each
with its own session, assess the tickets (agreed in advance, 5 credits each), all released at
once; each assessment commits on its own, as a request does. Reported per backend: assessments
per second and the latency of one assessment (median, p99, max), and the check that the ledger
holds exactly one charge per ticket with the balance their sum.

    .venv/bin/python benchmarks/credits.py [--tickets 400] [--threads 8] [--backends sqlite,postgresql]

Writes the "credits" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.results import write_section  # noqa: E402
from benchmarks.tickets import p99, postgres_database, sqlite_database  # noqa: E402
from bridge.credits.ledger import EntryKind, balance, record  # noqa: E402
from bridge.credits.models import CreditEntry  # noqa: E402
from bridge.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from bridge.tickets.models import Ticket  # noqa: E402
from tests.credits.ledger_fixtures import NOW, credit_desk, organisation, raise_ticket  # noqa: E402


def run(database_url: str, tickets: int, threads: int) -> tuple[float, list[float], str]:
    upgrade_database(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    desk = credit_desk()
    with sessions() as session:
        org = organisation(session, desk)
        record(session, org.id, EntryKind.PURCHASE, 100_000 - desk.terms.grant, note="benchmark", actor="bench", now=NOW)
        ids = [raise_ticket(session, org, subject=f"Request {n}").id for n in range(tickets)]
        session.commit()
    latencies: list[float] = []
    start = threading.Barrier(threads + 1)

    def assess(mine: list[int]) -> None:
        start.wait()
        for ticket_id in mine:
            began = time.perf_counter()
            with sessions() as session:
                desk.assess(session, session.get(Ticket, ticket_id), "explanation", note=None, actor="bench", now=NOW)
                session.commit()
            latencies.append(time.perf_counter() - began)

    workers = [threading.Thread(target=assess, args=(ids[n::threads],)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    with sessions() as session:
        charges = session.scalar(select(func.count()).where(CreditEntry.kind == "charge"))
        check = (f"{charges} charges for {tickets} tickets, balance {balance(session, org.id)} "
                 f"(expected {100_000 - 5 * tickets})")
    engine.dispose()
    return elapsed, latencies, check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows, checks = [], []
    with tempfile.TemporaryDirectory() as folder:
        databases = {"sqlite": ("SQLite", lambda: sqlite_database(Path(folder))),
                     "postgresql": ("PostgreSQL", postgres_database)}
        for backend in args.backends.split(","):
            name, database = databases[backend]
            with database() as url:
                elapsed, latencies, check = run(url, args.tickets, args.threads)
            ms = [latency * 1000 for latency in latencies]
            rows.append(f"| {name} | {args.tickets} | {args.threads} | {args.tickets / elapsed:.0f} | "
                        f"{statistics.median(ms):.1f} | {p99(ms):.1f} | {max(ms):.1f} |")
            checks.append(f"{name}: {check}.")
    load_after = os.getloadavg()[0]
    body = "\n".join([
        "`benchmarks/credits.py`: assessments of one organisation's tickets, arriving at once from "
        f"{args.threads} threads (each its own session and commit, as requests are), agreed in advance at 5 "
        "credits; every assessment locks the organisation before reading its balance, so they take turns.",
        "",
        "| backend | assessments | threads | per second | median ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        " ".join(checks),
        f"Load average {load_before:.1f} before, {load_after:.1f} after (2 cores shared with other work).",
    ])
    write_section("credits", "Credits: concurrent assessments of one organisation", body)
    print(body)


if __name__ == "__main__":
    main()
