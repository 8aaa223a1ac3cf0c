"""Compare the three PyPI distributions of ``whoosh`` on kb-bridge's own workload.

Why this exists
---------------
kb-bridge searches its help centre with Whoosh, and three distributions install the same
``whoosh`` import package: ``Whoosh`` 2.7.4 (the original, 2016), ``Whoosh-Reloaded`` 2.7.5
(2024) and ``whoosh3`` (2026). The project runs pytest with ``filterwarnings = error`` on
Python 3.11, so a warning raised while Whoosh is compiled, imported or used fails the suite.
This script measures what the decision in docs/decisions/0001-whoosh-distribution.md rests
on, in priority order: correctness (strict-warning imports, our schema, identical top-5 on 30
realistic queries), warnings (import and use), supply-chain facts pip can see, and speed.

How it runs
-----------
From the project root, with any Python 3.11 (the project venv is fine; the driver needs only
the standard library)::

    python benchmarks/whoosh_distributions.py                     # 1x corpus, 3 runs
    python benchmarks/whoosh_distributions.py --scale 4 --runs 1  # each section 4 times
    python benchmarks/whoosh_distributions.py --python python3.13 --runs 1  # other Python

The driver creates, if missing, one venv per candidate in ``--eval-dir`` (default
/tmp/whoosh-eval/<name>, or <name>-<python> with ``--python``) and pip-installs the pinned
candidate plus PyYAML there. It then runs this same file inside each venv as a worker
(``--worker imports|agreement|smoke|bench``) and reads the JSON that the worker prints as
its last stdout line:

- strict checks: ``python -W error`` runs of every whoosh import in kb-bridge's own code
  (read from bridge/ with ``ast``), of the modules this workload uses, ``compileall`` of
  the package under ``-W error::SyntaxWarning`` and ``-W error``, and of the whole workflow
  (``smoke``). These run with ``PYTHONPYCACHEPREFIX`` set to an empty
  directory, so every module is compiled from source, as under uv, ``pip --no-compile``
  or a read-only site-packages; the .pyc files pip writes at install time would otherwise
  hide compile-time warnings. One import check also runs with pip's .pyc, for contrast.
- ``imports``: compiles and imports every submodule, recording every warning.
- ``agreement``: top-5 of the 30 queries and per-field hit counts, once with each
  distribution's default tokenizer and once with the token expression pinned.
- ``bench``: the timed build (one writer, procs=1, limitmb=256), index size, and latency
  of ``searcher.search(q, limit=10)`` with and without highlighting the top 10, over
  ``ROUNDS`` rounds of the queries after one warm-up round. ``--runs`` repeats it,
  interleaving the candidates so that load from other processes hits all of them alike.

The corpus (/work/shared/corpora/officedocs-support) is read, never written. Each article
is split on ATX headings (#, ##, ###) into one document per section, as the site will
index it. The Markdown report goes to stdout and the raw figures (every latency sample) to
``<eval-dir>/results-<scale>x[-<python>].json``.
"""

from __future__ import annotations

import argparse
import ast
import gc
import importlib
import json
import os
import pkgutil
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

PROJECT_CODE = Path(__file__).resolve().parents[1] / "bridge"
CORPUS = Path("/work/shared/corpora/officedocs-support")
EVAL_DIR = Path("/tmp/whoosh-eval")
PYYAML = "pyyaml==6.0.3"
ROUNDS = 10
TOP_N = 5
SMOKE_ARTICLES = 200
# Whoosh 2.7.4's default token expression. Whoosh-Reloaded 2.7.5 and whoosh3 changed the
# default to r"[\w\*]+(\.?[\w\*]+)*", which keeps Markdown's ** and * inside tokens.
CLASSIC_TOKENS = r"\w+(\.?\w+)*"
# The modules this benchmark's workload imports. The names kb-bridge's own code imports
# from whoosh are read from PROJECT_CODE and checked separately.
APP_MODULES = ("whoosh.index", "whoosh.fields", "whoosh.analysis", "whoosh.qparser",
               "whoosh.query", "whoosh.highlight", "whoosh.scoring", "whoosh.writing")


@dataclass(frozen=True)
class Candidate:
    name: str  # venv directory name
    dist: str  # distribution name, as importlib.metadata knows it
    spec: str  # what pip installs


CANDIDATES = (
    Candidate("whoosh", "Whoosh", "whoosh==2.7.4"),
    Candidate("whoosh-reloaded", "Whoosh-Reloaded", "whoosh-reloaded==2.7.5"),
    Candidate("whoosh3", "whoosh3", "whoosh3==3.54.0"),
)

QUERIES = (
    "room finder",
    "outlook keeps asking for password",
    "0x800CCC0E",
    "teams meeting recording missing",
    "sharepoint sync error",
    "onedrive files not syncing",
    "mailbox full cannot send email",
    "shared mailbox not showing in outlook",
    "calendar delegate permissions",
    "autodiscover not working",
    "automatic replies out of office not sent",
    "ost file too large",
    "outlook search not returning results",
    "license not assigned microsoft 365",
    "multifactor authentication sign in loop",
    "external sharing disabled sharepoint",
    "guest cannot join teams meeting",
    "excel file locked for editing",
    "word crashes when opening document",
    "office activation error",
    "connect to exchange online powershell",
    "mail flow rule not applied",
    "ndr 550 5.7.1",
    "retention policy not deleting items",
    "skype for business presence unknown",
    "public folder migration",
    "hybrid free busy not working",
    "assign phone number teams",
    "outlook add-in disabled",
    "pst import failed",
)

# ---------------------------------------------------------------- corpus (worker side)

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
HEADING = re.compile(r"^(#{1,3})[ \t]+(.+?)[ \t]*#*[ \t]*$")
FENCE = re.compile(r"^[ \t]*(```|~~~)")


def slugify(text: str) -> str:
    """Python-Markdown's toc slug: drop punctuation, lower-case, hyphenate spaces."""
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    import yaml

    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        meta = None
    return (meta if isinstance(meta, dict) else {}), text[match.end():]


def split_sections(body: str, title: str) -> list[tuple[str, str, str]]:
    """(heading, anchor, text) per h1/h2/h3; text before any heading belongs to the title."""
    sections: list[tuple[str, str, list[str]]] = [(title, "", [])]
    used: set[str] = set()
    in_fence = False
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if not match:
            sections[-1][2].append(line)
            continue
        level, heading = len(match.group(1)), match.group(2)
        if level == 1 and len(sections) == 1 and not "".join(sections[0][2]).strip():
            sections[0] = (heading, "", [])  # the page's own h1 is the page, no anchor
            continue
        anchor = base = slugify(heading) or "section"
        suffix = 0
        while anchor in used:
            suffix += 1
            anchor = f"{base}_{suffix}"
        used.add(anchor)
        sections.append((heading, anchor, []))
    out = [(h, a, "\n".join(lines).strip()) for h, a, lines in sections]
    if len(out) > 1 and not out[0][2]:
        out = out[1:]
    return out


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def article_documents(path: Path, corpus: Path) -> list[dict[str, str]]:
    meta, body = split_front_matter(path.read_text(encoding="utf-8-sig", errors="replace"))
    rel = path.relative_to(corpus).with_suffix("").as_posix()
    title = str(meta.get("title") or path.stem)
    common = {
        "title": title,
        "path": rel,
        "product": rel.split("/", 1)[0].lower(),
        "type": str(meta.get("ms.topic") or "article"),
        "tags": ",".join(t.replace(",", " ") for t in as_list(meta.get("appliesto"))),
        "summary": str(meta.get("description") or ""),
    }
    return [
        {**common, "heading": heading, "url": f"{rel}/" + (f"#{anchor}" if anchor else ""),
         "body": text}
        for heading, anchor, text in split_sections(body, title)
    ]


def article_paths(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md") if p.name != "SOURCE.md")


def load_documents(corpus: Path, articles: int | None = None,
                   scale: int = 1) -> list[dict[str, str]]:
    docs = [d for p in article_paths(corpus)[:articles] for d in article_documents(p, corpus)]
    copies = [{**d, "url": f"{d['url']}~{k}"} for k in range(1, scale) for d in docs]
    return docs + copies


# ---------------------------------------------------------------- whoosh (worker side)

def make_schema(pattern: str | None = None) -> Any:
    """Our schema; ``pattern`` overrides the distribution's default token expression."""
    from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
    from whoosh.fields import ID, KEYWORD, TEXT, Schema

    tokens = {"expression": pattern} if pattern else {}
    return Schema(
        title=TEXT(stored=True, analyzer=StandardAnalyzer(**tokens)),
        heading=TEXT(stored=True, analyzer=StandardAnalyzer(**tokens)),
        url=ID(stored=True, unique=True),
        path=ID,
        product=KEYWORD(lowercase=True),
        type=KEYWORD(lowercase=True),
        tags=KEYWORD(commas=True, lowercase=True),
        summary=TEXT(analyzer=StandardAnalyzer(**tokens)),
        body=TEXT(analyzer=StemmingAnalyzer(**tokens)),
    )


def fresh_index_dir(index_dir: Path) -> None:
    """Empty ``index_dir`` for a new index, refusing any directory that is not an index."""
    if index_dir.exists():
        if any(index_dir.iterdir()) and not any(index_dir.glob("*.toc")):
            raise SystemExit(f"{index_dir} is not empty and holds no Whoosh index")
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)


def build_index(index_dir: Path, docs: list[dict[str, str]],
                pattern: str | None = None) -> tuple[Any, float]:
    from whoosh import index

    fresh_index_dir(index_dir)
    started = time.perf_counter()
    ix = index.create_in(str(index_dir), make_schema(pattern))
    writer = ix.writer(procs=1, limitmb=256)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix, time.perf_counter() - started


def parse_queries(ix: Any) -> list[Any]:
    from whoosh.qparser import MultifieldParser, OrGroup

    parser = MultifieldParser(
        ["title", "heading", "summary", "body"], ix.schema,
        fieldboosts={"title": 3.0, "heading": 2.0, "summary": 1.5},
        group=OrGroup.factory(0.9),
    )
    return [parser.parse(text) for text in QUERIES]


def top_hits(searcher: Any, queries: list[Any]) -> dict[str, list[list[Any]]]:
    return {
        text: [[hit["url"], round(hit.score, 4)] for hit in searcher.search(q, limit=TOP_N)]
        for text, q in zip(QUERIES, queries)
    }


def field_checks(searcher: Any, docs: list[dict[str, str]]) -> dict[str, int]:
    """Hit counts proving each field of our schema is indexed and queryable."""
    from whoosh.qparser import QueryParser
    from whoosh.query import Term

    sample = docs[len(docs) // 2]
    counts = {
        "product:outlook": Term("product", "outlook"),
        "type:troubleshooting": Term("type", "troubleshooting"),
        "tags:'outlook 2016'": Term("tags", "outlook 2016"),
        "url:<one section>": Term("url", sample["url"]),
        "path:<one article>": Term("path", sample["path"]),
        "body:recordings (stemmed)": QueryParser("body", searcher.schema).parse("recordings"),
        "summary:password": QueryParser("summary", searcher.schema).parse("password"),
    }
    return {name: len(searcher.search(q, limit=None)) for name, q in counts.items()}


def time_queries(searcher: Any, queries: list[Any], bodies: dict[str, str],
                 highlight: bool) -> list[float]:
    samples = []
    for round_no in range(ROUNDS + 1):  # round 0 warms caches and is not counted
        for q in queries:
            started = time.perf_counter()
            results = searcher.search(q, limit=10)
            if highlight:
                for hit in results:
                    hit.highlights("body", text=bodies[hit["url"]], top=2)
            if round_no:
                samples.append(time.perf_counter() - started)
    return samples


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def summarise_warnings(caught: list[warnings.WarningMessage]) -> list[dict[str, Any]]:
    """Distinct warnings with counts, most frequent first."""
    counts: dict[tuple[str, str, int, str], int] = {}
    for w in caught:
        where = w.filename.split("site-packages/")[-1]
        key = (w.category.__name__, where, w.lineno or 0, str(w.message).splitlines()[0][:160])
        counts[key] = counts.get(key, 0) + 1
    return [{"category": c, "where": f"{f}:{n}", "message": m, "count": k}
            for (c, f, n, m), k in sorted(counts.items(), key=lambda kv: -kv[1])]


@contextmanager
def recording(caught: list[warnings.WarningMessage]) -> Iterator[None]:
    """Append every warning raised inside the block to ``caught``, duplicates included."""
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        yield
    caught.extend(log)


def first_field(meta: Any, *names: str) -> str | None:
    """The first of ``names`` that the distribution's METADATA sets."""
    return next((values[0] for name in names if (values := meta.get_all(name))), None)


def worker_imports(dist: str) -> dict[str, Any]:
    """Compile every whoosh module from source and import it, recording all warnings."""
    from importlib import metadata

    sys.dont_write_bytecode = True
    caught: list[warnings.WarningMessage] = []
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as pycache, recording(caught):
        sys.pycache_prefix = pycache  # an empty cache: nothing to hide compile warnings
        import whoosh

        names = ["whoosh"] + [m.name for m in pkgutil.walk_packages(whoosh.__path__, "whoosh.",
                                                                     onerror=lambda _n: None)]
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as exc:  # optional extras, py2-only leftovers
                failures[name] = f"{type(exc).__name__}: {exc}"[:160]
    from whoosh.analysis.tokenizers import default_pattern

    meta = metadata.metadata(dist)
    wheel = metadata.distribution(dist).read_text("WHEEL") or ""
    return {
        "version": meta["Version"],
        "python": sys.version.split()[0],
        "default_token_pattern": default_pattern.pattern,
        "modules": len(names),
        "import_failures": failures,
        "warnings": summarise_warnings(caught),
        "metadata": {
            "license": first_field(meta, "License-Expression", "License"),
            "author": first_field(meta, "Author", "Author-email"),
            "maintainer": first_field(meta, "Maintainer", "Maintainer-email"),
            "home": first_field(meta, "Home-page")
            or "; ".join(meta.get_all("Project-URL") or []),
            "requires_python": first_field(meta, "Requires-Python"),
            "requires_dist": [r for r in meta.get_all("Requires-Dist") or []
                              if "extra ==" not in r],
            "extras": meta.get_all("Provides-Extra") or [],
            "wheel_tags": [ln.split(": ", 1)[1] for ln in wheel.splitlines()
                           if ln.startswith("Tag: ")],
            "console_scripts": sorted(ep.name for ep in metadata.distribution(dist).entry_points
                                      if ep.group == "console_scripts"),
        },
    }


def worker_bench(corpus: Path, index_dir: Path, scale: int) -> dict[str, Any]:
    """Build, query and highlight on the full corpus; record timings and warnings."""
    docs = load_documents(corpus, scale=scale)
    bodies = {d["url"]: d["body"] for d in docs}
    at_import: list[warnings.WarningMessage] = []
    at_use: list[warnings.WarningMessage] = []
    with recording(at_import):
        for name in APP_MODULES:
            importlib.import_module(name)
    with recording(at_use):
        ix, build_s = build_index(index_dir, docs)
        with ix.searcher() as searcher:
            queries = parse_queries(ix)
            plain = time_queries(searcher, queries, bodies, highlight=False)
            highlighted = time_queries(searcher, queries, bodies, highlight=True)
            doc_count = searcher.doc_count()
        ix.close()
        del ix, searcher
        gc.collect()  # surface ResourceWarnings from anything left unclosed
    return {
        "doc_count": doc_count,
        "build_s": build_s,
        "index_bytes": directory_bytes(index_dir),
        "search_s": plain,
        "search_highlight_s": highlighted,
        "warnings_import": summarise_warnings(at_import),
        "warnings_use": summarise_warnings(at_use),
    }


def worker_agreement(corpus: Path, index_dir: Path) -> dict[str, Any]:
    """Top hits and field checks, with the default tokenizer and with CLASSIC_TOKENS."""
    docs = load_documents(corpus)
    result: dict[str, Any] = {}
    for label, pattern in (("default", None), ("classic", CLASSIC_TOKENS)):
        ix, _ = build_index(index_dir, docs, pattern)
        with ix.searcher() as searcher:
            result[label] = {"top": top_hits(searcher, parse_queries(ix)),
                             "field_checks": field_checks(searcher, docs)}
        ix.close()
    return result


def worker_smoke(corpus: Path, index_dir: Path) -> dict[str, Any]:
    """The whole workflow on a small slice; meant to run under ``python -W error``."""
    for name in APP_MODULES:
        importlib.import_module(name)
    docs = load_documents(corpus, articles=SMOKE_ARTICLES)
    bodies = {d["url"]: d["body"] for d in docs}
    ix, _ = build_index(index_dir, docs)
    with ix.searcher() as searcher:
        queries = parse_queries(ix)
        hits = sum(len(v) for v in top_hits(searcher, queries).values())
        time_queries(searcher, queries[:3], bodies, highlight=True)
    ix.close()
    del ix, searcher
    gc.collect()
    return {"documents": len(docs), "hits": hits}


def run_worker(args: argparse.Namespace) -> None:
    index_dir = Path(args.index_dir or "")
    if args.worker == "imports":
        result = worker_imports(args.dist)
    elif args.worker == "bench":
        result = worker_bench(Path(args.corpus), index_dir, args.scale)
    elif args.worker == "agreement":
        result = worker_agreement(Path(args.corpus), index_dir)
    else:
        result = worker_smoke(Path(args.corpus), index_dir)
    print(json.dumps(result))


# ---------------------------------------------------------------- driver

def venv_name(c: Candidate, args: argparse.Namespace) -> str:
    """Names the candidate's venv, and its index directories, per interpreter."""
    return f"{c.name}-{Path(args.python).name}" if args.python else c.name


def venv_python(c: Candidate, args: argparse.Namespace) -> Path:
    """The candidate's venv interpreter, creating the venv on first use."""
    venv = Path(args.eval_dir) / venv_name(c, args)
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([args.python or sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", c.spec, PYYAML],
                       check=True)
    return python


def site_package_dir(python: Path) -> Path:
    out = subprocess.run([str(python), "-c",
                          "import importlib.util as u; print(u.find_spec('whoosh').origin)"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()).parent


def worker_cmd(python: Path, mode: str, *extra: str, flags: tuple[str, ...] = ()) -> list[str]:
    return [str(python), *flags, str(Path(__file__).resolve()), "--worker", mode, *extra]


def run(cmd: list[str], fresh_bytecode: bool = True,
        timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; with ``fresh_bytecode`` no .pyc exists, so every module compiles."""
    with tempfile.TemporaryDirectory(prefix="pycache-") as pycache:
        env = dict(os.environ)
        if fresh_bytecode:
            env["PYTHONPYCACHEPREFIX"] = pycache
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


def last_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def failure_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def project_whoosh_imports(code: Path = PROJECT_CODE) -> list[str]:
    """Each whoosh import statement in kb-bridge's code, one name per statement."""
    found: set[str] = set()
    for path in sorted(code.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module \
                    and node.module.split(".")[0] == "whoosh":
                found.update(f"from {node.module} import {a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(f"import {a.name}" for a in node.names
                             if a.name.split(".")[0] == "whoosh")
    return sorted(found)


def project_import_check(python: Path) -> dict[str, Any]:
    """Runs each of kb-bridge's whoosh imports under ``-W error``, compiled from source."""
    statements = project_whoosh_imports()
    snippet = ("import json, sys\nbad = {}\nfor line in json.loads(sys.argv[1]):\n"
               "    try:\n        exec(line, {})\n    except Exception as exc:\n"
               "        bad[line] = f'{type(exc).__name__}: {exc}'\nprint(json.dumps(bad))")
    proc = run([str(python), "-W", "error", "-c", snippet, json.dumps(statements)])
    bad = last_json(proc)
    first = next(iter(bad.items()), None)
    return {"ok": bool(statements) and not bad, "statements": statements,
            "failing": f"{len(bad)} of {len(statements)} names" if bad else "",
            "error": f"`{first[0]}`: {first[1]}"[:240] if first
            else "" if statements else f"no whoosh imports found under {PROJECT_CODE}"}


def strict_checks(python: Path, pkg: Path, corpus: str, index_dir: Path) -> dict[str, Any]:
    """Pass/fail of each strict-warning run, with what failed where it can be counted."""
    imports = ";".join(f"import {m}" for m in APP_MODULES)
    checks: dict[str, Any] = {
        f"kb-bridge's whoosh imports -W error ({len(project_whoosh_imports())} names)":
            project_import_check(python)}
    for label, cmd, fresh in (
        ("import -W error (compiled from source)",
         [str(python), "-W", "error", "-c", imports], True),
        ("import -W error (pip's .pyc)", [str(python), "-W", "error", "-c", imports], False),
        ("compileall -W error::SyntaxWarning",
         [str(python), "-W", "error::SyntaxWarning", "-m", "compileall", "-q", "-f", str(pkg)],
         True),
        ("compileall -W error",
         [str(python), "-W", "error", "-m", "compileall", "-q", "-f", str(pkg)], True),
        ("index+search+highlight -W error",
         worker_cmd(python, "smoke", "--corpus", corpus, "--index-dir", str(index_dir),
                    flags=("-W", "error")), True),
    ):
        proc = run(cmd, fresh_bytecode=fresh)
        bad_files = proc.stdout.count("*** Error compiling")
        checks[label] = {"ok": proc.returncode == 0,
                         "failing": f"{bad_files} files" if bad_files else "",
                         "error": "" if proc.returncode == 0 else failure_line(proc)}
    return checks


def release_facts(c: Candidate, python: Path, eval_dir: Path) -> dict[str, Any]:
    """What pip alone can tell: versions on the index and the wheel's build timestamps."""
    versions = run([str(python), "-m", "pip", "index", "versions", c.spec.split("==")[0]],
                   fresh_bytecode=False)
    listed = re.search(r"Available versions: (.*)", versions.stdout)
    dl_dir = eval_dir / "wheels"
    run([str(python), "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
         "-d", str(dl_dir), c.spec], fresh_bytecode=False)
    version = c.spec.split("==")[1]
    wheels = [p for p in dl_dir.glob("*.whl")
              if p.name.lower().startswith(c.dist.lower().replace("-", "_") + f"-{version}-")]
    built = None
    if wheels:
        stamps = [i.date_time for i in zipfile.ZipFile(wheels[0]).infolist()]
        built = "%04d-%02d-%02d" % max(stamps)[:3]
    return {"versions_on_index": len(listed.group(1).split(", ")) if listed else None,
            "wheel": wheels[0].name if wheels else None, "wheel_built": built}


def characterise(c: Candidate, args: argparse.Namespace) -> dict[str, Any]:
    """Everything measured once per candidate: strict checks, imports, agreement, release."""
    python = venv_python(c, args)
    print(f"[{c.name}] strict checks, imports, agreement", file=sys.stderr, flush=True)
    indexes = Path(args.eval_dir) / "indexes" / venv_name(c, args)
    return {
        "candidate": c.spec,
        "strict": strict_checks(python, site_package_dir(python), args.corpus,
                                indexes / "smoke"),
        "imports": last_json(run(worker_cmd(python, "imports", "--dist", c.dist))),
        "agreement": last_json(run(worker_cmd(python, "agreement", "--corpus", args.corpus,
                                              "--index-dir", str(indexes / "agreement")),
                                   fresh_bytecode=False)),
        "release": release_facts(c, python, Path(args.eval_dir)),
    }


def bench(c: Candidate, args: argparse.Namespace, run_no: int) -> dict[str, Any]:
    """One timed build + query run, in the candidate's venv with its installed .pyc."""
    python = venv_python(c, args)
    print(f"[{c.name}] bench run {run_no}", file=sys.stderr, flush=True)
    index_dir = Path(args.eval_dir) / "indexes" / venv_name(c, args) / f"{args.scale}x"
    return last_json(run(worker_cmd(python, "bench", "--corpus", args.corpus, "--index-dir",
                                    str(index_dir), "--scale", str(args.scale)),
                         fresh_bytecode=False))


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return " / ".join(f"{cuts[i] * 1000:.1f}" for i in (49, 94, 98))


def compare_top(tops: dict[str, dict[str, list[list[Any]]]]) -> list[str]:
    """Pairwise: queries with identical top-N URL lists, and the largest score gap."""
    names = list(tops)
    lines = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            same = sum([u for u, _ in tops[a][q]] == [u for u, _ in tops[b][q]] for q in QUERIES)
            gap = max((abs(x[1] - y[1]) for q in QUERIES for x, y in zip(tops[a][q], tops[b][q])),
                      default=0.0)
            lines.append(f"- {a} vs {b}: identical top-{TOP_N} on {same}/{len(QUERIES)} "
                         f"queries, largest score gap at equal rank {gap:.4f}")
    for q in QUERIES:
        urls = {n: [u for u, _ in tops[n][q]] for n in names}
        if len({tuple(v) for v in urls.values()}) > 1:
            lines.append(f"  - `{q}`: " + " | ".join(f"{n}: {', '.join(v)}"
                                                    for n, v in urls.items()))
    return lines


def row(label: str, values: Iterator[str]) -> str:
    return f"| {label} | " + " | ".join(values) + " |"


def strict_cell(check: dict[str, Any]) -> str:
    if check["ok"]:
        return "pass"
    return f"FAIL ({check['failing']})" if check["failing"] else "FAIL"


def report(info: dict[str, dict[str, Any]], runs: dict[str, list[dict[str, Any]]],
           scale: int) -> str:
    names = list(info)
    first = {n: runs[n][0] for n in names}
    out = [f"## whoosh distributions, {scale}x corpus, {len(runs[names[0]])} interleaved runs",
           f"Machine: nproc {os.cpu_count()}, {os.uname().machine}, Python "
           f"{info[names[0]]['imports']['python']}; {time.strftime('%Y-%m-%d')}", "",
           "| | " + " | ".join(info[n]["candidate"] for n in names) + " |",
           "|---|" + "---|" * len(names)]
    for label in info[names[0]]["strict"]:
        out.append(row(label, (strict_cell(info[n]["strict"][label]) for n in names)))
    out.append(row("warnings compiling + importing every module",
                   (str(sum(w["count"] for w in info[n]["imports"]["warnings"]))
                    for n in names)))
    out.append(row("warnings importing our modules / using them",
                   (f"{sum(w['count'] for w in first[n]['warnings_import'])} / "
                    f"{sum(w['count'] for w in first[n]['warnings_use'])}" for n in names)))
    out.append(row("default token pattern",
                   (f"`{info[n]['imports']['default_token_pattern']}`" for n in names)))
    out.append(row("section documents", (f"{first[n]['doc_count']:,}" for n in names)))
    out.append(row("build s, median (min-max)",
                   ("{:.1f} ({:.1f}-{:.1f})".format(
                       statistics.median(b := [r["build_s"] for r in runs[n]]), min(b), max(b))
                    for n in names)))
    out.append(row("index size MB", (f"{first[n]['index_bytes'] / 1e6:.1f}" for n in names)))
    for label, key in (("search", "search_s"), ("search + highlight top 10",
                                                "search_highlight_s")):
        out.append(row(f"{label} p50 / p95 / p99 ms",
                       (percentiles([s for r in runs[n] for s in r[key]]) for n in names)))
    out.append(row("versions on PyPI", (str(info[n]["release"]["versions_on_index"])
                                        for n in names)))
    out.append(row("wheel (built)", (f"{info[n]['release']['wheel']} "
                                     f"({info[n]['release']['wheel_built']})" for n in names)))
    for key in ("license", "maintainer", "requires_python", "requires_dist",
                "console_scripts", "extras"):
        out.append(row(key, (str(info[n]["imports"]["metadata"][key]) for n in names)))
    for label in ("default", "classic"):
        tokens = "each distribution's default tokenizer" if label == "default" else \
            f"the tokenizer pinned to `{CLASSIC_TOKENS}`"
        out += ["", f"Top-{TOP_N} agreement with {tokens}:"]
        out += compare_top({n: info[n]["agreement"][label]["top"] for n in names})
        checks = {n: info[n]["agreement"][label]["field_checks"] for n in names}
        same = len({json.dumps(c, sort_keys=True) for c in checks.values()}) == 1
        out.append(f"- field checks {'identical' if same else 'DIFFER'}: "
                   + json.dumps(checks[names[0]] if same else checks))
    for n in names:
        out += ["", f"### {info[n]['candidate']}"]
        failures = info[n]["imports"]["import_failures"]
        if failures:
            out.append("Modules that do not import (dead or optional): " + "; ".join(
                f"{m} ({e.split(' (')[0]})" for m, e in failures.items()))
        for phase, found in (("compile+import", info[n]["imports"]["warnings"]),
                             ("import our modules", first[n]["warnings_import"]),
                             ("use", first[n]["warnings_use"])):
            out += [f"- {phase}: {w['count']}x {w['category']} at {w['where']}: {w['message']}"
                    for w in found]
        out += [f"- {label}: {check['error']}" for label, check in info[n]["strict"].items()
                if not check["ok"]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="index each section N times")
    parser.add_argument("--runs", type=int, default=3, help="interleaved bench runs")
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--eval-dir", default=str(EVAL_DIR), help="venvs, indexes, results")
    parser.add_argument("--python", help="interpreter for the candidate venvs (default: this "
                        "one); venvs then go to <eval-dir>/<name>-<basename>")
    parser.add_argument("--only", action="append", choices=[c.name for c in CANDIDATES],
                        help="measure only these candidates (repeatable)")
    parser.add_argument("--worker", choices=["imports", "bench", "agreement", "smoke"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--dist", help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if args.worker != "imports" and not args.index_dir:
            parser.error("--index-dir is required for this worker")
        run_worker(args)
        return
    chosen = [c for c in CANDIDATES if not args.only or c.name in args.only]
    info = {c.name: characterise(c, args) for c in chosen}
    runs: dict[str, list[dict[str, Any]]] = {c.name: [] for c in chosen}
    for run_no in range(1, args.runs + 1):  # interleaved, so machine noise hits all alike
        for c in chosen:
            runs[c.name].append(bench(c, args, run_no))
    suffix = f"-{Path(args.python).name}" if args.python else ""
    out = Path(args.eval_dir) / f"results-{args.scale}x{suffix}.json"
    out.write_text(json.dumps({"info": info, "runs": runs}))
    print(report(info, runs, args.scale))
    print(f"\nRaw figures: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
