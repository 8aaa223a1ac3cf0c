"""The values search passes around: a section to index, a hit to show, a page of results."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath


@dataclass(frozen=True)
class Section:
    """One h1/h2/h3 section of a rendered article: the unit the index stores."""

    article_url: str
    url: str
    title: str
    heading: str
    text: str
    product: str
    type: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    position: int = 0
    # A home or section page (index.md, README.md): it mostly lists other articles (see `is_listing_page`).
    listing: bool = False


@dataclass(frozen=True)
class Hit:
    """An article's best section for a query, ready for the API."""

    title: str
    url: str
    section: str
    snippet: str
    score: float
    product: str
    type: str


@dataclass(frozen=True)
class ArticleLink:
    """An article, or one of its sections, as a link in our mail shows it: title and URL as the index has them."""

    title: str
    url: str


@dataclass(frozen=True)
class SearchResults:
    """A page of hits; `confident` is False when the best hit does not really answer the query."""

    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    suggestion: str | None = None
    confident: bool = False


@dataclass(frozen=True)
class IndexInfo:
    """What `/api/health` reports about the index being served."""

    path: str
    documents: int
    articles: int
    built_at: datetime

    @property
    def generation(self) -> str:
        """The generation's folder name (`gen-<build time>`): tells builds apart without showing where the server keeps them."""
        return PurePath(self.path).name
