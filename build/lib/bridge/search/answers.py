"""From the fused ranking to what the customer sees: the hits with their snippets, and `confident`.

Both read the sections' stored fields, so they run under the generation's lock; neither ranks.
"""
from __future__ import annotations

from bridge.search.confidence import NEIGHBOURS, Evidence, is_confident
from bridge.search.fusion import Fused
from bridge.search.generation import Generation, GenerationPostings, stem_word
from bridge.search.planner import PAIRS, QueryPlan
from bridge.search.query import ParsedQuery
from bridge.search.ranking import Ranked, Ranking
from bridge.search.snippets import snippet, word_pattern
from bridge.search.types import Hit


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
              words: Ranking, cosine: float) -> bool:
    """Whether the results answer the query, from the closest section's cosine and the word ranking's evidence."""
    literal = len(query.topic_words) <= 1 or bool(query.codes)
    if not literal or not words.hits:  # the word evidence decides only for a literal query: not read otherwise
        return is_confident(Evidence(cosine=cosine, literal=literal))
    best: Ranked = words.hits[0]
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
