"""From the fused ranking to what the customer sees: the hits with their snippets, and `confident`.

All read the sections' stored fields, so they run under the generation's lock.
"""
from __future__ import annotations

from bridge.search.confidence import NEIGHBOURS, SMALL_HELP_CENTRE, Evidence, is_confident
from bridge.search.fusion import Fused
from bridge.search.generation import Generation, GenerationPostings, stem_word
from bridge.search.planner import PAIRS, QueryPlan
from bridge.search.query import ParsedQuery
from bridge.search.ranking import Ranked, Ranking
from bridge.search.snippets import snippet, word_pattern
from bridge.search.types import Hit


def articles_first(generation: Generation, postings: GenerationPostings, query: ParsedQuery,
                   fused: list[Fused]) -> list[Fused]:
    """The fused list with listing pages (the home page, a section's page) after every article.

    A listing page names every article's subject (and an error code as an example) in passing,
    so it matches many queries without answering them. Asked for by name ("getting support",
    "what is ledger": every topic word in its title), it is the answer and keeps its place.
    """
    topic = set() if query.codes else generation.words(" ".join(query.topic_words))

    def after_articles(item: Fused) -> bool:
        return bool(generation.listing[item.doc]) and not (
            topic and topic <= generation.words(postings.stored(item.doc)["title"]))

    return [item for item in fused if not after_articles(item)] + [item for item in fused if after_articles(item)]


def marked_words(planned: QueryPlan, postings: GenerationPostings) -> frozenset[str]:
    """Index words to highlight: every concept's variants, and the parts of a code or phrase (no stop words)."""
    words = set()
    for concept in planned.plan.concepts:
        for alternative in concept.alternatives:
            for term in alternative.terms:
                words.update(term.text.split("-") if term.field == PAIRS else (term.text,))
    return frozenset(word for word in words if not postings.is_stop(word))


def hits(postings: GenerationPostings, planned: QueryPlan, fused: list[Fused]) -> list[Hit]:
    """The fused articles as the API shows them, the query's words marked in each snippet."""
    marked = marked_words(planned, postings)
    candidates = word_pattern(word[:-1] if word.endswith("i") else word for word in marked)
    shown = []
    for item in fused:
        fields = postings.stored(item.doc)
        shown.append(Hit(title=fields["title"], url=fields["url"], section=fields["section"],
                         snippet=snippet(fields["body"], candidates,
                                         lambda word: word in marked or stem_word(word) in marked),
                         score=round(item.score, 4), product=fields["product"], type=fields["type"]))
    return shown


def confident(generation: Generation, postings: GenerationPostings, query: ParsedQuery, planned: QueryPlan,
              words: Ranking, closest: int | None, cosine: float) -> bool:
    """Whether the results answer the query, from the closest section's (`closest`) cosine and the word ranking."""
    literal = len(query.topic_words) <= 1 or bool(query.codes)
    if not words.hits:
        return is_confident(Evidence(cosine=cosine, literal=literal))
    best: Ranked = words.hits[0]
    if not literal:
        agree = closest is not None and generation.article_of[closest] == generation.article_of[best.doc]
        return is_confident(Evidence(cosine=cosine, coverage=best.coverage, agree=bool(agree),
                                     small=generation.article_count <= SMALL_HELP_CENTRE))
    top = [postings.stored(hit.doc) for hit in words.hits[:NEIGHBOURS]]
    in_title = generation.title_terms(f"{top[0]['title']}\n{top[0]['section']}")
    in_heading = [weight for concept, weight, matched in zip(planned.plan.concepts, words.weights, best.matched)
                  if matched and any(all(term.text in in_title for term in alternative.terms)
                                     for alternative in concept.alternatives)]
    return is_confident(Evidence(
        coverage=best.coverage,
        topic_coverage=sum(in_heading) / (sum(words.weights) or 1.0),
        scores=[hit.score for hit in words.hits[:NEIGHBOURS]],
        products=[fields["product"] for fields in top],
        guessed=any(best.matched[i] for i in planned.guessed),
        cosine=cosine,
        literal=literal,
    ))
