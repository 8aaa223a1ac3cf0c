"""Searching the index: the one module that imports Whoosh for reading.

The bridge keeps one `SearchIndex` per process. Each query checks which generation is current
(one readlink), so a rebuild is picked up without a restart and a query never sees a
half-written index.
"""
from __future__ import annotations

import threading
from datetime import datetime
from html import escape
from pathlib import Path

from whoosh import index
from whoosh.highlight import ContextFragmenter, Formatter, get_text
from whoosh.qparser import AndGroup, MultifieldParser, OrGroup
from whoosh.query import Term
from whoosh.searching import Searcher

from bridge.search.layout import current_generation, read_meta
from bridge.search.query import ParsedQuery
from bridge.search.types import Hit, IndexInfo, SearchResults

FIELD_BOOSTS = {"title": 4.0, "section": 2.0, "tags": 2.0, "summary": 1.5, "body": 1.0}
SNIPPET_CHARS = 200
CANDIDATES_PER_ARTICLE = 4


class IndexUnavailable(RuntimeError):
    """No usable index at the path; the message names it and the command that builds it."""


class _MarkFormatter(Formatter):
    """Matched terms in `<mark>`, everything else HTML-escaped."""

    between = " … "

    def format_token(self, text: str, token, replace: bool = False) -> str:  # noqa: ANN001 (Whoosh's token type)
        return f"<mark>{escape(get_text(text, token, replace))}</mark>"

    def _text(self, text: str) -> str:
        return escape(text)


class _Generation:
    """An opened index generation; searchers are per thread because Whoosh's are not shared safely."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index = index.open_dir(str(path))
        self.meta = read_meta(path)
        self._local = threading.local()
        fields, schema = list(FIELD_BOOSTS), self.index.schema
        self.all_words_parser = MultifieldParser(fields, schema, fieldboosts=FIELD_BOOSTS, group=AndGroup)
        self.any_word_parser = MultifieldParser(fields, schema, fieldboosts=FIELD_BOOSTS, group=OrGroup)
        with self.index.searcher() as searcher:
            self.products = frozenset(value.decode() if isinstance(value, bytes) else value
                                      for value in searcher.lexicon("product"))

    def searcher(self) -> Searcher:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = self.index.searcher()
        return searcher


class SearchIndex:
    """The current index under a root folder, reopened when a new generation is published."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._generation = self._open(self._current_path())

    def _current_path(self) -> Path:
        path = current_generation(self.root)
        if path is None or not path.is_dir():
            raise IndexUnavailable(
                f"no search index at {self.root}: build it with `kb build` (or `make run`), then start the bridge again"
            )
        return path

    def _open(self, path: Path) -> _Generation:
        try:
            return _Generation(path)
        except Exception as exc:  # Whoosh raises several unrelated types for a damaged index.
            raise IndexUnavailable(f"cannot read the search index at {path} ({exc}): rebuild it with `kb build`") from exc

    def _current(self) -> _Generation:
        path = current_generation(self.root)
        if path is not None and path != self._generation.path:
            with self._lock:
                if path != self._generation.path:
                    self._generation = self._open(path)
        return self._generation

    def info(self) -> IndexInfo:
        generation = self._current()
        return IndexInfo(
            path=str(generation.path),
            documents=generation.meta["documents"],
            articles=generation.meta["articles"],
            built_at=datetime.fromisoformat(generation.meta["built_at"]),
        )

    def products(self) -> frozenset[str]:
        return self._current().products

    def search(self, query: ParsedQuery, limit: int = 10, product: str | None = None) -> SearchResults:
        """The best section of each matching article, best article first.

        Articles whose sections match every word come first; only when there are fewer than
        `limit` of them does a relaxed any-word match fill the page. Whoosh answers the
        all-words query by intersecting posting lists, which is several times faster than the
        union an any-word query needs on a large help centre.
        """
        generation = self._current()
        searcher = generation.searcher()
        restrict = Term("product", product) if product else None
        query_text = " ".join(query.words + tuple(f'"{" ".join(phrase)}"' for phrase in query.phrases))
        every_word = generation.all_words_parser.parse(query_text)
        best = self._best_per_article(searcher, every_word, restrict, limit)
        total = self._count_articles(searcher, every_word, restrict) if best else 0
        if len(best) < limit and len(query.all_words) > 1:
            any_word = generation.any_word_parser.parse(query_text)
            relaxed = [hit for hit in self._best_per_article(searcher, any_word, restrict, limit)
                       if hit["article"] not in {kept["article"] for kept in best}]
            best += relaxed[: limit - len(best)]
            total += len(relaxed)
        return SearchResults(
            query=query.text,
            total=total,
            hits=[self._hit(hit) for hit in best],
            suggestion=self._suggestion(searcher, generation.any_word_parser, query_text),
        )

    @staticmethod
    def _best_per_article(searcher: Searcher, parsed, restrict, limit: int) -> list:  # noqa: ANN001 (Whoosh types)
        """Top sections, keeping each article's best one, until `limit` articles are found."""
        results = searcher.search(parsed, limit=limit * CANDIDATES_PER_ARTICLE, filter=restrict)
        results.fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        results.formatter = _MarkFormatter()
        best, seen = [], set()
        for hit in results:
            if hit["article"] not in seen:
                seen.add(hit["article"])
                best.append(hit)
                if len(best) == limit:
                    break
        return best

    @staticmethod
    def _hit(hit) -> Hit:  # noqa: ANN001 (a Whoosh Hit)
        snippet = hit.highlights("body", top=2) or escape(hit["body"][:SNIPPET_CHARS])
        return Hit(title=hit["title"], url=hit["url"], section=hit["section"], snippet=snippet,
                   score=round(hit.score, 4), product=hit["product"], type=hit["type"])

    @staticmethod
    def _count_articles(searcher: Searcher, parsed, restrict) -> int:  # noqa: ANN001 (Whoosh queries)
        articles = searcher.reader().column_reader("article")
        matched = searcher.search(parsed, limit=None, scored=False, filter=restrict)
        return len({articles[docnum] for docnum in matched.docs()})

    @staticmethod
    def _suggestion(searcher: Searcher, parser: MultifieldParser, query_text: str) -> str | None:
        """A "did you mean" when some word is in no article; never a silent correction."""
        corrected = searcher.correct_query(parser.parse(query_text), query_text, prefix=1)
        return corrected.string if corrected.string != query_text else None
