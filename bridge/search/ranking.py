"""Ranking sections for a planned query, then keeping each article's best section.

Whoosh's own matchers walk every posting of every term in Python, field by field; on a large
help centre an any-word query over five fields costs hundreds of milliseconds. Here the work is
steered by document frequency instead (MaxScore, as in Lucene and most engines): the rarer
concepts of a query produce the candidate sections and their scores (their postings are read
whole, in blocks, and cached by the reader). A common word can add at most its upper bound to a
candidate, so it is looked up only for the candidates that could still reach the top `limit`
articles with it. The engine stays behind the `Postings` protocol; this module never imports it.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# Concepts in at most this share of sections are read whole to find candidates; commoner ones
# are only looked up for the candidates the rarer ones found.
SELECTIVE_SHARE = 0.03
MIN_SELECTIVE = 500


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


class Postings(Protocol):
    """What ranking needs from the index: statistics and BM25 contributions per section."""

    documents: int

    def frequency(self, term: Term) -> int:
        """Sections containing the term."""

    def scores(self, term: Term) -> Mapping[int, float]:
        """Every section containing the term, with the term's BM25 contribution."""

    def scores_for(self, term: Term, docs: Sequence[int]) -> Mapping[int, float]:
        """The term's contributions for those of `docs` (ascending) that contain it."""

    def upper_bound(self, term: Term) -> float:
        """No section gets more than this from the term."""


@dataclass
class Ranked:
    """An article's best section: its score and, per concept, the concept's weight if it matched."""

    doc: int
    score: float
    coverage: float
    matched: tuple[float, ...] = ()


@dataclass
class Ranking:
    hits: list[Ranked] = field(default_factory=list)
    total: int = 0
    weights: tuple[float, ...] = ()


def idf(frequency: int, documents: int) -> float:
    """BM25's inverse document frequency, never negative; a word in no section weighs the most."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


class _Scorer:
    """Per-query state: each concept's contributions, read whole or only for candidates."""

    def __init__(self, plan: Plan, postings: Postings) -> None:
        self.plan, self.postings = plan, postings
        self.frequency = [sum(min((postings.frequency(t) for t in alt.terms), default=0) for alt in concept.alternatives)
                          for concept in plan.concepts]
        self.whole: dict[int, dict[int, float]] = {}

    def _alternative_docs(self, alternative: Alternative, docs: Sequence[int] | None) -> dict[int, float]:
        """Sections matching every term of the alternative (among `docs` if given), with its weighted score."""
        terms = sorted(alternative.terms, key=self.postings.frequency)
        if not terms or self.postings.frequency(terms[0]) == 0:
            return {}
        scores = dict(self.postings.scores(terms[0]) if docs is None else self.postings.scores_for(terms[0], docs))
        for term in terms[1:]:
            if not scores:
                break
            found = self.postings.scores_for(term, sorted(scores))
            scores = {doc: score + found[doc] for doc, score in scores.items() if doc in found}
        weight = alternative.weight
        return scores if weight == 1.0 else {doc: weight * score for doc, score in scores.items()}

    def concept_scores(self, index: int, docs: Sequence[int] | None = None) -> dict[int, float]:
        """The concept's best alternative per section: all sections, or only `docs` (ascending)."""
        if index in self.whole:
            whole = self.whole[index]
            return whole if docs is None else {doc: whole[doc] for doc in docs if doc in whole}
        first, *others = self.plan.concepts[index].alternatives
        best = self._alternative_docs(first, docs)
        for alternative in others:
            for doc, score in self._alternative_docs(alternative, docs).items():
                if score > best.get(doc, 0.0):
                    best[doc] = score
        if docs is None:
            self.whole[index] = best
        return best

    def upper_bound(self, index: int) -> float:
        return max((alt.weight * sum(self.postings.upper_bound(t) for t in alt.terms)
                    for alt in self.plan.concepts[index].alternatives), default=0.0)

    def bonus_scores(self, docs: Sequence[int], terms: Sequence[Term]) -> dict[int, float]:
        total: dict[int, float] = {}
        for term in terms:
            for doc, score in self.postings.scores_for(term, docs).items():
                total[doc] = total.get(doc, 0.0) + self.plan.bonus_weight * score
        return total


def _intersect(scorer: _Scorer, concepts: Sequence[int]) -> set[int]:
    """Sections matching every one of `concepts`: the rarest read whole, the others looked up."""
    docs: set[int] | None = None
    for index in sorted(concepts, key=lambda i: scorer.frequency[i]):
        if docs is None:
            docs = set(scorer.concept_scores(index))
        elif docs:
            docs &= scorer.concept_scores(index, sorted(docs)).keys()
    return docs or set()


def _add(totals: dict[int, float], scores: Mapping[int, float]) -> None:
    for doc, score in scores.items():
        totals[doc] = totals.get(doc, 0.0) + score


def _top_articles(scores: Mapping[int, float], docs: Collection[int], article_of: Sequence[int],
                  limit: int) -> list[int]:
    """The best of `docs` for each of the `limit` best articles, best first.

    The best sections are nearly always among the top few times `limit` sections, so only those
    are sorted; more are looked at only when they hold fewer than `limit` articles.
    """
    size = limit * 4
    while True:
        sample = heapq.nlargest(size, docs, key=scores.__getitem__)
        best, seen = [], set()
        for doc in sample:
            if article_of[doc] not in seen:
                seen.add(article_of[doc])
                best.append(doc)
                if len(best) == limit:
                    return best
        if len(sample) == len(docs):
            return best
        size *= 4


def _candidates(scorer: _Scorer, selective: float, allowed: set[int] | None,
                excluded: Collection[int]) -> tuple[list[int], dict[int, float]]:
    """The concepts that find candidates, and the candidates with their scores from those concepts.

    Required concepts (codes, quoted phrases) must all match; otherwise any selective concept
    will do, or the rarest concept when none is selective.
    """
    frequency = scorer.frequency
    required = [i for i, concept in enumerate(scorer.plan.concepts) if concept.required and frequency[i]]
    if required:
        docs = sorted(_intersect(scorer, required))
        partial: dict[int, float] = dict.fromkeys(docs, 0.0)
        for i in required:
            _add(partial, scorer.concept_scores(i, docs))
        essential = required
    else:
        matching = [i for i in range(len(frequency)) if frequency[i]]
        essential = [i for i in matching if frequency[i] <= selective] or sorted(matching, key=frequency.__getitem__)[:1]
        partial = dict(scorer.concept_scores(essential[0])) if essential else {}  # a copy: it is added to
        for i in essential[1:]:
            _add(partial, scorer.concept_scores(i))
    if allowed is not None or excluded:
        partial = {doc: score for doc, score in partial.items()
                   if (allowed is None or doc in allowed) and doc not in excluded}
    return essential, partial


def _weight(concept: Concept, postings: Postings, documents: int) -> float:
    """How telling a concept is: the IDF of its commonest way to match; one nothing matches weighs the most."""
    return idf(max((min((postings.frequency(t) for t in alt.terms), default=0) for alt in concept.alternatives),
                   default=0), documents)


def _score_the_rest(scorer: _Scorer, partial: dict[int, float], later: list[tuple[float, int | Term]],
                    article_of: Sequence[int], limit: int) -> tuple[Collection[int], dict[int, dict[int, float]]]:
    """Add the common concepts and pairs (`later`, by upper bound) to the candidates that can still make the top.

    Before each, a candidate whose score plus everything still to come stays under the
    `limit`-th best article's score so far is dropped: it can no longer reach the page.
    Returns the remaining candidates and each concept's scores among them.
    """
    found: dict[int, dict[int, float]] = {}
    survivors: Collection[int] = partial.keys()
    for position, (_, item) in enumerate(later):
        top = _top_articles(partial, survivors, article_of, limit)
        floor = (partial[top[-1]] if len(top) == limit else 0.0) - sum(bound for bound, _ in later[position:])
        survivors = sorted(doc for doc in survivors if partial[doc] >= floor)
        if isinstance(item, int):
            found[item] = scorer.concept_scores(item, survivors)
            _add(partial, found[item])
        else:
            _add(partial, scorer.bonus_scores(survivors, [item]))
    return survivors, found


def rank(plan: Plan, postings: Postings, article_of: Sequence[int], limit: int,
         allowed: set[int] | None = None, excluded: Collection[int] = frozenset()) -> Ranking:
    """The best section of each matching article, best article first, and how many articles match.

    Every concept and word pair adds its BM25 score where it matches (see `_candidates` for
    which sections are considered); `total` counts the articles among the candidates, the list
    a customer could page through. `allowed` restricts the search to some sections (a product
    filter); `excluded` sections (deleted by an incremental update but still in their segment)
    never match.
    """
    concepts = plan.concepts
    documents = max(postings.documents, 1)
    weights = tuple(_weight(concept, postings, documents) for concept in concepts)
    scorer = _Scorer(plan, postings)
    selective = max(MIN_SELECTIVE, SELECTIVE_SHARE * documents)
    essential, partial = _candidates(scorer, selective, allowed, excluded)
    if not partial:
        return Ranking(weights=weights)
    rare_pairs = [term for term in plan.bonus if postings.frequency(term) <= selective]
    _add(partial, scorer.bonus_scores(sorted(partial), rare_pairs))
    later: list[tuple[float, int | Term]] = [(scorer.upper_bound(i), i) for i in range(len(concepts))
                                             if i not in essential and scorer.frequency[i]]
    later += [(plan.bonus_weight * postings.upper_bound(term), term) for term in plan.bonus
              if term not in rare_pairs and postings.frequency(term)]
    later.sort(key=lambda item: item[0], reverse=True)
    survivors, found = _score_the_rest(scorer, partial, later, article_of, limit)

    def matches(index: int, doc: int) -> bool:
        if index in found:
            return doc in found[index]
        if index in scorer.whole:
            return doc in scorer.whole[index]
        return bool(scorer.frequency[index])  # a required concept, which every candidate has

    hits = []
    for doc in _top_articles(partial, survivors, article_of, limit):
        matched = tuple(weights[i] if matches(i, doc) else 0.0 for i in range(len(concepts)))
        hits.append(Ranked(doc=doc, score=partial[doc], coverage=sum(matched) / (sum(weights) or 1.0), matched=matched))
    return Ranking(hits=hits, total=len(set(map(article_of.__getitem__, partial))), weights=weights)
