"""Typo tolerance: how far a misspelt word may be from the word meant, and which word that is.

As Algolia does by default, a word of 4 to 7 letters may be one edit away from an indexed word
and a word of 8 letters or more two edits; shorter words, anything with a digit (codes,
versions) and words longer than `MAX_TYPO_LETTERS` are taken as typed. Among the words in
reach, the closest wins, then the one found in the most sections.

Candidates are generated from the typed word and looked up in the index's vocabulary (a set in
memory), far cheaper than walking the on-disk term list (benchmarks/relevance/EXPERIMENTS.md,
"Speed"). Two edits are tried only when no word is one edit away (most typos are one), and the
second edit is then a deletion or a swap of neighbours (a doubled or swapped letter on top of
another slip), which keeps the lookups in the thousands rather than the hundreds of thousands.
Their number still grows with the square of the word's length, so a word longer than any a
customer misspells (a pasted token, or one typed to slow the search down) is not expanded.
Any two edits would also turn real words the index lacks into wrong ones ("overnight" into
"overweight"), and allowing them changed no typo query of the relevance sets.
"""
from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from string import ascii_lowercase

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


def never() -> bool:
    """A `give_up` for lookups nobody limits."""
    return False


def variants(word: str, distance: int, known: Container[str], give_up: Callable[[], bool] = never) -> set[str]:
    """Known words one edit from `word`; when there are none and `distance` allows, two edits away.

    The second edit is tried from each first-edit candidate in turn until `give_up()` says the
    search has no time left; the words found by then are returned.
    """
    near = _one_edit(word)
    found = {candidate for candidate in near if candidate in known} - {word}
    if not found and distance > 1:
        for first in near:
            if give_up():
                break
            found.update(candidate for candidate in _deletes_and_swaps(first) if candidate in known)
        found.discard(word)
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
