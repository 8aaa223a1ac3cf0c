"""Publishing benchmark: a full `kb build` of 4x the shared corpus, then rebuilds after small edits.

Why this exists
---------------
Issue 3 (item 5) asks that re-running `kb build` re-index only the articles whose rendered
content changed, under 2 s for the index step with one changed article at 4x the corpus, and
that a running bridge switch to the new index without a restart. This script measures it the
way a writer meets it: `kb build` (a subprocess, as run from the shell) into one output folder,
a first full build, then rebuilds after editing one article, another one, and nothing.

The index step is what the kb-bridge MkDocs plugin does after the pages are rendered (hashing every
section, re-indexing what changed, staging the generation); it is read from the build's own
"Search index:" log line. The rest of each build is MkDocs rendering the whole site, which
this work does not change. A `SearchIndex` opened before the rebuilds (as the bridge holds
one) keeps answering customer queries after each build, while it opens and warms the new
generation in the background: the script times how long until the edit is found, the slowest
query meanwhile, and the slowest of the first queries the new generation answers.

How it runs
-----------
From the project root (a full 4x build with sentence vectors takes 14-31 minutes here)::

    .venv/bin/python benchmarks/publish.py
    .venv/bin/python benchmarks/publish.py --reuse /tmp/bench   # after search.py --scales 4 --work /tmp/bench

With `--reuse`, the rebuilds start from the 4x build that `benchmarks/search.py` left in that
folder (`kb-4x/`, `out-4x/`, `out-4x.json`) instead of making a full build of their own; the
first row then shows that build's recorded time and index step. Its articles get edited.

The corpus is never written: builds read a copy (`copy-1/` to `copy-4/`) with the project's
`kb/synonyms.yml` beside the articles. The section "publish" of benchmarks/RESULTS.md is
rewritten with the figures.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from benchmarks.results import write_section  # noqa: E402
from benchmarks.search import customer_queries  # noqa: E402
from bridge.search.index_reader import SearchIndex  # noqa: E402
from bridge.search.layout import SYNONYMS_FILE, current_generation  # noqa: E402
from bridge.search.query import parse_query  # noqa: E402

CORPUS = PROJECT.parent / "shared" / "corpora" / "officedocs-support"
SYNONYMS = PROJECT / "kb" / SYNONYMS_FILE
COPIES = 4
TARGET_SECONDS = 2.0
SWITCH_DEADLINE_SECONDS = 120
FIRST_QUERIES = 30
INDEX_LINE = re.compile(r"Search index: (?P<summary>.*; index step (?P<seconds>[\d.]+) s)")


@dataclass(frozen=True)
class Build:
    label: str
    seconds: float
    summary: str
    index_seconds: float
    switch: Switch | None = None


@dataclass(frozen=True)
class Switch:
    """What a running bridge's queries see after a build: the edit found, and query times around the switch."""

    found_after_s: float
    slowest_meanwhile_ms: float
    slowest_first_ms: float


def prepare(folder: Path) -> Path:
    """4 copies of the corpus side by side, and the writers' synonyms, in a folder of our own."""
    corpus = folder / "corpus"
    for number in range(1, COPIES + 1):
        shutil.copytree(CORPUS, corpus / f"copy-{number}")
    if SYNONYMS.is_file():
        shutil.copyfile(SYNONYMS, corpus / SYNONYMS_FILE)
    return corpus


def kb_build(label: str, corpus: Path, out: Path) -> Build:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bridge.cli", "build", "--kb", str(corpus), "--out", str(out)],
                            capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    match = INDEX_LINE.search(result.stderr)
    if match is None:
        raise RuntimeError(f"no 'Search index:' line in the build log:\n{result.stderr[-2000:]}")
    print(f"{label}: {seconds:.0f} s; {match['summary']}", flush=True)
    return Build(label, seconds, match["summary"], float(match["seconds"]))


def edit(article: Path, word: str) -> None:
    """A writer's small edit: one new sentence at the end of the article."""
    with article.open("a", encoding="utf-8") as file:
        file.write(f"\n\nThis article was reviewed for the {word} release.\n")


def timed_ms(index: SearchIndex, query: str) -> tuple[float, bool]:
    started = time.perf_counter()
    found = bool(index.search(parse_query(query)).hits)
    return (time.perf_counter() - started) * 1000, found


def switch_timing(index: SearchIndex, word: str, queries: Sequence[str]) -> Switch:
    """Customer queries, one after another, until the edited word is found; then the new generation's first ones.

    The queries start again from the top when they run out; those repeats come from the result cache.
    """
    started, slowest, pending = time.perf_counter(), 0.0, itertools.cycle(queries)
    while not timed_ms(index, word)[1]:
        if time.perf_counter() - started > SWITCH_DEADLINE_SECONDS:
            raise RuntimeError(f"the running index does not find {word!r} {SWITCH_DEADLINE_SECONDS} s after the rebuild")
        slowest = max(slowest, timed_ms(index, next(pending))[0])
    found_after = time.perf_counter() - started
    first = [timed_ms(index, query)[0] for query in itertools.islice(pending, FIRST_QUERIES)]
    return Switch(found_after, slowest, max(first))


def disk_use(path: Path) -> str:
    """`du` counts a hard-linked file once, as the disk does."""
    return subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]


def earlier_build(folder: Path) -> tuple[Path, Path, Build]:
    """The corpus, output and full build that `benchmarks/search.py --scales 4` left in `folder`.

    Its figures come from the record search.py wrote beside it: once this script has run, the
    current generation is an incremental one and the full build's may be pruned.
    """
    corpus, out = folder / f"kb-{COPIES}x", folder / f"out-{COPIES}x"
    recorded = json.loads((folder / f"out-{COPIES}x.json").read_text(encoding="utf-8"))
    if current_generation(out / "index") is None:
        raise RuntimeError(f"no published index in {out}: run benchmarks/search.py --scales {COPIES} --work {folder}")
    summary = f"full rebuild (no previous index), by benchmarks/search.py: {recorded['sections']} sections"
    return corpus, out, Build("Full build (no previous index)", recorded["seconds"], summary, recorded["index_seconds"])


def run(folder: Path, reuse: bool) -> tuple[list[Build], dict[str, str]]:
    if reuse:
        corpus, out, full = earlier_build(folder)
    else:
        corpus, out = prepare(folder), folder / "out"
        full = kb_build("Full build (no previous index)", corpus, out)
    articles = sorted(corpus.glob("copy-3/**/*.md"))
    builds = [full]
    index = SearchIndex(out / "index")
    queries = customer_queries()
    run_mark = secrets.token_hex(3).translate(str.maketrans("0123456789", "ghijklmnop"))  # letters: one word
    for label, article, word in (("One article edited", articles[len(articles) // 2], f"zanzibarite{run_mark}"),
                                 ("Another article edited", articles[len(articles) // 3], f"quetzalite{run_mark}")):
        edit(article, word)
        build = kb_build(label, corpus, out)
        builds.append(replace(build, switch=switch_timing(index, word, queries)))
    builds.append(kb_build("Nothing edited", corpus, out))
    sizes = {"index (all generations kept)": disk_use(out / "index"),
             "site (one generation)": disk_use((out / "site").resolve()),
             "output folder": disk_use(out)}
    return builds, sizes


def report(builds: list[Build], sizes: dict[str, str], load: str, commit: str) -> str:
    rows = "\n".join(
        f"| {build.label} | {build.seconds:.0f} s | {build.index_seconds:.2f} s | "
        + (f"{build.switch.found_after_s:.1f} s | {build.switch.slowest_meanwhile_ms:.0f} ms | "
           f"{build.switch.slowest_first_ms:.0f} ms" if build.switch else " | | ")
        + f" | {build.summary} |"
        for build in builds)
    edited = [build.index_seconds for build in builds if build.switch is not None]
    verdict = "met" if max(edited) < TARGET_SECONDS else "NOT met"
    size_lines = "\n".join(f"- {name}: {size}" for name, size in sizes.items())
    return f"""
`kb build` (commit {commit}) of {COPIES}x the shared corpus into one output folder, run from the
shell (a subprocess) one build after another; load average when starting: {load}.

| Build | `kb build` total | Index step | Edit found after | Slowest query until then | Slowest of the next {FIRST_QUERIES} | The build's "Search index:" log line |
|---|---|---|---|---|---|---|
{rows}

Target, index step with one article edited under {TARGET_SECONDS:.0f} s: **{verdict}** (worst {max(edited):.2f} s).
The rest of each build is MkDocs rendering every page into a new site generation, which
this work does not make incremental. The last three columns are timed in a process that held
the index open across the rebuild, as the bridge does, sending customer queries back to back
from the end of the build: when the edit was first found (the new generation opened and warmed
in the background meanwhile), the slowest query until then, and the slowest of the next
{FIRST_QUERIES} queries, the new generation's first. The opening gives way to queries
(`bridge/search/pacing.py`), so queries with no pause between them are its worst case: a
bridge with idle moments opens a 4x generation in about the time a start takes (see
"Search: build and query latency").

Disk after the last build:

{size_lines}
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", type=Path, default=None, metavar="FOLDER",
                        help="Start from the 4x build benchmarks/search.py left in FOLDER instead of a full build.")
    args = parser.parse_args(argv)
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True,
                            check=True).stdout.strip()
    if args.reuse:
        builds, sizes = run(args.reuse, reuse=True)
    else:
        with tempfile.TemporaryDirectory(prefix="kb-publish-") as folder:
            builds, sizes = run(Path(folder), reuse=False)
    write_section("publish", "Publishing: incremental rebuilds", report(builds, sizes, load, commit))


if __name__ == "__main__":
    main()
