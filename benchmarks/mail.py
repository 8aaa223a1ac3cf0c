"""Mail in: messages ingested per second from a folder of 2,000 varied emails, and p99 per message.

The folder is written first, as a mail server's queue would hold it: new requests from
contacts and from strangers (plain text, HTML-only, with a 40 KB attachment, with quoted mail
and a signature to trim), replies threading into earlier ones by In-Reply-To, auto-replies,
bounces, and copies of earlier messages (duplicates). Each file is then handed to the one
handler (`Services.mail_desk().receive`, what `kb mail ingest` and `kb mail poll` call) one
after another, on SQLite and on PostgreSQL (a schema of its own), with the sample kb built so
new tickets get suggested articles from the index. Each message is timed from its bytes to
its committed outcome (stored, ticket or message, acknowledgement queued). Python's start-up,
which `kb mail ingest` pays once per message, is not in these figures.

    .venv/bin/python benchmarks/mail.py [--messages 2000]
    .venv/bin/python benchmarks/mail.py --pipe 40

Writes the "mail" section of benchmarks/RESULTS.md. With --pipe N it measures instead what a
mail server's pipe transport pays: N runs of `kb mail ingest` (one process per email, on
SQLite) from the first N emails of the folder, into the "mail-pipe" section.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.tickets import postgres_database  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from bridge.accounts.models import Contact, Organisation  # noqa: E402
from bridge.db import upgrade_database  # noqa: E402
from bridge.services import Services  # noqa: E402
from bridge.settings import load_settings  # noqa: E402
from bridge.site_build import OUR_KB, build_site  # noqa: E402

SUPPORT = "support@example.com"
CONTACTS = 50
SUBJECTS = ["Invoice export fails", "Bank feed stopped on 3 March", "VAT report empty", "Rota will not publish",
            "Shift reminders not sent", "Cannot swap shifts", "Credit note shows twice", "Error LDG-4012"]
BODY = ("When I {action} the screen goes blank and nothing is saved. I tried twice, in two browsers, and "
        "a colleague sees the same.\n\nThanks,\n{name}\n-- \n{name} | Acme Ltd | 01632 960 000\n")
KINDS = {"new": 35, "new, HTML only": 10, "new, stranger": 8, "new, attachment": 7, "reply": 20,
         "auto-reply": 8, "bounce": 5, "duplicate": 7}


def write_folder(folder: Path, count: int, seed: int = 16) -> list[tuple[str, Path]]:
    """count emails as files, each with its kind; replies answer earlier new mail, duplicates repeat earlier files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    kinds = rng.choices(list(KINDS), weights=list(KINDS.values()), k=count)
    sent: list[EmailMessage] = []
    files: list[tuple[str, Path]] = []
    for number, kind in enumerate(kinds):
        if kind in ("reply", "duplicate") and not sent:
            kind = "new"
        if kind == "duplicate":
            raw = rng.choice(files)[1].read_bytes()
        else:
            message = _message(kind, number, rng, sent)
            if kind.startswith("new"):
                sent.append(message)
            raw = message.as_bytes()
        path = folder / f"{number:05d}.eml"
        path.write_bytes(raw)
        files.append((kind, path))
    return files


def _message(kind: str, number: int, rng: random.Random, sent: list[EmailMessage]) -> EmailMessage:
    contact = rng.randrange(CONTACTS)
    sender = f"stranger{number}@elsewhere.example" if kind == "new, stranger" else f"user{contact}@acme.example"
    message = EmailMessage()
    message["From"] = f"User {contact} <{sender}>"
    message["To"] = SUPPORT if rng.random() < 0.7 else "support+ledger@example.com"
    message["Message-ID"] = make_msgid(idstring=str(number), domain="acme.example")
    text = BODY.format(action=rng.choice(["export", "save", "print", "publish"]), name=f"User {contact}")
    if kind == "reply":
        earlier = rng.choice(sent)
        message.replace_header("From", earlier["From"])
        message["Subject"] = f"Re: {earlier['Subject']}"
        message["In-Reply-To"] = earlier["Message-ID"]
        message["References"] = earlier["Message-ID"]
        quoted = "".join(f"> {line}\n" for line in earlier.get_body(("plain", "html")).get_content().splitlines())
        message.set_content(f"Still happening this morning.\n\nOn Tuesday, {earlier['From']} wrote:\n{quoted}")
        return message
    message["Subject"] = rng.choice(SUBJECTS) if kind != "auto-reply" else "Out of office"
    if kind == "auto-reply":
        message["Auto-Submitted"] = "auto-replied"
        message.set_content("I am away until Monday.")
    elif kind == "bounce":
        message.replace_header("From", "MAILER-DAEMON@mx.acme.example")
        message.replace_header("Subject", "Undelivered Mail Returned to Sender")
        message.set_content("Delivery failed.")
        original = EmailMessage()
        original["Message-ID"] = make_msgid(domain="example.com")
        original.set_content("x")
        message.add_attachment(original)
    elif kind == "new, HTML only":
        paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line)
        message.set_content(f"<html><body>{paragraphs}<ul><li>Chrome</li><li>Firefox</li></ul></body></html>",
                            subtype="html")
    else:
        message.set_content(text)
        if kind == "new, attachment":
            message.add_attachment(rng.randbytes(40_000), maintype="image", subtype="png", filename="screen.png")
    return message


@contextmanager
def sqlite_database(folder: Path):  # noqa: ANN201 (a context manager of a URL)
    yield f"sqlite:///{folder / 'mail-bench.sqlite3'}"


def measure(backend: str, database: AbstractContextManager[str], build: Path, files: list[tuple[str, Path]],
            folder: Path) -> dict[str, object]:
    with database as url:
        upgrade_database(url)
        services = Services(load_settings(environ={}, overrides={
            "KB_DATABASE_URL": url, "KB_BUILD_DIR": str(build), "KB_OUTBOX_DIR": str(folder / f"outbox-{backend}"),
            "KB_MAIL_FROM": SUPPORT, "KB_MAIL_ACKNOWLEDGEMENTS_PER_HOUR": "100000",
            "KB_MAIL_DEAD_LETTER_DIR": str(folder / f"dead-{backend}")}))
        try:
            _add_contacts(services)
            services.mail_desk().receive(_warm_up())
            latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
            outcomes: Counter[str] = Counter()
            started = time.perf_counter()
            for kind, path in files:
                raw = path.read_bytes()
                begun = time.perf_counter()
                outcomes[services.mail_desk().receive(raw).outcome.value] += 1
                latencies[kind].append(time.perf_counter() - begun)
            seconds = time.perf_counter() - started
        finally:
            services.close()
    return {"backend": backend, "seconds": seconds, "latencies": latencies, "outcomes": outcomes,
            "load": os.getloadavg()[0]}


def _add_contacts(services: Services) -> None:
    with services.sessions()() as session:
        acme = Organisation(key="acme", name="Acme Ltd", products=["ledger", "rota"], paid_until=date(2099, 1, 1),
                            out_of_hours_cover=False)
        session.add(acme)
        session.flush()
        session.add_all(Contact(email=f"user{n}@acme.example", name=f"User {n}", organisation_id=acme.id,
                                nominated=True, products=["ledger"] if n % 2 else ["ledger", "rota"])
                        for n in range(CONTACTS))
        session.commit()


def _warm_up() -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "user0@acme.example", SUPPORT, "Warm-up"
    message["Message-ID"] = make_msgid(domain="warm-up.example")
    message.set_content("Warming up the index and the connection.")
    return message.as_bytes()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure_pipe(count: int) -> None:
    """Wall time of `kb mail ingest` per email, each in a process of its own as Postfix's pipe runs it."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        files = write_folder(folder / "queue", count)
        url = f"sqlite:///{folder / 'pipe.sqlite3'}"
        upgrade_database(url)
        env = {**os.environ, "KB_DATABASE_URL": url, "KB_BUILD_DIR": str(folder / "no-build"),
               "KB_OUTBOX_DIR": str(folder / "outbox"), "KB_MAIL_FROM": SUPPORT,
               "KB_MAIL_DEAD_LETTER_DIR": str(folder / "dead"), "KB_MAIL_ACKNOWLEDGEMENTS_PER_HOUR": "100000"}
        _add_contacts(Services(load_settings(environ={}, overrides={"KB_DATABASE_URL": url})))
        times = []
        for _, path in files:
            begun = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bridge.cli", "mail", "ingest", str(path)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - begun)
    body = (f"`benchmarks/mail.py --pipe {count}`: `kb mail ingest FILE` run {count} times, one process per email as "
            "a mail server's pipe transport runs it, on SQLite, without a published index (no suggested articles). "
            f"Per email: p50 {statistics.median(times) * 1000:.0f} ms, p99 {percentile(times, 0.99) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms, so one pipe process takes about {1 / statistics.median(times):.1f} "
            "emails a second; the mail server runs several at once (its `maxproc`). Most of it is Python starting and "
            f"importing; the handler's own share is in the section above. Load average (1 min) at the start: {load:.1f}.")
    write_section("mail-pipe", "Mail in: one `kb mail ingest` process per email", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--pipe", type=int, default=0, help="measure N `kb mail ingest` processes instead")
    args = parser.parse_args()
    if args.pipe:
        measure_pipe(args.pipe)
        return
    load = os.getloadavg()[0]
    runs = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        files = write_folder(folder / "queue", args.messages)
        build_site(OUR_KB, folder / "build", strict=True)
        for backend, database in (("SQLite", sqlite_database(folder)), ("PostgreSQL", postgres_database())):
            runs.append(measure(backend, database, folder / "build", files, folder))
            print(backend, f"{args.messages / runs[-1]['seconds']:.1f} messages/s")
    rows = []
    for run in runs:
        every = [value for values in run["latencies"].values() for value in values]
        rows.append(f"| {run['backend']} | all | {len(every)} | {len(every) / run['seconds']:.1f} | "
                    f"{statistics.median(every) * 1000:.1f} | {percentile(every, 0.99) * 1000:.1f} | "
                    f"{max(every) * 1000:.1f} |")
        rows += [f"| {run['backend']} | {kind} | {len(values)} | | {statistics.median(values) * 1000:.1f} | "
                 f"{percentile(values, 0.99) * 1000:.1f} | {max(values) * 1000:.1f} |"
                 for kind, values in run["latencies"].items() if values]
    outcomes = "; ".join(f"{run['backend']}: " + ", ".join(f"{count} {name}" for name, count in
                                                           sorted(run["outcomes"].items())) for run in runs)
    body = "\n".join([
        f"`benchmarks/mail.py`: {args.messages} emails written to a folder first (mix by kind below, seed 16), then "
        "handed one at a time to the handler `kb mail ingest` and `kb mail poll` share, which stores each, then "
        "raises a ticket (with suggested articles from the sample kb's index and a queued acknowledgement) or adds "
        "a message, and commits. Times are per message from its bytes to the commit; Python's start-up, which "
        "`kb mail ingest` pays once per message under a mail server's pipe, is not included. "
        f"Load average (1 min) at the start: {load:.1f}; after each run: "
        + ", ".join(f"{run['backend']} {run['load']:.1f}" for run in runs) + " (2 cores shared with other work).",
        "",
        "| Database | Kind | Messages | Messages/s | p50 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"Outcomes: {outcomes}.",
    ])
    write_section("mail", "Mail in: messages ingested per second", body)


if __name__ == "__main__":
    main()
