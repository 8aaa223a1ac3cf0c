"""From a parsed query to a search plan: concepts with their synonyms, spelling variants and codes.

Everything the customer typed becomes a concept, matched in the index's own terms: an error
code must match whole (its parts adjacent, as a pair), a synonym group matches any of its
entries, and a word that is in no article (or in almost none, next to a common word one typo
away) also matches the indexed words within reach, shown as "did you mean" but never silently
replacing what was typed. Adjacent words become pairs that reward sections keeping them together.
Looking a word up for typos is the costly part of planning, so only the first `TYPO_WORDS`
words that need it are, and none once the search's time budget is spent.
The index is reached through the `Lexicon` protocol, so this module never imports the engine.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bridge.search.budget import Budget, unlimited
from bridge.search.query import ParsedQuery
from bridge.search.ranking import Alternative, Concept, Plan, Term
from bridge.search.spelling import closest, typos_allowed
from bridge.search.synonyms import Synonyms

CONTENT, PAIRS = "content", "pairs"
SYNONYM_WEIGHT = 0.9
FUZZY_WEIGHTS = {1: 0.8, 2: 0.6}
FUZZY_VARIANTS = 3
# Pairs of adjacent query words found together in a section add this share of their BM25 score.
PAIR_WEIGHT = 0.5
# A word in at most this many sections, a typo or two from a word in many more, is taken as a typo.
RARE_WORD = 3
COMMON_NEIGHBOUR = 30
# Words of one query looked up for typos; customers' queries rarely hold more than four typos.
TYPO_WORDS = 5


class Lexicon(Protocol):
    """What planning needs to know about the index's words."""

    def tokens(self, text: str) -> list[tuple[str, str]]:
        """(as typed, as indexed) for each token of `text`, lower case, stop words kept."""

    def is_stop(self, word: str) -> bool:
        """True when the index leaves the word out of `content`."""

    def frequency(self, term: Term) -> int:
        """Sections containing the term."""

    def word_frequency(self, word: str) -> int:
        """Sections containing the word as typed (not stemmed)."""

    def similar_words(self, word: str, distance: int) -> list[tuple[str, int]]:
        """Indexed words (as typed) within `distance` edits, with how many sections hold each."""


@dataclass(frozen=True)
class QueryPlan:
    """The plan, the "did you mean" text, and which concepts were matched only through spelling variants."""

    plan: Plan
    suggestion: str | None
    guessed: frozenset[int]


def pair_terms(tokens: Sequence[str]) -> tuple[Term, ...]:
    """The `pairs` terms of adjacent tokens, as the index's BiWordFilter writes them."""
    return tuple(Term(PAIRS, f"{first}-{second}") for first, second in zip(tokens, tokens[1:]))


def _alternative(lexicon: Lexicon, tokens: Sequence[tuple[str, str]], weight: float) -> Alternative:
    """All of a (multi-word) entry: its words in `content` and, for several words, its pairs."""
    words = tuple(Term(CONTENT, stem) for typed, stem in tokens if not lexicon.is_stop(typed))
    return Alternative(words + pair_terms([stem for _, stem in tokens]), weight)


class _Planner:
    """Collects the concepts of one query, in the order codes, quoted phrases, words."""

    def __init__(self, query: ParsedQuery, lexicon: Lexicon, synonyms: Synonyms, budget: Budget) -> None:
        self.query, self.lexicon, self.synonyms, self.budget = query, lexicon, synonyms, budget
        self.typo_lookups = 0
        self.concepts: list[Concept] = []
        self.corrections: dict[str, str] = {}
        self.guessed: set[int] = set()

    def codes_and_phrases(self) -> None:
        """Error codes and quoted phrases: required, with their parts adjacent (as pairs)."""
        for words in (*self.query.codes, *self.query.phrases):
            tokens = self.lexicon.tokens(" ".join(words))
            self.concepts.append(Concept(" ".join(words), (_alternative(self.lexicon, tokens, 1.0),), required=True))

    def words(self) -> list[str]:
        """Concepts for the topic words; returns the stems in order, for the proximity pairs."""
        tokens = [token for word in self.query.topic_words for token in self.lexicon.tokens(word)]
        stems = tuple(stem for _, stem in tokens)
        covered: set[int] = set()
        for match in self.synonyms.matches(stems):
            entry = tokens[match.start:match.end]
            alternatives = [_alternative(self.lexicon, entry, 1.0)]
            alternatives += [_alternative(self.lexicon, [(stem, stem) for stem in other], SYNONYM_WEIGHT)
                             for other in match.others]
            self.concepts.append(Concept(" ".join(typed for typed, _ in entry), tuple(alternatives)))
            covered.update(range(match.start, match.end))
        for position, (typed, stem) in enumerate(tokens):
            if position not in covered and not self.lexicon.is_stop(typed):
                self.concepts.append(self._word(typed, stem))
        return list(stems)

    def _word(self, typed: str, stem: str) -> Concept:
        """A word and, when it looks misspelt, the indexed words one or two typos away.

        A word no article contains as typed is a typo when a word within reach is; a word in a
        handful of articles is one only next to a far commoner word ("calender" beside
        "calendar"). A word within reach that stems like the typed one is another form of it,
        which the index already matches ("included" and "include"), never a correction; but a
        typed word may stem like a real word it is not ("sinc" like "since", meant "sync").
        The correction is suggested only when it finds more than what was typed.
        """
        alternatives = [Alternative((Term(CONTENT, stem),))]
        distance = typos_allowed(typed)
        seen = self.lexicon.word_frequency(typed) if distance else 0
        if distance and seen <= RARE_WORD and self._may_look_up_typos():
            nearby = self.lexicon.similar_words(typed, distance)
            variants = [(word, hops) for word, hops in closest(typed, nearby, FUZZY_VARIANTS)
                        if self._stem(word) != stem]
            if variants and (seen == 0 or self._much_commoner(variants[0][0], seen)):
                best = self._stem(variants[0][0])
                if self.lexicon.frequency(Term(CONTENT, best)) > self.lexicon.frequency(Term(CONTENT, stem)):
                    self.corrections[typed] = variants[0][0]
                stems = dict.fromkeys((self._stem(word), FUZZY_WEIGHTS[hops]) for word, hops in variants)
                alternatives += [Alternative((Term(CONTENT, variant),), weight) for variant, weight in stems]
                if not self.lexicon.frequency(Term(CONTENT, stem)):
                    self.guessed.add(len(self.concepts))
        return Concept(typed, tuple(alternatives))

    def _stem(self, word: str) -> str:
        return self.lexicon.tokens(word)[0][1]

    def _may_look_up_typos(self) -> bool:
        """True while this query has typo lookups left: fewer than `TYPO_WORDS` so far and budget left."""
        if self.typo_lookups >= TYPO_WORDS or self.budget.spent():
            return False
        self.typo_lookups += 1
        return True

    def _much_commoner(self, variant: str, seen: int) -> bool:
        return self.lexicon.word_frequency(variant) >= COMMON_NEIGHBOUR * seen

    def suggestion(self) -> str | None:
        """The query as the customer typed it, each misspelt word replaced; the other words keep their case."""
        if not self.corrections:
            return None
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, self.corrections)) + r")\b", re.IGNORECASE)
        return pattern.sub(lambda match: _same_case(match.group(1), self.corrections[match.group(1).lower()]),
                           self.query.typed or self.query.text)


def _same_case(typed: str, correction: str) -> str:
    """`correction` written as `typed` was: upper case, capitalised, or lower case."""
    if typed.isupper() and len(typed) > 1:
        return correction.upper()
    return correction.capitalize() if typed[:1].isupper() else correction


def plan_query(query: ParsedQuery, lexicon: Lexicon, synonyms: Synonyms, budget: Budget | None = None) -> QueryPlan:
    """The concepts of `query`, a proximity bonus for its adjacent words, and a suggestion for typos."""
    planner = _Planner(query, lexicon, synonyms, budget or unlimited())
    planner.codes_and_phrases()
    stems = planner.words()
    bonus = tuple(term for term, (first, second) in zip(pair_terms(stems), zip(stems, stems[1:]))
                  if not (lexicon.is_stop(first) and lexicon.is_stop(second)))
    plan = Plan(tuple(planner.concepts), tuple(dict.fromkeys(bonus)), PAIR_WEIGHT)
    return QueryPlan(plan, planner.suggestion(), frozenset(planner.guessed))
