"""Searching the index: the current generation under a root folder, and one search from query to results.

The bridge keeps one `SearchIndex` per process. Each query checks which generation is current
(one readlink), so a rebuild is picked up without a restart and a query never sees a
half-written index. A new generation is opened and warmed in the background while the old one
keeps answering, and takes over only when ready, as Solr does with a new searcher: the first
queries after a publish (or a start) then cost what any query costs. A search ranks by meaning
and by words and fuses the two lists (`bridge.search.fusion`); reading the index is
`bridge.search.generation`, what the customer sees is `bridge.search.answers`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bridge.search.admission import Lanes, SearchBusy, Shape
from bridge.search.answers import articles_first, confident, hits
from bridge.search.budget import SEARCH_BUDGET_SECONDS, Budget
from bridge.search.fusion import CANDIDATES, MEANING_WEIGHT, WORDS_WEIGHT, fuse, meaning_scores
from bridge.search.generation import Generation, GenerationPostings
from bridge.search.layout import current_generation
from bridge.search.meaning import one_thread_per_process, query_tokens
from bridge.search.pacing import Foreground, never_wait
from bridge.search.planner import plan_query
from bridge.search.query import ParsedQuery, QueryError, parse_query
from bridge.search.ranking import rank, top_articles
from bridge.search.types import ArticleLink, Hit, IndexInfo, SearchResults

log = logging.getLogger(__name__)


class IndexUnavailable(RuntimeError):
    """No usable index at the path; the message names it and the command that builds it."""


class SearchIndex:
    """The current index under a root folder, replaced when a new generation is published and ready."""

    def __init__(self, root: Path, budget_seconds: float = SEARCH_BUDGET_SECONDS) -> None:
        self.root = root
        self.budget_seconds = budget_seconds
        self._lock = threading.Lock()
        self._foreground = Foreground()
        self.lanes = Lanes(self._foreground)
        one_thread_per_process()  # the model is loaded by each server worker (`load_query_model`) or the first query
        self._generation = self._open(self._current_path())
        self._next: Path | None = None

    def _current_path(self) -> Path:
        path = current_generation(self.root)
        if path is None or not path.is_dir():
            raise IndexUnavailable(
                f"no search index at {self.root}: build it with `kb build` (or `make run`), then start the bridge again"
            )
        return path

    def _open(self, path: Path, pause: Callable[[], None] = never_wait) -> Generation:
        try:
            return Generation(path, pause)
        except Exception as exc:  # Whoosh raises several unrelated types for a damaged index.
            raise IndexUnavailable(f"cannot read the search index at {path} ({exc}): rebuild it with `kb build`") from exc

    def _current(self) -> Generation:
        """The generation to answer from; a newly published one starts opening in the background."""
        path = current_generation(self.root)
        if path is not None and path != self._generation.path and path != self._next:
            with self._lock:
                if path != self._generation.path and path != self._next:
                    self._next = path
                    threading.Thread(target=self._take_over, args=(path,), name=f"open {path.name}", daemon=True).start()
        return self._generation

    def _take_over(self, path: Path) -> None:
        """Open and warm `path`, then answer from it, unless an even newer generation was published meanwhile.

        A generation that cannot be opened is logged and skipped: the current one keeps answering
        until the next publish. Opening is Python work that holds the GIL, so it gives way to the
        queries answered meanwhile (`bridge.search.pacing`).
        """
        try:
            generation = self._open(path, self._foreground.give_way)
        except IndexUnavailable:
            log.exception("not switching to the new search index at %s", path)
            return
        with self._lock:
            if self._next == path:
                self._generation = generation

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

    def article_link(self, url: str) -> ArticleLink | None:
        """The section or article at a site-relative url, as the current generation has it, or None.

        Links a client says it showed are looked up here, so the titles and addresses in our mail
        are always our own articles', never text a client chose.
        """
        return self._current().article_link(url)

    def shape(self, query: ParsedQuery) -> Shape:
        """What `query` asks of the search, counted before searching: its lane (`bridge.search.admission`)."""
        return _shape(self._current(), query)

    def hits_or_none(self, text: str, limit: int) -> list[Hit]:
        """The hits a customer's search for `text` gets; none when there is nothing to search for, or when a
        flood of costly searches refuses it. For pages that offer articles beside something else (a
        ticket's suggestions, the board's reply form), which must not fail for want of them."""
        try:
            return self.search(parse_query(text), limit=limit).hits
        except (QueryError, SearchBusy):
            return []

    def search(self, query: ParsedQuery, limit: int = 10, product: str | None = None) -> SearchResults:
        """The best section of each matching article, best article first; answered from a cache when repeated.

        An answer cut short by the time budget is not cached: the same query on a quieter
        moment may get the whole answer.
        """
        generation = self._current()
        key = (query.text, limit, product)
        results = generation.results_cache.get(key)
        if results is None:
            results, cut = self._search(generation, query, limit, product)
            if not cut:
                generation.results_cache.put(key, results)
        return results

    def _search(self, generation: Generation, query: ParsedQuery, limit: int,
                product: str | None) -> tuple[SearchResults, bool]:
        """The query's meaning, then its words, then the two lists fused; the lock is held only to read the searcher.

        A query shaped to be costly waits for its turn and, between steps, for the ordinary
        searches in flight (`bridge.search.admission`); it raises `SearchBusy` when refused.
        Encoding on a thread beside the word ranking was no faster (benchmarks/relevance/EXPERIMENTS.md,
        session 5): both are mostly Python holding the GIL, so they take turns. The time budget starts
        once the query is encoded: it bounds the word side's optional steps (the model's reading is
        bounded by its length cap), and a process's first search, which loads the model, must not
        spend it. Also returns whether the budget cut the answer short.
        """
        with self.lanes.enter(_shape(generation, query)) as pause:
            pause()
            similarity = generation.similarity(query.meaning_text)
            pause()
            budget = Budget(self.budget_seconds)
            with generation.lock:
                postings = GenerationPostings(generation)
                planned = plan_query(query, postings, generation.synonyms, budget)
                allowed = generation.live & postings.sections_with("product", product) if product else generation.live
                words = rank(planned.plan, postings, generation.article_of, max(limit, CANDIDATES), allowed, budget)
            pause()
            # A code or quoted phrase asks for those very words: meaning then only re-ranks what words found.
            by_meaning = meaning_scores(similarity, words.matching if planned.plan.exact else allowed)
            meaning = top_articles(by_meaning, generation.article_of, CANDIDATES)
            fused = fuse([[hit.doc for hit in words.hits], meaning], [WORDS_WEIGHT, MEANING_WEIGHT],
                         generation.article_of, limit)
            cosine = float(by_meaning[meaning[0]]) if meaning else 0.0
            pause()
            with generation.lock:
                shown = hits(postings, planned, articles_first(generation, postings, query, fused))
                is_answer = bool(fused) and confident(generation, postings, query, planned, words,
                                                       meaning[0] if meaning else None, cosine)
        return SearchResults(query=query.text, total=generation.articles_in(words.matching | (by_meaning > 0)),
                             hits=shown, suggestion=planned.suggestion, confident=is_answer), budget.cut


def _shape(generation: Generation, query: ParsedQuery) -> Shape:
    return Shape(generation.unknown_words(query.all_words), query_tokens(query.meaning_text))
