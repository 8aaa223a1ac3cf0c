"""The snippet under a result: the stretch of the section that holds most of the query's words.

Re-analysing the whole stored text of every hit through the index's analyzer chain (as Whoosh's
highlighter does) costs more than the search itself. Here a regular expression finds the words, a
memoised test says which are query words (the reader passes one that stems as the index does),
and a window of at most `SNIPPET_CHARS` around the densest run of matches is shown, with the
matches in `<mark>` and everything else HTML-escaped.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html import escape

SNIPPET_CHARS = 200
LEAD_CHARS = 60


def _best_window(matches: list[tuple[int, int, str]], width: int) -> int:
    """Start of the match from which a `width`-character window covers the most distinct words."""
    best_start, best_key, end = 0, (-1, -1), 0
    for start in range(len(matches)):
        while end < len(matches) and matches[end][1] - matches[start][0] <= width:
            end += 1
        words = {word for _, _, word in matches[start:end]}
        key = (len(words), end - start)
        if key > best_key:
            best_start, best_key = start, key
    return best_start


def _clip(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole words at both ends."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def word_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    """Words starting with one of `prefixes` (stems, say): a fast first pass before the exact test."""
    alternatives = "|".join(sorted(map(re.escape, set(prefixes)), key=len, reverse=True)) or r"(?!)"
    return re.compile(rf"\b(?:{alternatives})(?:\w|\.(?=\w))*", re.IGNORECASE)


def snippet(text: str, candidates: re.Pattern[str], is_match: Callable[[str], bool]) -> str:
    """At most about `SNIPPET_CHARS` characters of `text` around its query words, marked and escaped.

    `candidates` finds the words that may match (see `word_pattern`), `is_match` decides.
    """
    matches = [(found.start(), found.end(), found.group().lower())
               for found in candidates.finditer(text) if is_match(found.group().lower())]
    if not matches:
        cut = text[:SNIPPET_CHARS]
        return escape(cut if len(text) <= SNIPPET_CHARS else cut.rsplit(" ", 1)[0] + " …")
    first = matches[_best_window(matches, SNIPPET_CHARS - LEAD_CHARS)]
    start, end = _clip(text, max(0, first[0] - LEAD_CHARS), min(len(text), first[0] + SNIPPET_CHARS - LEAD_CHARS))
    parts, position = [], start
    for match_start, match_end, _ in matches:
        if match_start < start or match_end > end:
            continue
        parts.append(escape(text[position:match_start]))
        parts.append(f"<mark>{escape(text[match_start:match_end])}</mark>")
        position = match_end
    parts.append(escape(text[position:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + "".join(parts).strip() + suffix
