"""Ranking sections for a planned query, then keeping each article's best section.

Every section is scored, exactly: each term's BM25 contributions are a vector over all sections
(numpy), so a concept is the best of its alternatives and a section's score the sum of its
concepts and word pairs, a few vector operations whatever the number of postings. Nothing is
skipped to stay fast, so an answer whose title holds the customer's common words but not the
one rare word they typed is still found. The engine stays behind the `Postings` protocol; this
module never imports it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bridge.search.budget import Budget, unlimited

@dataclass(frozen=True)
class Term:
    """One indexed term: a stemmed word in `content` or a pair of adjacent words in `pairs`."""

    field: str
    text: str


@dataclass(frozen=True)
class Alternative:
    """One way to match a concept: every term must be in the section; `weight` scales its score."""

    terms: tuple[Term, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Concept:
    """One thing the customer asked about: a word, a phrase or an error code, with its variants.

    A required concept (an error code, a quoted phrase) must match, unless no section has it at
    all (then it only lowers the coverage); the others add to the score where they match.
    """

    label: str
    alternatives: tuple[Alternative, ...]
    required: bool = False


@dataclass(frozen=True)
class Plan:
    """The concepts of a query and the word pairs that reward sections keeping its words together."""

    concepts: tuple[Concept, ...]
    bonus: tuple[Term, ...] = ()
    bonus_weight: float = 1.0

    @property
    def exact(self) -> bool:
        """True when the query holds an error code or a quoted phrase.

        The customer asked for those very words, so a section that only means something similar
        must not match.
        """
        return any(concept.required for concept in self.concepts)


class Postings(Protocol):
    """What ranking needs from the index: statistics and BM25 contributions per section."""

    documents: int

    def frequency(self, term: Term) -> int:
        """Sections containing the term."""

    def contributions(self, term: Term) -> np.ndarray:
        """The term's BM25 contribution to every section (`documents` floats), 0 where it is absent."""


@dataclass
class Ranked:
    """An article's best section: its score and, per concept, the concept's weight if it matched."""

    doc: int
    score: float
    coverage: float
    matched: tuple[float, ...] = ()


@dataclass
class Ranking:
    """The best articles' sections, best first; which sections match at all; each concept's weight."""

    hits: list[Ranked] = field(default_factory=list)
    matching: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    weights: tuple[float, ...] = ()


def idf(frequency: int, documents: int) -> float:
    """BM25's inverse document frequency, never negative; a word in no section weighs the most."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def _alternative_scores(alternative: Alternative, postings: Postings) -> np.ndarray:
    """The alternative's weighted score in every section that has all of its terms, 0 elsewhere."""
    total = np.zeros(postings.documents)
    present = np.ones(postings.documents, dtype=bool)
    for term in alternative.terms:
        if not postings.frequency(term):
            return np.zeros(postings.documents)
        contributions = postings.contributions(term)
        total += contributions
        present &= contributions > 0
    return np.where(present, alternative.weight * total, 0.0)


def _concept_scores(concept: Concept, postings: Postings) -> np.ndarray:
    """The concept's best alternative in every section."""
    best = np.zeros(postings.documents)
    for alternative in concept.alternatives:
        np.maximum(best, _alternative_scores(alternative, postings), out=best)
    return best


def _weight(concept: Concept, postings: Postings, documents: int) -> float:
    """How telling a concept is: the IDF of its commonest way to match; one nothing matches weighs the most."""
    return idf(max((min((postings.frequency(t) for t in alt.terms), default=0) for alt in concept.alternatives),
                   default=0), documents)


def top_articles(scores: np.ndarray, article_of: np.ndarray, limit: int) -> list[int]:
    """The best section of each of the `limit` best articles, best first (sections scoring 0 do not match).

    The best sections are nearly always among the top few times `limit` sections, so only those
    are sorted; more are looked at only when they hold fewer than `limit` articles. When most
    sections score 0, only the others are partitioned: numpy's partition slows down about tenfold
    over that many equal values.
    """
    matching = int(np.count_nonzero(scores))
    pool = np.flatnonzero(scores) if matching < len(scores) // 2 else np.arange(len(scores))
    values = scores[pool]
    size = limit * 4
    while True:
        size = min(size, matching)
        if size == 0:
            return []
        sample = np.argpartition(values, -size)[-size:]
        sample = pool[sample[np.argsort(-values[sample], kind="stable")]]
        best, seen = [], set()
        for doc, article in zip(sample.tolist(), article_of[sample].tolist()):
            if article not in seen:
                seen.add(article)
                best.append(doc)
                if len(best) == limit:
                    return best
        if size == matching:
            return best
        size *= 4


def _indexed(concept: Concept, postings: Postings) -> bool:
    """True when some way to match the concept has all its terms somewhere in the index."""
    return any(all(postings.frequency(term) for term in alternative.terms) for alternative in concept.alternatives)


def _scores_by_concept(concepts: Sequence[Concept], postings: Postings, budget: Budget) -> list[np.ndarray]:
    """Each concept's scores; once the budget is spent, optional concepts after the first score nothing."""
    nothing = np.zeros(postings.documents)
    return [_concept_scores(concept, postings) if concept.required or position == 0 or not budget.spent() else nothing
            for position, concept in enumerate(concepts)]


def rank(plan: Plan, postings: Postings, article_of: np.ndarray, limit: int,
         allowed: np.ndarray | None = None, budget: Budget | None = None) -> Ranking:
    """The best section of each matching article, best article first, and how many articles match.

    A section matches when it has any concept, and all required ones (a code or quoted phrase
    that some section has; one that no section has only lowers the coverage). Its score is the
    sum of its concepts' and word pairs' BM25 contributions. `allowed` marks the sections that
    may match at all (a product filter, minus sections deleted by an incremental update).
    Past the `budget`, optional concepts and word pairs are left out: the ranking is what it has.
    """
    budget = budget or unlimited()
    concepts = plan.concepts
    documents = max(postings.documents, 1)
    weights = tuple(_weight(concept, postings, documents) for concept in concepts)
    by_concept = _scores_by_concept(concepts, postings, budget)
    scores = np.sum(by_concept, axis=0) if by_concept else np.zeros(postings.documents)
    candidates = scores > 0
    for concept, concept_scores in zip(concepts, by_concept):
        if concept.required and _indexed(concept, postings):
            candidates &= concept_scores > 0
    if allowed is not None:
        candidates &= allowed
    for term in plan.bonus:
        if not budget.spent() and postings.frequency(term):
            scores += plan.bonus_weight * postings.contributions(term)
    scores = np.where(candidates, scores, 0.0)
    hits = []
    for doc in top_articles(scores, article_of, limit):
        matched = tuple(weight if concept_scores[doc] > 0 else 0.0 for weight, concept_scores in zip(weights, by_concept))
        hits.append(Ranked(doc=doc, score=float(scores[doc]), coverage=sum(matched) / (sum(weights) or 1.0), matched=matched))
    return Ranking(hits=hits, matching=candidates, weights=weights)
