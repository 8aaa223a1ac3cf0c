"""Ranking scores every section at once, as vectors; checked against scoring each section on its
own, word by word, on small random indexes (with synonyms and word pairs)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.search.ranking import Alternative, Concept, Plan, Term, idf, rank

WORDS = ["outlook", "password", "prompt", "mac", "teams", "status", "wrong", "sync"]
K1 = 1.2


@dataclass
class MemoryPostings:
    """`ranking.Postings` over sections given as word counts: BM25 without length norm."""

    sections: list[dict[str, int]]

    @property
    def documents(self) -> int:
        return len(self.sections)

    def frequency(self, term: Term) -> int:
        return sum(term.text in words for words in self.sections)

    def score(self, term: Term, doc: int) -> float:
        count = self.sections[doc][term.text]
        return idf(self.frequency(term), self.documents) * (K1 + 1) * count / (count + K1)

    def contributions(self, term: Term) -> np.ndarray:
        return np.array([self.score(term, doc) if term.text in words else 0.0 for doc, words in enumerate(self.sections)])


def brute_force(plan: Plan, postings: MemoryPostings, article_of: Sequence[int], limit: int) -> list[float]:
    """Every section scored in full; the best section's score of each of the `limit` best articles."""
    best: dict[int, float] = {}
    for doc, words in enumerate(postings.sections):
        matched = [max((alt.weight * sum(postings.score(t, doc) for t in alt.terms)
                        for alt in concept.alternatives if all(t.text in words for t in alt.terms)), default=None)
                   for concept in plan.concepts]
        required_missing = any(concept.required and score is None and postings.frequency(concept.alternatives[0].terms[0])
                               for concept, score in zip(plan.concepts, matched))
        if all(score is None for score in matched) or required_missing:
            continue
        score = sum(score for score in matched if score is not None)
        score += sum(plan.bonus_weight * postings.score(t, doc) for t in plan.bonus if t.text in words)
        best[article_of[doc]] = max(best.get(article_of[doc], 0.0), score)
    return sorted(best.values(), reverse=True)[:limit]


sections = st.lists(st.dictionaries(st.sampled_from(WORDS), st.integers(1, 4), min_size=1, max_size=5),
                    min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(sections=sections, query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True),
       per_article=st.integers(1, 3), limit=st.integers(1, 5), synonym=st.booleans(),
       code=st.booleans())
def test_ranking_returns_what_scoring_every_section_would(sections: list[dict[str, int]], query: list[str],
                                                          per_article: int, limit: int, synonym: bool,
                                                          code: bool) -> None:
    postings = MemoryPostings(sections)
    concepts = [Concept(word, (Alternative((Term("content", word),)),)) for word in query]
    if synonym:  # the first word also matches through a two-word alternative, at a lower weight
        concepts[0] = Concept(query[0], (*concepts[0].alternatives,
                                         Alternative((Term("content", "sync"), Term("content", "mac")), 0.9)))
    if code:  # the last word must match, as an error code must
        concepts[-1] = Concept(query[-1], concepts[-1].alternatives, required=True)
    plan = Plan(tuple(concepts), bonus=(Term("content", "prompt"),), bonus_weight=0.5)
    article_of = [doc // per_article for doc in range(len(sections))]
    found = rank(plan, postings, np.array(article_of), limit)
    expected = brute_force(plan, postings, article_of, limit)
    assert [round(hit.score, 6) for hit in found.hits] == [round(score, 6) for score in expected]
    assert len({article_of[hit.doc] for hit in found.hits}) == len(found.hits)
