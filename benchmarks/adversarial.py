"""The adversarial pass of benchmarks/search.py: what the queries anyone can send cost a running bridge.

Why this exists
---------------
Issue 18 found single searches that held a worker for seconds (one 256-letter word, two
127-letter words, dozens of random words) and an ordinary search that waited 25 s behind eight
of them. Every query now has a ceiling on its cost (`bridge.search.spelling`, the planner's
limits, `bridge.search.budget`); this pass checks it over HTTP against `kb serve` (2 gunicorn
workers), with the search rate limit turned off so that only the ceiling is measured:

1. the ordinary customer queries, one at a time, on a fresh server (its own caches cold);
2. adversarial queries, one at a time: long words, many words, random letters, each one new
   (random letters are drawn afresh per query, so no answer comes from a cache);
3. the ordinary queries again, on another fresh server, while 8 clients send adversarial
   queries back to back (a refusal, 503 with Retry-After, is counted and the client sends its
   next query at once, as an attacker would).

Targets (issue 18): the slowest single adversarial query under 300 ms at 1x, and an ordinary
query's p99 during 8 concurrent adversarial ones under 3x its p99 alone.
"""
from __future__ import annotations

import os
import random
import string
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

ADVERSARIES = 8
MAX_QUERY = 256
SINGLE_TARGET_MS = 300.0
CONCURRENT_FACTOR = 3.0

Run = Callable[..., int]  # (query, accept=(200,)) -> the answer's status
# A fresh `kb serve` with these extra environment variables, yielding a function that sends one query.
Serve = Callable[[dict[str, str]], AbstractContextManager[Run]]
Timed = Callable[[Run, Sequence[str]], Any]  # benchmarks.search.timed: .wall in ms, .load


def _letters(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


def _words(rng: random.Random, count: int, length: int) -> str:
    return " ".join(_letters(rng, length) for _ in range(count))[:MAX_QUERY]


# Each kind makes a new query from a random source: (name, maker).
KINDS: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("one 256-letter word", lambda rng: _letters(rng, MAX_QUERY)),
    ("two 127-letter words", lambda rng: _words(rng, 2, 127)),
    ("eight 30-letter words", lambda rng: _words(rng, 8, 30)),
    ("twelve 20-letter words", lambda rng: _words(rng, 12, 20)),
    ("28 random 8-letter words", lambda rng: _words(rng, 28, 8)),
    ("50 random 4-letter words", lambda rng: _words(rng, 50, 4)),
    ("64 random 3-letter words", lambda rng: _words(rng, 64, 3)),
    ("random letters and spaces", lambda rng: "".join(rng.choice(string.ascii_lowercase + "    ")
                                                      for _ in range(MAX_QUERY)).strip() or "x"),
)


def adversarial_queries(rng: random.Random, rounds: int) -> list[tuple[str, str]]:
    """`rounds` queries of every kind, as (kind, query), kinds interleaved."""
    return [(name, make(rng)) for _ in range(rounds) for name, make in KINDS]


@dataclass
class AdversarialResult:
    """Milliseconds per query for each phase, and the 1-minute load average after it."""

    alone: list[float]
    alone_load: float
    adversarial: dict[str, list[float]]
    adversarial_load: float
    during: list[float]
    during_load: float
    adversaries_sent: int
    adversaries_refused: int


def _flood(run: Run, stop: threading.Event, seed: int, sent: list[int], refused: list[int]) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        _, query = adversarial_queries(rng, 1)[rng.randrange(len(KINDS))]
        if run(query, (200, 503)) == 503:
            refused.append(1)
        sent.append(1)


def measure(serve: Serve, timed: Timed, ordinary: Sequence[str], rounds: int = 5) -> AdversarialResult:
    """The three phases, each ordinary phase on a fresh server so that its queries are not cached."""
    env = {"KB_SEARCH_RATE_LIMIT": ""}
    with serve(env) as run:
        alone = timed(run, ordinary)
        by_kind: dict[str, list[float]] = {}
        for name, query in adversarial_queries(random.Random(18), rounds):
            by_kind.setdefault(name, []).extend(timed(run, [query]).wall)
        adversarial_load = os.getloadavg()[0]
    with serve(env) as run:
        stop, sent, refused = threading.Event(), [], []
        flooders = [threading.Thread(target=_flood, args=(run, stop, seed, sent, refused), daemon=True)
                    for seed in range(ADVERSARIES)]
        for flooder in flooders:
            flooder.start()
        time.sleep(2)  # every adversary has a query in flight before the first ordinary one
        during = timed(run, ordinary)
        stop.set()
        for flooder in flooders:
            flooder.join(timeout=60)
    return AdversarialResult(alone.wall, alone.load, by_kind, adversarial_load, during.wall, during.load, len(sent),
                             len(refused))


def report(result: AdversarialResult, scale: int, percentiles: Callable[[Sequence[float]], dict[str, float]]) -> str:
    def cells(samples: Sequence[float]) -> str:
        figures = percentiles(samples)
        return f"{figures['p50']:.1f} | {figures['p99']:.1f} | {figures['max']:.1f}"

    everything = [ms for samples in result.adversarial.values() for ms in samples]
    lines = [
        f"`benchmarks/search.py --scales {scale} --adversarial-only` ({scale}x the shared corpus): `kb serve` with 2 "
        "gunicorn workers over HTTP, the search rate limit off so that only each query's cost ceiling is measured. "
        "Ordinary: the customer queries of the latency pass, one at a time, on a fresh server. Adversarial: each "
        "query new (random letters drawn per query), one at a time. During: the ordinary queries again on another "
        f"fresh server while {ADVERSARIES} clients send adversarial queries back to back "
        f"({result.adversaries_sent} sent meanwhile, {result.adversaries_refused} of them refused with 503). "
        "The last column is the 1-minute load average after the phase "
        "(2 cores, shared with other work today).",
        "",
        "| queries | count | p50 ms | p99 ms | max ms | load |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| ordinary, alone | {len(result.alone)} | {cells(result.alone)} | {result.alone_load:.1f} |",
    ]
    for name, samples in result.adversarial.items():
        lines.append(f"| adversarial: {name} | {len(samples)} | {cells(samples)} | |")
    lines.append(f"| adversarial, all kinds | {len(everything)} | {cells(everything)} | {result.adversarial_load:.1f} |")
    lines.append(f"| ordinary, during {ADVERSARIES} concurrent adversarial clients | {len(result.during)} | "
                 f"{cells(result.during)} | {result.during_load:.1f} |")
    slowest = max(everything)
    alone_p99, during_p99 = percentiles(result.alone)["p99"], percentiles(result.during)["p99"]
    lines += [
        "",
        f"Targets (issue 18): slowest single adversarial query under {SINGLE_TARGET_MS:.0f} ms at 1x: "
        f"{slowest:.1f} ms, {'met' if slowest < SINGLE_TARGET_MS else 'NOT met'}"
        f"{'' if scale == 1 else f' (this run is {scale}x)'}; ordinary p99 during the flood under "
        f"{CONCURRENT_FACTOR:.0f}x alone: {during_p99:.1f} ms against {alone_p99:.1f} ms "
        f"({during_p99 / alone_p99:.1f}x), {'met' if during_p99 < CONCURRENT_FACTOR * alone_p99 else 'NOT met'}.",
    ]
    return "\n".join(lines)
