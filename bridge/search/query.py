"""What a customer typed, turned into words, phrases and error codes the engine can look up.

Customers paste error messages with colons, brackets and quotes; none of that may reach the
engine's own query syntax, so parsing here is deliberately plain: quoted text is a phrase,
a run of code-like words (`0x800CCC0E`, `550 5.7.1`, `LDG-4012`) is an error code that must be
matched whole, and everything else is a word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_LENGTH = 256
# The sentence model's cost grows with the text it reads; customers' queries in our query sets
# are at most 150 characters, so the rest of a longer one is left to the words.
MEANING_CHARACTERS = 150
# Longer "words" are noise to the sentence model. Pasted identifiers are not: error names such as
# FAILED_TO_AUTO_DISCOVER_DOMAIN or Microsoft.Exchange.Data.Storage.QuotaExceededException run past
# the 20 letters a typed word is looked up to, and the model placed their articles first.
MEANING_WORD_LETTERS = 64

QUOTED = re.compile(r'"([^"]*)"')
WORD = re.compile(r"\w+(?:[.\-/']\w+)*")
DIGIT = re.compile(r"\d")
LETTER = re.compile(r"[^\W\d_]")
# Five or more digits in a row is an identifier (an event ID, a KB number), not a count or a year.
LONG_NUMBER = re.compile(r"^\d{5,}$")

# How customers phrase a question, not what it is about: "how do I", "why does my", "can't I".
# Help articles are written in the second person, so "my" or "me" would otherwise look rare and
# important. They are left out of the search unless the query has nothing else.
QUESTION_WORDS = frozenset(" ".join((
    "how what why where when who which whom whose",
    "i i'm im me my mine myself we us our ours you your yours",
    "do does did doing done is isn't are aren't was wasn't were be been am",
    "can can't cant could couldn't would wouldn't should shouldn't won't wont",
    "don't dont doesn't doesnt didn't didnt haven't hasn't",
    "please get gets getting got want wants need needs",
    "there here still just any anyone someone something so very really but also too then than all every after again",
)).split())


class QueryError(ValueError):
    """The query cannot be searched; the message is shown to the client."""


def is_code(word: str) -> bool:
    """An error code or identifier: digits with letters or dots (`0x8004010f`, `5.7.1`, `aadsts50020`), or a long number."""
    if not DIGIT.search(word):
        return False
    return bool(LETTER.search(word)) or "." in word or "-" in word or bool(LONG_NUMBER.match(word))


@dataclass(frozen=True)
class ParsedQuery:
    """`text` is the query as recorded and searched (lower case); `typed` keeps the customer's case, for "did you mean"."""

    text: str
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()
    typed: str = ""

    @property
    def all_words(self) -> tuple[str, ...]:
        """Every word, in or out of a phrase, for highlighting and spelling."""
        return self.words + tuple(word for phrase in self.phrases for word in phrase)

    @property
    def codes(self) -> tuple[tuple[str, ...], ...]:
        """Runs of adjacent words that form one error code, such as ("550", "5.7.1").

        A number next to a code belongs to it (the SMTP status before an enhanced code);
        a run without a code-like word (a year, a count) is not a code.
        """
        runs: list[tuple[str, ...]] = []
        run: list[str] = []
        for word in (*self.words, ""):
            if word and (is_code(word) or word.isdigit()):
                run.append(word)
                continue
            if any(is_code(part) for part in run):
                runs.append(tuple(run))
            run = []
        return tuple(runs)

    @property
    def meaning_text(self) -> str:
        """What the sentence model reads: the query without words longer than any a customer types or pastes, cut at a word.

        A 256-letter "word" costs the model as much as a long section and means nothing to it.
        """
        kept = " ".join(word for word in self.text.split() if len(word) <= MEANING_WORD_LETTERS)
        return kept if len(kept) <= MEANING_CHARACTERS else kept[:MEANING_CHARACTERS + 1].rsplit(" ", 1)[0]

    @property
    def topic_words(self) -> tuple[str, ...]:
        """The words outside codes that say what the query is about (question words left out)."""
        in_codes = {word for code in self.codes for word in code}
        words = tuple(word for word in self.words if word not in in_codes)
        topical = tuple(word for word in words if word not in QUESTION_WORDS)
        return topical if topical or self.codes or self.phrases else words


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
    return ParsedQuery(text=text, words=words, phrases=phrases, typed=" ".join(raw.split()))
