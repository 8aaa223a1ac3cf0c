"""Sentence-model benchmark (issue 13): the install, the CLI start, query encoding, full builds, HTTP latency.

Why this exists
---------------
Issue 13 replaced PyTorch by ONNX Runtime, then OpenVINO, and added a cache of section vectors. Its claims rest
on figures measured before and after on one machine and one day: the size of the virtualenv
`make install` makes, the time `kb --help` takes, how long one customer query takes to encode
(one thread, as a server worker does), a full build of the shared corpus at 1x from a cold and
from a warm vector cache beside a plain Material build of the same articles, and search latency
over HTTP. "Before" is a checkout of an earlier commit with its own virtualenv (`--before-src`,
`--before-venv`); each measurement alternates the two where it can, and the load average is
printed beside each figure, since this machine is shared.

How it runs
-----------
From the project root::

    .venv/bin/python benchmarks/encoder.py --before-src ../main --before-venv ../main/.venv
    .venv/bin/python benchmarks/encoder.py --work DIR --http               # this checkout only
    .venv/bin/python benchmarks/encoder.py ... --work DIR --reuse-builds   # keep the builds recorded in DIR

The builds write into `--work` (default: a temporary folder): `kb-1x/` (the corpus, copied),
`plain/`, `cold/`, `warm/`, `cache/`. The section "encoder" of benchmarks/RESULTS.md is
rewritten with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from benchmarks.results import write_section  # noqa: E402
from benchmarks.search import Build, corpus_copy, customer_queries, over_http, percentiles  # noqa: E402
from bridge.search.kept_index import FOLDER as KEPT_FOLDER  # noqa: E402
from bridge.search.layout import current_generation, read_meta  # noqa: E402

QUERY_SET = PROJECT / "benchmarks" / "relevance" / "queries.yml"
FORBIDDEN = ("torch", "transformers", "sentence-transformers", "scipy", "scikit-learn", "sympy")
HELP_RUNS = 7
# Encodes each query once, one thread, after the model is loaded as a server worker loads it
# (`load_query_model`); prints the milliseconds as JSON. Run by either checkout's interpreter with
# that checkout first on sys.path, so it times that `bridge/`.
ENCODE_TIMING = (
    "import json, sys, time\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from bridge.search import meaning\n"
    "meaning.one_thread_per_process()\n"
    "meaning.load_query_model()\n"
    "model = meaning.encoder()\n"
    "times = []\n"
    "for query in json.load(sys.stdin):\n"
    "    started = time.perf_counter()\n"
    "    model.encode([query])\n"
    "    times.append((time.perf_counter() - started) * 1000)\n"
    "print(json.dumps(times))\n"
)
# What the report says when no before side was measured: PyTorch's CPU wheel is not on every machine.
NO_BEFORE = ("the PyTorch encoder (before issue 13) was not measured again; on 2026-12-05, on this machine at load "
             "18-25, its virtualenv was 1877 MB, `kb --help` took 55.55 s and a query's encoding p50 225.4 ms, "
             "p99 737.1 ms (each several times a quiet day's).")
PLAIN_MKDOCS = """site_name: Plain Material
docs_dir: {docs}
site_dir: {site}
theme:
  name: material
  features: [navigation.prune, navigation.indexes, navigation.sections, navigation.top, content.code.copy]
markdown_extensions: [toc, admonition, tables, attr_list, md_in_html, def_list, pymdownx.details, pymdownx.superfences]
exclude_docs: |
  synonyms.yml
"""


@dataclass(frozen=True)
class Side:
    """One checkout and its virtualenv: "before" or "after"."""

    name: str
    src: Path
    venv: Path

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def venv_size(side: Side) -> tuple[float, list[str]]:
    """Megabytes on disk, and which of the packages issue 13 removes are installed."""
    used = subprocess.run(["du", "-sm", str(side.venv)], capture_output=True, text=True, check=True)
    listed = subprocess.run([side.python, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True,
                            check=True)
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    return float(used.stdout.split()[0]), [name for name in FORBIDDEN if name in names]


def help_seconds(sides: Sequence[Side]) -> dict[str, list[float]]:
    """`kb --help` wall time (as `python -m bridge.cli`, so each side runs its own checkout), the sides alternating."""
    times: dict[str, list[float]] = {side.name: [] for side in sides}
    for _ in range(HELP_RUNS):
        for side in sides:
            started = time.perf_counter()
            subprocess.run([side.python, "-m", "bridge.cli", "--help"], cwd=side.src, capture_output=True, check=True)
            times[side.name].append(time.perf_counter() - started)
    return times


def encode_ms(sides: Sequence[Side], queries: list[str], rounds: int = 2) -> dict[str, list[float]]:
    """Milliseconds to encode each query, the sides alternating round by round."""
    times: dict[str, list[float]] = {side.name: [] for side in sides}
    for _ in range(rounds):
        for side in sides:
            run = subprocess.run([side.python, "-c", ENCODE_TIMING, str(side.src)], input=json.dumps(queries),
                                 capture_output=True, text=True, check=True, cwd=side.src)
            times[side.name] += json.loads(run.stdout.splitlines()[-1])
    return times


@dataclass(frozen=True)
class Timed:
    seconds: float
    load: str
    index_seconds: float | None = None
    encoded: int | None = None
    sections: int | None = None


def run_build(command: list[str], out: Path, env: dict[str, str], cwd: Path) -> Timed:
    if out.exists():
        shutil.rmtree(out)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    seconds, after = time.perf_counter() - started, load()
    generation = current_generation(out / "index") if (out / "index").exists() else None
    if generation is None:
        return Timed(seconds, after)
    meta = read_meta(generation)
    return Timed(seconds, after, meta["update"]["index_seconds"], meta["update"]["encoded"], meta["documents"])


def builds(work: Path, done: dict[str, Timed]) -> dict[str, Timed]:
    """A plain Material build, then `kb build`s, each into an empty folder, as CI would make them.

    With an empty build cache; with the cache that build left (vectors and its index); the same
    after one article was edited; and with the vectors but without the kept index, so that the
    whole index is written again. Builds already in `done` (recorded by an earlier run in the same
    `work`) are not run again.
    """
    kb = work / "kb-1x" if done else corpus_copy(work, 1)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "KB_CACHE_DIR": str(work / "cache")}
    if "cold" not in done:
        shutil.rmtree(work / "cache", ignore_errors=True)
    config = work / "plain.yml"
    config.write_text(PLAIN_MKDOCS.format(docs=kb, site=work / "plain" / "site"), encoding="utf-8")
    kb_build = [sys.executable, "-m", "bridge.cli", "build", "--kb", str(kb), "--out"]
    commands = {"plain": [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)],
                **{name: [*kb_build, str(work / name)] for name in ("cold", "warm", "edited", "unkept")}}
    before = {"edited": lambda: _edit_one_article(kb), "unkept": lambda: shutil.rmtree(work / "cache" / KEPT_FOLDER)}
    built = dict(done)
    for name, command in commands.items():
        if name not in built:
            before.get(name, lambda: None)()
            built[name] = run_build(command, work / name, env, PROJECT)
            (work / "builds.json").write_text(json.dumps({key: vars(value) for key, value in built.items()}),
                                              encoding="utf-8")
    return built


def _edit_one_article(kb: Path) -> None:
    """A writer's small change: one more sentence at the end of the first article."""
    article = sorted(kb.rglob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8") + "\nThis article was last checked this week.\n",
                       encoding="utf-8")


def http(sides: Sequence[Side], out: Path, work: Path, queries: list[str]) -> dict[str, tuple[list[float], str]]:
    """Pass 1 over HTTP (two gunicorn workers) on the same 1x build, served by each side's `kb serve`."""
    measured = {}
    build = Build(1, out, 0, 0, 0, 0, 0, 0, 0)
    for side in sides:
        passes, _ = over_http(build, queries, work, python=side.python, cwd=side.src)
        measured[side.name] = (passes[0].wall, load())
    return measured


def figures(samples: Sequence[float]) -> str:
    found = percentiles(samples)
    return f"{found['p50']:.1f} | {found['p99']:.1f}"


def report(sizes: dict, helps: dict, encodes: dict, built: dict[str, Timed] | None, served: dict | None,
           loads: dict[str, str], count: int) -> str:
    names = [name for name in ("before", "after") if name in sizes]
    if "before" in sizes:
        lines = ["Before: the encoder of the `--before` checkout, in its own virtualenv; after: this checkout. "
                 "The machine is shared (2 cores); the 1-, 5- and 15-minute load averages are given beside each figure."]
    else:
        lines = [f"This checkout only: {NO_BEFORE} The 1-, 5- and 15-minute load averages are given beside each figure."]
    lines += ["", f"| measurement | {' | '.join(names)} | load |", "| --- | " + "--- | " * len(names) + "--- |"]

    def row(label: str, values: list[str], at: str) -> None:
        lines.append(f"| {label} | {' | '.join(values)} | {at} |")

    row("virtualenv of `make install` (with test extras)", [f"{sizes[name][0]:.0f} MB" for name in names], "-")
    row(f"of {', '.join(FORBIDDEN)}, installed", [", ".join(sizes[name][1]) or "none" for name in names], "-")
    row(f"`kb --help`, median of {HELP_RUNS}", [f"{statistics.median(helps[name]):.2f} s" for name in names],
        loads["help"])
    row(f"query encode p50, p99 ({count} queries, 1 thread, ms)",
        [figures(encodes[name]).replace(" |", ",") for name in names], loads["encode"])
    if served:
        row(f"HTTP p50, p99 at 1x, pass 1 ({len(served['after'][0])} queries, ms)",
            [figures(served[name][0]).replace(" |", ",") for name in names], " / ".join(served[name][1] for name in names))
    if built:
        plain = built["plain"].seconds
        lines += ["", "Full builds of the shared corpus at 1x (after only), each into an empty output folder:", "",
                  "| build | wall | x plain | index step | sections encoded | load after |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for name, label in (("plain", "plain Material (`mkdocs build`, Material's own search)"),
                            ("cold", "`kb build`, empty build cache"),
                            ("warm", "`kb build`, the cache the cold build left (vectors, its index)"),
                            ("edited", "`kb build`, warm cache, one article edited"),
                            ("unkept", "`kb build`, vectors cached but no kept index (the whole index written)")):
            timed = built[name]
            lines.append(f"| {label} | {timed.seconds:.0f} s | {timed.seconds / plain:.1f} | "
                         f"{'-' if timed.index_seconds is None else f'{timed.index_seconds:.0f} s'} | "
                         f"{'-' if timed.encoded is None else f'{timed.encoded:,} of {timed.sections:,}'} | {timed.load} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before-src", type=Path, default=None,
                        help="A checkout of the commit to compare with (default: measure this checkout only).")
    parser.add_argument("--before-venv", type=Path, default=None, help="Its virtualenv (`make install` there).")
    parser.add_argument("--work", type=Path, default=None, help="Where builds go (default: a temporary folder).")
    parser.add_argument("--reuse-builds", action="store_true",
                        help="Keep the figures recorded in --work by an earlier run and measure only what is missing.")
    parser.add_argument("--no-builds", action="store_true", help="Skip the builds.")
    parser.add_argument("--http", action="store_true", help="Also serve the cold build with each side and time HTTP.")
    args = parser.parse_args(argv)
    sides = [Side("after", PROJECT, Path(sys.prefix))]
    if args.before_src is not None:
        sides.insert(0, Side("before", args.before_src.resolve(), (args.before_venv or args.before_src / ".venv").resolve()))
    work = args.work or Path(tempfile.mkdtemp(prefix="kb-encoder-"))
    queries = [entry["q"] for entry in yaml.safe_load(QUERY_SET.read_text(encoding="utf-8"))["answerable"]]
    quick = work / "quick.json"
    if args.reuse_builds and quick.is_file():
        sizes, helps, encodes, loads = json.loads(quick.read_text(encoding="utf-8"))
    else:
        sizes = {side.name: venv_size(side) for side in sides}
        helps = help_seconds(sides)
        loads = {"help": load()}
        encodes = encode_ms(sides, queries)
        loads["encode"] = load()
        quick.write_text(json.dumps([sizes, helps, encodes, loads]), encoding="utf-8")
    built = served = None
    if not args.no_builds:
        record = work / "builds.json"
        done = {}
        if args.reuse_builds and record.is_file():
            done = {name: Timed(**value) for name, value in json.loads(record.read_text(encoding="utf-8")).items()}
        built = builds(work, done)
    if args.http and built:
        served = http(sides, work / "cold", work, customer_queries())
    body = report(sizes, helps, encodes, built, served, loads, len(queries))
    print(body)
    write_section("encoder", "Sentence model: install, start, encoding, builds (issue 13)", body)


if __name__ == "__main__":
    main()
