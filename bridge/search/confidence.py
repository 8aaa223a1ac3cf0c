"""Whether the best result really answers the query, for "confident" in the search response.

A score cut-off cannot tell: BM25 scores of a refund question and of a real problem overlap, and
they grow with the number of words. What separates them is how much of the query the best
article covers, weighted by how telling each word is (IDF), and whether those words are what the
article is about (its title or heading) rather than passing mentions in its body. The shape of
the list helps when coverage is partial: a clear leader whose neighbours agree on a product
points at an answer; a flat list spread over products points at none.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Fitted on benchmarks/relevance/queries.yml and holdout.yml together (155 answerable, 35
# unanswerable queries): the rounded values with the fewest answerable queries called unsure while
# at least two thirds of the unanswerable ones are. Customers' own words leave much of a query
# uncovered even by the right article, so the bar for "most of the query" is low; unseen.yml
# checks the fit on queries it was not fitted to (benchmarks/RESULTS.md).
FULL_COVERAGE = 0.75
PARTIAL_COVERAGE = 0.35
TOPIC_COVERAGE = 0.2
CLEAR_LEAD = 1.25
SAME_PRODUCT = 0.4
NEIGHBOURS = 5


@dataclass(frozen=True)
class Evidence:
    """What the ranking knows about its best article and the list under it."""

    coverage: float
    topic_coverage: float
    scores: Sequence[float]
    products: Sequence[str]
    guessed: bool = False


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
