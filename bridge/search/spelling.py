"""Typo tolerance: how far a misspelt word may be from the word meant, and which word that is.

As Algolia does by default, a word of 4 to 7 letters may be one edit away from an indexed word
and a word of 8 letters or more two edits; shorter words, anything with a digit (codes,
versions) and words longer than `MAX_TYPO_LETTERS` are taken as typed. Among the words in
reach, the closest wins, then the one found in the most sections.

Candidates one edit away are generated from the typed word and looked up in the index's
vocabulary (a set in memory), far cheaper than walking the on-disk term list
(benchmarks/relevance/EXPERIMENTS.md, "Speed"). Two edits are tried only when no word is one edit
away (most typos are one), and the second edit is then a deletion or a swap of neighbours (a
doubled or swapped letter on top of another slip). Generating those strings grows with the square
of the word's length (tens of thousands of lookups for 20 letters, the cost anyone could make a
search pay five times over); instead RapidFuzz compares the word, in C, with the indexed words of
nearby length, and the few close enough are kept when they are in that reach (decision 0007).
A word longer than any a customer misspells (a pasted token) is not expanded.
Any two edits would also turn real words the index lacks into wrong ones ("overnight" into
"overweight"), and allowing them changed no typo query of the relevance sets.
"""
from __future__ import annotations

from collections.abc import Iterable
from string import ascii_lowercase

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

ONE_TYPO_FROM = 4
TWO_TYPOS_FROM = 8
# "internationalisation" has 20 letters; no word longer than that is looked up for typos.
MAX_TYPO_LETTERS = 20


def typos_allowed(word: str) -> int:
    """The edit distance allowed for `word`: 0, 1 or 2."""
    if not word.isalpha() or not ONE_TYPO_FROM <= len(word) <= MAX_TYPO_LETTERS:
        return 0
    return 2 if len(word) >= TWO_TYPOS_FROM else 1


def _deletes_and_swaps(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({left + right[1:] for left, right in splits if right}
            | {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1})


def _one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (_deletes_and_swaps(word)
            | {left + letter + right[1:] for left, right in splits if right for letter in ascii_lowercase}
            | {left + letter + right for left, right in splits for letter in ascii_lowercase})


def _inserts_and_swaps(word: str, letters: Iterable[str]) -> set[str]:
    """The strings one insertion of `letters` or one swap of neighbours from `word`: what a deletion or swap undoes."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({left + letter + right for left, right in splits for letter in letters}
            | {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1})


class Vocabulary:
    """The index's words: a set for the one-edit lookups, and lists by length for the two-edit comparison."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words = frozenset(words)
        self._by_length: dict[int, list[str]] = {}
        for word in self._words:
            self._by_length.setdefault(len(word), []).append(word)

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def __len__(self) -> int:
        return len(self._words)

    def within_two_edits(self, word: str) -> list[str]:
        """Every word within two edits (insertions, deletions, substitutions, swaps) of `word`, and a few more.

        A swap is two Levenshtein edits, so two edits are at most four: RapidFuzz's bit-parallel
        Levenshtein finds them all, over the words one letter longer to two shorter.
        """
        nearby = [known for length in range(len(word) - 2, len(word) + 2) for known in self._by_length.get(length, ())]
        return [known for known, _, _ in process.extract(word, nearby, scorer=Levenshtein.distance,
                                                           score_cutoff=4, limit=None)]


def variants(word: str, distance: int, known: Vocabulary) -> set[str]:
    """Known words one edit from `word`; if there are none and `distance` allows, one edit and a deletion or swap away.

    A word within two edits is in that reach when one of the strings a deletion or swap makes it
    from (`_inserts_and_swaps`) is one edit from `word`; the letters inserted are those a first
    edit can bring: the alphabet's and the typed word's own.
    """
    near = _one_edit(word)
    found = {candidate for candidate in near if candidate in known} - {word}
    if not found and distance > 1:
        letters = set(ascii_lowercase) | set(word)
        found = {candidate for candidate in known.within_two_edits(word)
                 if candidate != word and not near.isdisjoint(_inserts_and_swaps(candidate, letters))}
    return found


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (a swap of neighbours is one edit), as the index's fuzzy lookup counts."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def closest(word: str, candidates: Iterable[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
    """Up to `limit` (candidate, distance) pairs from (candidate, frequency) pairs, best first."""
    ranked = sorted(((edit_distance(word, candidate), -frequency, candidate)
                     for candidate, frequency in candidates if candidate != word and frequency > 0))
    return [(candidate, distance) for distance, _, candidate in ranked[:limit]]
