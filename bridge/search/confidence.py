"""Whether the best result really answers the query, for "confident" in the search response.

A score cut-off cannot tell: BM25 scores of a refund question and of a real problem overlap, and
they grow with the number of words. Two signals can, each where it knows more:

- For a sentence, how close in meaning the closest section is (the cosine of the sentence
  vectors): a refund question or another vendor's product lands far from every article, a
  symptom in the customer's own words lands near the one that describes it.
- For one word or an error code, the sentence model has too little to go on (it has never seen
  "scanpst" or "0xCAA50021"), so the words decide: how much of the query the best article
  covers, weighted by how telling each word is (IDF), and whether those words are what the
  article is about (its title or heading) rather than passing mentions in its body. The shape
  of the list helps when coverage is partial: a clear leader whose neighbours agree on a
  product points at an answer; a flat list spread over products points at none.

On a small help centre (a few hundred articles) the closest section to a real question is
less close than on a large one: the best of a hundred cosines is lower than the best of ten
thousand, and the cosine bar was set on the large one. There, a sentence also counts as
answered when both rankings put the same article first, its words cover a good part of the
query, and it is still fairly close in meaning.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The word thresholds are the rounded values that call the fewest answerable queries unsure while
# at least two thirds of the unanswerable ones are (fitted on queries.yml and holdout.yml; how, in
# benchmarks/relevance/EXPERIMENTS.md, session 2). Customers' own words leave much of a query
# uncovered even by the right article, so the bar for "most of the query" is low. The cosine was
# picked on the seen sets (session 5) and judged once on a blind one (benchmarks/RESULTS.md).
FULL_COVERAGE = 0.75
PARTIAL_COVERAGE = 0.35
TOPIC_COVERAGE = 0.2
CLEAR_LEAD = 1.25
SAME_PRODUCT = 0.4
NEIGHBOURS = 5
CONFIDENT_COSINE = 0.55
# Most companies' help centres have 20-300 articles; the shared corpus the other values were set on has 2,459.
SMALL_HELP_CENTRE = 500
# Chosen from the small-help-centre questions of issue 13, whose right answers came first at cosines 0.47-0.55.
SMALL_CONFIDENT_COSINE = 0.45


@dataclass(frozen=True)
class Evidence:
    """What the rankings know about the best results; `literal` marks a query of one word or with an error code.

    The word fields default to no evidence: for a sentence only the cosine is read, and on a
    small help centre (`small`) also whether both rankings agree on the best article (`agree`)
    and how much of the query its words cover.
    """

    coverage: float = 0.0
    topic_coverage: float = 0.0
    scores: Sequence[float] = ()
    products: Sequence[str] = ()
    guessed: bool = False
    cosine: float = 0.0
    literal: bool = False
    agree: bool = False
    small: bool = False


def lead(scores: Sequence[float]) -> float:
    """How far the best score is ahead of the fifth (or last) one."""
    if not scores:
        return 0.0
    rest = scores[min(len(scores), NEIGHBOURS) - 1]
    return scores[0] / rest if rest > 0 else float("inf")


def agreement(products: Sequence[str]) -> float:
    """Share of the top results on the best result's product."""
    top = products[:NEIGHBOURS]
    return sum(product == top[0] for product in top) / len(top) if top else 0.0


def is_confident(evidence: Evidence) -> bool:
    """True when the closest section is close in meaning, or, for a literal query, when the words answer it."""
    if evidence.literal:
        return words_answer(evidence)
    return evidence.cosine >= CONFIDENT_COSINE or (
        evidence.small and evidence.agree and evidence.coverage >= PARTIAL_COVERAGE
        and evidence.cosine >= SMALL_CONFIDENT_COSINE)


def words_answer(evidence: Evidence) -> bool:
    """True when the best article covers the query and is about it.

    Nearly full coverage is an answer (a word only guessed from a typo must then be in the
    title or heading). Coverage of most of the query is one only when those words are the
    article's topic and the list agrees: a clear leader, or neighbours on the same product.
    Less than that is not an answer, however high the score.
    """
    if not evidence.scores or evidence.coverage < PARTIAL_COVERAGE:
        return False
    about_it = evidence.topic_coverage >= TOPIC_COVERAGE
    if evidence.coverage >= FULL_COVERAGE:
        return about_it or not evidence.guessed
    return about_it and (lead(evidence.scores) >= CLEAR_LEAD or agreement(evidence.products) >= SAME_PRODUCT)
