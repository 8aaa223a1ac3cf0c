"""What a customer typed, turned into words and phrases the engine can look up.

Customers paste error messages with colons, brackets and quotes; none of that may reach the
engine's own query syntax, so parsing here is deliberately plain: quoted text is a phrase,
everything else is a word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_LENGTH = 256

QUOTED = re.compile(r'"([^"]*)"')
WORD = re.compile(r"\w+(?:[.\-/']\w+)*")


class QueryError(ValueError):
    """The query cannot be searched; the message is shown to the client."""


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()

    @property
    def all_words(self) -> tuple[str, ...]:
        """Every word, in or out of a phrase, for highlighting and spelling."""
        return self.words + tuple(word for phrase in self.phrases for word in phrase)


def normalise(raw: str) -> str:
    """The query as we record and echo it: trimmed, single spaces, lower case."""
    return " ".join(raw.split()).lower()


def parse_query(raw: str | None) -> ParsedQuery:
    """Split a query into words and quoted phrases; raises QueryError for blank or over-long input."""
    if raw is None or not raw.strip():
        raise QueryError("q is required: type a few words to search for")
    if len(raw) > MAX_QUERY_LENGTH:
        raise QueryError(f"q is too long: at most {MAX_QUERY_LENGTH} characters")
    text = normalise(raw)
    phrases = tuple(
        tuple(WORD.findall(quoted)) for quoted in QUOTED.findall(text) if len(WORD.findall(quoted)) > 1
    )
    single_quoted = [WORD.findall(quoted) for quoted in QUOTED.findall(text) if len(WORD.findall(quoted)) == 1]
    words = tuple(WORD.findall(QUOTED.sub(" ", text))) + tuple(w for ws in single_quoted for w in ws)
    if not words and not phrases:
        raise QueryError("q has no words to search for")
    return ParsedQuery(text=text, words=words, phrases=phrases)
