"""Relevance benchmark: our search against a plain BM25 baseline on the shared corpus.

Why this exists
---------------
Issue 3 asks whether customers find the article that answers them, and whether search admits
when nothing does. `benchmarks/relevance/` holds eight sets of queries (`QUERY_SETS` says who
wrote each and what was fitted to it), each with answerable queries (and the articles that truly
answer them) and unanswerable ones. This script reports, per set, for our search and for a
baseline, MRR@10, Success@1 and Success@5 over the answerable queries, and how many queries of
each kind come back with `confident: false`.

The baseline is plain BM25 over title and body, as most help centres start: one Whoosh
document per section with a stemmed `title` and `body`, an any-word (OR) query over both, no
field boosts, synonyms, phrase boost or typo handling, and each article's best section kept.
It is built from the stored sections of the same index our search reads, so both see the same
text.

How it runs
-----------
From the project root::

    .venv/bin/python benchmarks/relevance.py                 # builds the 1x corpus first
    .venv/bin/python benchmarks/relevance.py --out /tmp/out  # reuses a build from benchmarks/search.py
    .venv/bin/python benchmarks/relevance.py --sample        # sample.yml on the sample kb/ instead

The section "relevance" of benchmarks/RESULTS.md is rewritten with the table; with `--sample`,
the section "relevance-sample" (a small help centre: its own set, its own build of `kb/`).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from whoosh import index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from benchmarks.results import write_section  # noqa: E402
from benchmarks.search import QUERIES, build_corpus  # noqa: E402
from bridge.search.index_reader import SearchIndex  # noqa: E402
from bridge.search.layout import current_generation  # noqa: E402
from bridge.search.query import parse_query  # noqa: E402

DEPTH = 10


@dataclass(frozen=True)
class Answered:
    """The article URLs a search returned for a query, best first, and whether it was confident."""

    articles: list[str]
    confident: bool


@dataclass(frozen=True)
class Scores:
    mrr: float
    success_at_1: float
    success_at_5: float
    unsure_unanswerable: int
    unsure_answerable: int
    unsure_right_first: int
    confident_wrong_first: int
    mrr_by_kind: dict[str, float]


def article(url: str) -> str:
    return url.split("#", 1)[0]


def first_hit(answered: Answered, targets: Sequence[str]) -> int | None:
    """1-based rank of the first target article among the results, or None."""
    for position, url in enumerate(answered.articles[:DEPTH], start=1):
        if url in targets:
            return position
    return None


def reciprocal_rank(rank: int | None) -> float:
    return 1 / rank if rank else 0.0


def evaluate(search: Callable[[str], Answered], data: dict) -> Scores:
    answered = [search(entry["q"]) for entry in data["answerable"]]
    ranks = [first_hit(answer, entry["targets"]) for answer, entry in zip(answered, data["answerable"])]
    count = len(ranks)
    by_kind: dict[str, list[float]] = {}
    for entry, rank in zip(data["answerable"], ranks):
        by_kind.setdefault(entry["kind"], []).append(reciprocal_rank(rank))
    return Scores(
        mrr=sum(map(reciprocal_rank, ranks)) / count,
        success_at_1=sum(rank == 1 for rank in ranks) / count,
        success_at_5=sum(bool(rank) and rank <= 5 for rank in ranks) / count,
        unsure_unanswerable=sum(not search(entry["q"]).confident for entry in data["unanswerable"]),
        unsure_answerable=sum(not answer.confident for answer in answered),
        unsure_right_first=sum(not answer.confident and rank == 1 for answer, rank in zip(answered, ranks)),
        confident_wrong_first=sum(answer.confident and rank != 1 for answer, rank in zip(answered, ranks)),
        mrr_by_kind={kind: sum(values) / len(values) for kind, values in sorted(by_kind.items())},
    )


def our_search(out: Path) -> Callable[[str], Answered]:
    searcher = SearchIndex(out / "index")

    def search(query: str) -> Answered:
        results = searcher.search(parse_query(query), limit=DEPTH)
        return Answered([article(hit.url) for hit in results.hits], results.confident)

    return search


def baseline_index(out: Path, work: Path) -> index.Index:
    """Title and body of every stored section, in a plain stemmed BM25 index of their own."""
    source = index.open_dir(str(current_generation(out / "index")))
    schema = Schema(article=ID(stored=True), title=TEXT(analyzer=StemmingAnalyzer()),
                    body=TEXT(analyzer=StemmingAnalyzer()))
    folder = work / "baseline-index"
    folder.mkdir(parents=True, exist_ok=True)
    baseline = index.create_in(str(folder), schema)
    writer = baseline.writer(limitmb=256)
    with source.searcher() as searcher:
        for fields in searcher.all_stored_fields():
            writer.add_document(article=fields["article"], title=fields["title"], body=fields["body"])
    writer.commit()
    return baseline


def baseline_search(baseline: index.Index) -> Callable[[str], Answered]:
    parser = MultifieldParser(["title", "body"], baseline.schema, group=OrGroup)
    searcher = baseline.searcher()

    def search(query: str) -> Answered:
        words = " ".join(parse_query(query).all_words)
        seen: list[str] = []
        for hit in searcher.search(parser.parse(words), limit=DEPTH * 10):
            if hit["article"] not in seen:
                seen.append(hit["article"])
        return Answered(seen[:DEPTH], confident=bool(seen))

    return search


@dataclass(frozen=True)
class QuerySet:
    """A file of queries and what it may be trusted for: who wrote it, when, and what was fitted to it."""

    file: str
    history: str


SAMPLE_KB = PROJECT / "kb"
SAMPLE_SET = QuerySet("sample.yml", "written blind from the sample kb/ (22 articles) by a helper in session 11, before any "
                                    "tuning on the sample help centre; run once before and once after that tuning")

QUERY_SETS = (
    QuerySet("queries.yml", "written before any ranking work (session 1); the first ranking and confidence "
                            "choices were made with it in view, so it flatters them"),
    QuerySet("holdout.yml", "written blind from the corpus at the start of session 2; the word-confidence "
                            "thresholds were refitted on it and queries.yml together"),
    QuerySet("unseen.yml", "written blind from the corpus during session 2 and run once, after the "
                           "session's changes; seen since"),
    QuerySet("fresh.yml", "written blind from the corpus at the start of session 3 and run once, at its end; "
                          "seen since"),
    QuerySet("reserve.yml", "written blind from the corpus at the end of session 3 and kept unread until search "
                            "by meaning was built (session 5), then run once; seen since (the sentence model's "
                            "0.55 cosine and the one-word rule of `confident` were picked with the four sets above "
                            "in view, the fusion's K and weights in session 6 with all five)"),
    QuerySet("blind.yml", "written blind from the corpus at the start of session 6, by a helper that read only the "
                          "corpus, and run once, after the fusion's K and weights were chosen on the five sets above: "
                          "the only set none of the current choices saw"),
    QuerySet("blind2.yml", "written blind from the corpus at the start of session 11, by a helper that read only "
                           "the corpus, before the sentence model moved to ONNX Runtime (issue 13), and run once "
                           "after it"),
    QuerySet("blind3.yml", "written blind from the corpus in session 13 to judge a change to how section vectors "
                           "are made, and run once, in session 15, before and after the sentence model moved to "
                           "OpenVINO in bfloat16 (decision 0008)"),
)


def report(results: Sequence[tuple[QuerySet, dict, Scores, Scores]], corpus: str = "the shared corpus") -> str:
    lines = [
        f"{len(results)} set{'s' if len(results) > 1 else ''} of customer queries over {corpus}, in "
        "`benchmarks/relevance/`; each answerable query lists the articles that truly answer it. A plain BM25 "
        "baseline (title and "
        "body, any word, no boosts, synonyms or typo handling) runs on the same queries. The baseline "
        "has no notion of confidence: it counts as unsure only when it finds nothing.",
        "",
        "`confident` should be false when the best result does not answer the query, so for an answerable "
        "query whose first result is wrong, false is the right call. Two columns split the answerable "
        "queries by that: those called unsure although the right article came first (false alarms), and "
        "those called confident although it did not (the customer is sent to the wrong article first).",
        "",
        "| query set | search | MRR@10 | Success@1 | Success@5 | confident: false, unanswerable "
        "| confident: false, answerable | of those, right article first | confident: true, wrong article first "
        "| gap to 1.0 closed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for query_set, data, ours, baseline in results:
        answerable, unanswerable = len(data["answerable"]), len(data["unanswerable"])
        closed = (ours.mrr - baseline.mrr) / (1 - baseline.mrr) if baseline.mrr < 1 else 0.0
        for name, scores, gap in (("plain BM25", baseline, ""), ("kb-bridge", ours, f"{closed:.0%}")):
            lines.append(f"| {query_set.file} ({answerable} + {unanswerable}) | {name} | {scores.mrr:.3f} | "
                         f"{scores.success_at_1:.3f} | {scores.success_at_5:.3f} | "
                         f"{scores.unsure_unanswerable} of {unanswerable} | {scores.unsure_answerable} of {answerable} | "
                         f"{scores.unsure_right_first} | {scores.confident_wrong_first} | {gap} |")
    lines += ["", "How far each set can be trusted:", ""]
    lines += [f"- `{query_set.file}`: {query_set.history}." for query_set, *_ in results]
    lines += ["", "MRR@10 by kind of query (all sets together):", ""]
    kinds = sorted({entry["kind"] for _, data, *_ in results for entry in data["answerable"]})
    lines += ["| search | " + " | ".join(kinds) + " |", "| --- |" + " --- |" * len(kinds)]
    for name, position in (("plain BM25", 3), ("kb-bridge", 2)):
        cells = []
        for kind in kinds:
            values = [(scores[position].mrr_by_kind.get(kind), sum(e["kind"] == kind for e in scores[1]["answerable"]))
                      for scores in results]
            total = sum(count for _, count in values)
            cells.append(f"{sum(mrr * count for mrr, count in values if mrr is not None) / total:.3f} ({total})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="A `kb build --out` folder of the 1x corpus to reuse.")
    parser.add_argument("--sample", action="store_true",
                        help="Run sample.yml on a fresh build of the sample kb/ (a small help centre) instead.")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="kb-relevance-"))
    if args.sample:
        out = work / "sample-out"
        subprocess.run([sys.executable, "-m", "bridge.cli", "build", "--kb", str(SAMPLE_KB), "--out", str(out)],
                       cwd=PROJECT, check=True, capture_output=True)
    else:
        out = args.out or build_corpus(work, 1).out
    ours, baseline = our_search(out), baseline_search(baseline_index(out, work))
    results = []
    for query_set in (SAMPLE_SET,) if args.sample else QUERY_SETS:
        data = yaml.safe_load((QUERIES.parent / query_set.file).read_text(encoding="utf-8"))
        results.append((query_set, data, evaluate(ours, data), evaluate(baseline, data)))
    if args.sample:
        text = report(results, "the sample kb/ (22 articles)")
        write_section("relevance-sample", "Search relevance on a small help centre (the sample kb/)", text)
    else:
        text = report(results)
        write_section("relevance", "Search relevance", text)
    print(text)


if __name__ == "__main__":
    main()
