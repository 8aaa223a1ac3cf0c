"""Which articles a rebuild must re-index: content hashes of the previous build against this one.

An article's hash covers every field of every one of its sections, in order, so any change to
what a page renders into (text, heading, tags, a section added or removed) changes the hash.
How sections become index documents is covered once for the whole index, by the fingerprint
the index writer stores beside the hashes.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bridge.search.types import Section

FIELD_SEPARATOR, SECTION_SEPARATOR = "\x1f", "\x1e"


def article_hashes(sections: Iterable[Section]) -> dict[str, str]:
    """sha256 per article URL over the fields of its sections.

    Field values are joined with ASCII separators rather than serialised as JSON, which is much
    faster, and the hashing runs over every section on every build.
    """
    serialised: dict[str, list[str]] = {}
    for section in sections:
        serialised.setdefault(section.article_url, []).append(FIELD_SEPARATOR.join(map(str, vars(section).values())))
    return {article: hashlib.sha256(SECTION_SEPARATOR.join(lines).encode()).hexdigest()
            for article, lines in serialised.items()}


@dataclass(frozen=True)
class ArticleChanges:
    """Article URLs that differ between the previous build and this one."""

    changed: frozenset[str] = frozenset()
    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()

    @classmethod
    def between(cls, before: Mapping[str, str], after: Mapping[str, str]) -> ArticleChanges:
        return cls(
            changed=frozenset(url for url, digest in after.items() if url in before and before[url] != digest),
            added=frozenset(after.keys() - before.keys()),
            removed=frozenset(before.keys() - after.keys()),
        )

    @property
    def to_delete(self) -> frozenset[str]:
        return self.changed | self.removed

    @property
    def to_add(self) -> frozenset[str]:
        return self.changed | self.added

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True)
class IndexUpdate:
    """What one build did to the index, for the build log and the generation's metadata.

    `full_reason` says why every section was indexed afresh (None for an incremental build);
    `generation` is None when nothing changed, so no new generation was written; `encoded`
    counts the section texts the sentence model encoded (the others came from the vector cache);
    `from_kept` when the build started from the index kept in the cache folder, not its own.
    """

    changes: ArticleChanges
    documents: int
    articles: int
    seconds: float
    generation: Path | None
    full_reason: str | None = None
    synonyms_changed: bool = False
    encoded: int = 0
    from_kept: bool = False

    def summary(self) -> str:
        """One log line, e.g. "1 article changed, 0 added, 0 removed; index step 0.42 s"."""
        if self.full_reason:
            done = (f"full rebuild ({self.full_reason}): {_plural(self.documents, 'section')} "
                    f"of {_plural(self.articles, 'article')}")
        else:
            done = (f"{_plural(len(self.changes.changed), 'article')} changed, "
                    f"{len(self.changes.added)} added, {len(self.changes.removed)} removed")
            if self.synonyms_changed:
                done += ", synonyms changed"
            if self.from_kept:
                done += " since the index kept in KB_CACHE_DIR"
            if self.generation is None:
                done += "; nothing to publish, the current index stays"
        if self.generation is not None:
            done += f"; {_plural(self.encoded, 'section')} encoded"
        return f"{done}; index step {self.seconds:.2f} s"
