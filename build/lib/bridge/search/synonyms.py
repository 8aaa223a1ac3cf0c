"""The writers' synonyms (`kb/synonyms.yml`): groups of words and phrases customers use for one thing.

A query that contains any entry of a group also finds articles that use another entry, so
"log in" finds the article that only says "sign in". The file travels with each index
generation, so a query is expanded with the synonyms of the index it runs against. Entries are
compared as normalised tokens (the index's own tokenising and stemming, passed in by the
reader), so "logging in" matches the entry "log in" and "e-mail" matches "e-mail".
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

Tokens = tuple[str, ...]


class SynonymsError(ValueError):
    """The synonyms file is not a list of groups of words; the message says where."""


@dataclass(frozen=True)
class SynonymMatch:
    """An entry found in the query (tokens `start` to `end`) and the other entries of its group."""

    start: int
    end: int
    entry: Tokens
    others: tuple[Tokens, ...]


class Synonyms:
    """Groups of interchangeable token sequences, looked up longest entry first."""

    def __init__(self, groups: Sequence[Sequence[Tokens]]) -> None:
        self._groups: dict[Tokens, tuple[Tokens, ...]] = {}
        for group in groups:
            entries = tuple(dict.fromkeys(entry for entry in group if entry))
            for entry in entries:
                others = tuple(other for other in entries if other != entry)
                self._groups[entry] = tuple(dict.fromkeys(self._groups.get(entry, ()) + others))
        self._longest = max((len(entry) for entry in self._groups), default=0)

    def __len__(self) -> int:
        return len(self._groups)

    def matches(self, tokens: Tokens) -> list[SynonymMatch]:
        """Non-overlapping entries in `tokens`, scanning left to right and preferring the longest."""
        found, position = [], 0
        while position < len(tokens):
            for size in range(min(self._longest, len(tokens) - position), 0, -1):
                entry = tokens[position:position + size]
                if entry in self._groups:
                    found.append(SynonymMatch(position, position + size, entry, self._groups[entry]))
                    position += size
                    break
            else:
                position += 1
        return found


def parse_groups(data: object, normalise: Callable[[str], Tokens]) -> list[list[Tokens]]:
    """The groups in a loaded YAML document: a list of lists of strings."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise SynonymsError("the file must be a list of groups, e.g. `- [sign in, log in, login]`")
    groups = []
    for number, group in enumerate(data, start=1):
        if not is_group(group):
            raise SynonymsError(f"group {number} {GROUP_RULE}, got {group!r}")
        groups.append([normalise(entry) for entry in group])
    return groups


GROUP_RULE = "must be a list of at least two words or phrases"


def is_group(group: object) -> bool:
    """True for a synonym group as writers must write it: a list of two or more strings."""
    return isinstance(group, list) and len(group) >= 2 and all(isinstance(entry, str) and entry.strip() for entry in group)


def load_synonyms(path: Path, normalise: Callable[[str], Tokens]) -> Synonyms:
    """The synonyms in `path`; none when the file is missing or broken (a bad file must not stop search)."""
    if not path.is_file():
        return Synonyms([])
    try:
        return Synonyms(parse_groups(yaml.safe_load(path.read_text(encoding="utf-8")), normalise))
    except (yaml.YAMLError, SynonymsError) as exc:
        log.warning("ignoring synonyms in %s: %s", path, exc)
        return Synonyms([])
