"""One result list from two rankings: by the words a customer typed and by what they mean.

Word matching is exact where exactness matters (an error code, a product name, a typo it
corrected) and blind to paraphrase; sentence vectors are the reverse. Weighted reciprocal rank
fusion adds weight / (K + rank) from each list an article is in, so an article both rankings
place high leads, and one found by only one of them still shows. It uses ranks, not scores,
which are on scales that cannot be compared.

Meaning counts twice as much as words, because alone it ranks better on every kind of query
but typos, codes and single words, and equal weights let a word ranking that is weak on
sentences pull good meaning matches down. K is 5 rather than the usual 60, so the top of each
list decides, which is what a page of ten results shows. Both were chosen on the seen query
sets and judged once on a blind one (decision 0002; the grid is in
benchmarks/relevance/EXPERIMENTS.md, session 6).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FUSION_K = 5
WORDS_WEIGHT, MEANING_WEIGHT = 1.0, 2.0
CANDIDATES = 50
# Below this cosine a section does not match by meaning at all, so gibberish still finds nothing
# (tests/test_meaning.py). Chosen, not fitted: off-topic questions mostly score above it, so telling
# them apart is `confident`'s job, not this.
MEANING_FLOOR = 0.3


@dataclass(frozen=True)
class Fused:
    """An article in the fused list: the section to show and its fused score."""

    doc: int
    score: float


def meaning_scores(similarity: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Each section's cosine where it matches by meaning (allowed, and at least `MEANING_FLOOR`), 0 elsewhere."""
    return np.where(allowed & (similarity >= MEANING_FLOOR), similarity, 0.0)


def fuse(rankings: Sequence[Sequence[int]], weights: Sequence[float], article_of: np.ndarray,
         limit: int) -> list[Fused]:
    """The `limit` best articles over all rankings (each a list of sections, best first, with its weight).

    An article shows the section of the first ranking that has it: word matching's, whose
    snippet holds the customer's words, when both found the article.
    """
    scores: dict[int, float] = {}
    shown: dict[int, int] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for position, doc in enumerate(ranking):
            article = int(article_of[doc])
            scores[article] = scores.get(article, 0.0) + weight / (FUSION_K + position + 1)
            shown.setdefault(article, doc)
    best = sorted(scores, key=lambda article: -scores[article])[:limit]  # stable: ties keep word order
    return [Fused(shown[article], scores[article]) for article in best]
