"""Searching the index: the one module that imports Whoosh for reading.

The bridge keeps one `SearchIndex` per process. Each query checks which generation is current
(one readlink), so a rebuild is picked up without a restart and a query never sees a
half-written index. A new generation is opened and warmed in the background while the old one
keeps answering, and takes over only when ready, as Solr does with a new searcher: the first
queries after a publish (or a start) then cost what any query costs. Whoosh is used as storage
(term dictionary, posting blocks, stored fields); ranking itself is `bridge.search.ranking`,
which reads whole posting blocks through `_Postings` instead of walking Whoosh's matchers one
posting at a time. Each section's sentence vector is read from its column into one matrix, and
the ranking by meaning is fused with the ranking by words (`bridge.search.fusion`).
"""
from __future__ import annotations

import heapq
import logging
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import accumulate, repeat
from pathlib import Path

import numpy as np
from whoosh import index
from whoosh.analysis import CompositeAnalyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.lang.porter import stem
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.util.numeric import byte_to_length

from bridge.search.cache import LRUCache
from bridge.search.confidence import NEIGHBOURS, Evidence, is_confident
from bridge.search.fusion import CANDIDATES, MEANING_WEIGHT, WORDS_WEIGHT, Fused, fuse, meaning_scores
from bridge.search.layout import SYNONYMS_FILE, current_generation, read_meta
from bridge.search.meaning import from_bytes, one_thread_per_process, query_vector
from bridge.search.pacing import Foreground, never_wait, paced
from bridge.search.planner import CONTENT, PAIRS, QueryPlan, plan_query
from bridge.search.query import ParsedQuery
from bridge.search.ranking import Ranked, Ranking, Term, idf, rank, top_articles
from bridge.search.snippets import snippet, word_pattern
from bridge.search.spelling import variants
from bridge.search.synonyms import load_synonyms
from bridge.search.types import Hit, IndexInfo, SearchResults

K1, B = 1.2, 0.75
HEADINGS = "headings"
MEANING = "meaning"
# A word in the title, heading or summary scores again there, with this weight (see build_schema).
HEADING_WEIGHT = 1.0
# Decoded postings kept per generation and process, counted in postings (8 bytes each).
POSTINGS_CACHED = 4_000_000
# The most frequent words of `content` and `headings`, decoded when a generation opens, before it answers.
WARM_TERMS = 300
RESULTS_CACHED = 1_000

log = logging.getLogger(__name__)


class IndexUnavailable(RuntimeError):
    """No usable index at the path; the message names it and the command that builds it."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _postings(reader: IndexReader, field: str, text: str):  # noqa: ANN202 (a Whoosh matcher or None)
    """The raw posting matcher of a term in one segment, deleted documents included, or None."""
    try:
        matcher = reader.postings(field, text)
    except TermNotFound:
        return None
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _blocks(matcher) -> Iterator[W3LeafMatcher]:  # noqa: ANN001 (a Whoosh matcher)
    """Each posting block of a term in turn; the matcher is positioned on the block when yielded."""
    while True:
        yield matcher
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def _decode(block: W3LeafMatcher) -> tuple[list[int], Sequence[float] | float]:
    """The document numbers and weights of the current block: one unpickle and a C-level prefix sum."""
    block._read_data()
    deltas, weights, _ = block._data
    return list(accumulate(deltas)), 1.0 if weights is None else weights


def _all_postings(matcher) -> Iterator[tuple[list[int], Sequence[float] | float]]:  # noqa: ANN001
    if isinstance(matcher, W3LeafMatcher):
        for block in _blocks(matcher):
            yield _decode(block)
        return
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


@dataclass(frozen=True)
class _TermPostings:
    """A term's postings in compact arrays (8 bytes each): ascending section numbers, the term's weight in each."""

    docs: array
    weights: array

    def __len__(self) -> int:
        return len(self.docs)


def _read_postings(leaves: Sequence[tuple[IndexReader, int]], field: str, text: str) -> _TermPostings:
    """Every posting of a term in every segment, decoded a block at a time (C-level work but for one loop per block)."""
    docs, weights = array("i"), array("f")
    for reader, base in leaves:
        matcher = _postings(reader, field, text)
        for ids, block in _all_postings(matcher) if matcher is not None else ():
            docs.extend(map(base.__add__, ids) if base else ids)
            weights.extend(repeat(block, len(ids)) if isinstance(block, float) else block)
    return _TermPostings(docs, weights)


class _Generation:
    """An opened index generation with what every query needs: statistics, lengths, caches.

    One searcher serves all threads of the process, one query at a time (`lock`): a Whoosh
    reader keeps a file position, so it cannot be shared freely, and opening one per thread
    cost 150 ms on each thread's first query at 4x. Queries are CPU-bound Python, which runs one
    thread at a time anyway; answers from the result cache need no lock.
    """

    def __init__(self, path: Path, pause: Callable[[], None] = never_wait) -> None:
        """Open and warm the generation at `path`, calling `pause` between small steps (see `bridge.search.pacing`)."""
        self.path = path
        self.index = index.open_dir(str(path))
        self.meta = read_meta(path)
        self.lock = threading.Lock()
        schema = self.index.schema
        self.analyzer = schema[CONTENT].analyzer
        pairs = schema[PAIRS].analyzer
        self.word_chain = CompositeAnalyzer(*pairs.items[:-1])
        self.pair_chain = pairs
        self.postings_cache: LRUCache[_TermPostings] = LRUCache(POSTINGS_CACHED)
        self.results_cache: LRUCache[SearchResults] = LRUCache(RESULTS_CACHED)
        self.searcher = self.index.searcher()
        self._load(pause)
        self.synonyms = load_synonyms(path / SYNONYMS_FILE, self.normalise)
        self._warm(pause)

    def _load(self, pause: Callable[[], None]) -> None:
        searcher = self.searcher
        self.documents = searcher.doc_count_all()
        self.products = frozenset(_text(value) for value in searcher.lexicon("product"))
        self.vocabulary = frozenset(_text(word) for word in paced(searcher.lexicon(f"spell_{CONTENT}"), pause))
        articles: dict[str, int] = {}
        article_of: list[int] = []
        self.live = np.ones(self.documents, dtype=bool)
        lengths: dict[str, list[int]] = {CONTENT: [], HEADINGS: [], PAIRS: []}
        vectors: list[bytes] = []
        for reader, base in searcher.reader().leaf_readers():
            article_of += [articles.setdefault(url, len(articles)) for url in paced(reader.column_reader("article"), pause)]
            vectors += paced(reader.column_reader(MEANING), pause)
            self.live[[base + doc for doc in reader.deleted_docs_set]] = False
            for field, values in lengths.items():
                column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
                values += ([byte_to_length(value) for value in paced(column, pause)] if column is not None
                           else [0] * reader.doc_count_all())
        self.article_of = np.array(article_of, dtype=np.int32)
        self.article_count = len(articles)
        self.vectors = from_bytes(vectors)
        self.averages = {field: searcher.field_length(field) / max(self.documents, 1) or 1.0 for field in lengths}
        self.norms = {field: K1 * (1 - B + B * np.array(values, dtype=np.float64) / self.averages[field])
                      for field, values in lengths.items()}
        if self.documents:
            searcher.stored_fields(0)  # opens the stored-fields file now, not on the first query

    def _warm(self, pause: Callable[[], None]) -> None:
        """Decode the postings of the most frequent words, so a first query with common words finds them ready.

        Common words cost the most to decode (tens of thousands of postings at 4x) and appear in
        most queries; every query decodes all of its words. Decoding them while queries were
        answered made the first queries after a start wait for it (p99 189 ms at 4x), so it is
        done before the generation answers any (about 0.8 s at 1x).
        """
        reader = self.searcher.reader()
        for field in (CONTENT, HEADINGS):
            frequencies = ((info.weight(), text) for text, info in paced(reader.iter_field(field), pause))
            for _, text in heapq.nlargest(WARM_TERMS, frequencies):
                pause()
                postings = _read_postings(reader.leaf_readers(), field, _text(text))
                self.postings_cache.put((field, _text(text)), postings, len(postings))

    def similarity(self, query: str) -> np.ndarray:
        """The cosine of every section's vector to the query's (no lock needed: nothing here moves a file position)."""
        return self.vectors @ query_vector(query)

    def articles_in(self, sections: np.ndarray) -> int:
        """How many articles have a section marked in `sections` (a mask over all sections)."""
        marked = np.zeros(self.article_count, dtype=bool)
        marked[self.article_of[sections]] = True
        return int(np.count_nonzero(marked))

    def normalise(self, text: str) -> tuple[str, ...]:
        """Tokens of `text` as the index stores them (lower case, stemmed), stop words kept."""
        return tuple(token.text for token in self.word_chain(text))


class _Postings:
    """`ranking.Postings` and `planner.Lexicon` over one generation, for one query (under its lock)."""

    def __init__(self, generation: _Generation) -> None:
        self.generation, self.searcher = generation, generation.searcher
        self.documents = generation.documents
        self.leaves = self.searcher.reader().leaf_readers()
        self._frequencies: dict[Term, int] = {}
        self._contributions: dict[Term, np.ndarray] = {}

    def frequency(self, term: Term) -> int:
        if term not in self._frequencies:
            self._frequencies[term] = self.searcher.doc_frequency(term.field, term.text)
        return self._frequencies[term]

    def _factor(self, field: str, text: str) -> float:
        return idf(self.frequency(Term(field, text)), self.documents) * (K1 + 1)

    def contributions(self, term: Term) -> np.ndarray:
        """A word scores in `content` and again, with its own length norm, in the short `headings`."""
        if term not in self._contributions:
            total = np.zeros(self.documents)
            docs, scores = self._field_vector(term.field, term.text)
            total[docs] = scores
            if term.field == CONTENT:
                docs, scores = self._field_vector(HEADINGS, term.text)
                total[docs] += HEADING_WEIGHT * scores
            self._contributions[term] = total
        return self._contributions[term]

    def _field_vector(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's sections and BM25 contributions in one field."""
        postings = self._postings(field, text)
        docs = np.frombuffer(postings.docs, dtype=np.int32)
        weights = np.frombuffer(postings.weights, dtype=np.float32).astype(np.float64)
        return docs, self._factor(field, text) * weights / (weights + self.generation.norms[field][docs])

    def _postings(self, field: str, text: str) -> _TermPostings:
        key = (field, text)
        postings = self.generation.postings_cache.get(key)
        if postings is None:
            postings = _read_postings(self.leaves, field, text)
            self.generation.postings_cache.put(key, postings, len(postings))
        return postings

    def sections_with(self, field: str, text: str) -> np.ndarray:
        """Which sections have the term (a product, say), for filtering rather than scoring."""
        mask = np.zeros(self.documents, dtype=bool)
        mask[np.frombuffer(self._postings(field, text).docs, dtype=np.int32)] = True
        return mask

    def tokens(self, text: str) -> list[tuple[str, str]]:
        return [(token.original, token.text) for token in self.generation.word_chain(text, keeporiginal=True)]

    def is_stop(self, word: str) -> bool:
        return not any(True for _ in self.generation.analyzer(word))

    def word_frequency(self, word: str) -> int:
        return self.searcher.doc_frequency(f"spell_{CONTENT}", word)

    def similar_words(self, word: str, distance: int) -> list[tuple[str, int]]:
        return [(found, self.word_frequency(found)) for found in variants(word, distance, self.generation.vocabulary)]


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    return stem(word)


class SearchIndex:
    """The current index under a root folder, replaced when a new generation is published and ready."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._foreground = Foreground()
        one_thread_per_process()  # loads the model now, so the first query costs what any query costs
        self._generation = self._open(self._current_path())
        self._next: Path | None = None

    def _current_path(self) -> Path:
        path = current_generation(self.root)
        if path is None or not path.is_dir():
            raise IndexUnavailable(
                f"no search index at {self.root}: build it with `kb build` (or `make run`), then start the bridge again"
            )
        return path

    def _open(self, path: Path, pause: Callable[[], None] = never_wait) -> _Generation:
        try:
            return _Generation(path, pause)
        except Exception as exc:  # Whoosh raises several unrelated types for a damaged index.
            raise IndexUnavailable(f"cannot read the search index at {path} ({exc}): rebuild it with `kb build`") from exc

    def _current(self) -> _Generation:
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

    def search(self, query: ParsedQuery, limit: int = 10, product: str | None = None) -> SearchResults:
        """The best section of each matching article, best article first; answered from a cache when repeated."""
        generation = self._current()
        key = (query.text, limit, product)
        results = generation.results_cache.get(key)
        if results is None:
            results = self._search(generation, query, limit, product)
            generation.results_cache.put(key, results)
        return results

    def _search(self, generation: _Generation, query: ParsedQuery, limit: int, product: str | None) -> SearchResults:
        """The query's meaning, then its words, then the two lists fused; the lock is held only to read the searcher.

        Encoding on a thread beside the word ranking was measured no faster (p99 58-66 ms
        against 52 ms at 4x): both are mostly Python holding the GIL, so they take turns.
        """
        with self._foreground.running():
            similarity = generation.similarity(query.text)
            with generation.lock:
                postings = _Postings(generation)
                planned = plan_query(query, postings, generation.synonyms)
                allowed = generation.live & postings.sections_with("product", product) if product else generation.live
                words = rank(planned.plan, postings, generation.article_of, max(limit, CANDIDATES), allowed)
            # A code or quoted phrase asks for those very words: meaning then only re-ranks what words found.
            by_meaning = meaning_scores(similarity, words.matching if planned.plan.exact else allowed)
            meaning = top_articles(by_meaning, generation.article_of, CANDIDATES)
            fused = fuse([[hit.doc for hit in words.hits], meaning], [WORDS_WEIGHT, MEANING_WEIGHT],
                         generation.article_of, limit)
            cosine = float(by_meaning[meaning[0]]) if meaning else 0.0
            with generation.lock:
                hits = self._hits(postings, planned, fused)
                confident = bool(fused) and self._confident(generation, postings, query, planned, words, cosine)
        return SearchResults(query=query.text, total=generation.articles_in(words.matching | (by_meaning > 0)),
                             hits=hits, suggestion=planned.suggestion, confident=confident)

    def _hits(self, postings: _Postings, planned: QueryPlan, fused: list[Fused]) -> list[Hit]:
        """The fused articles as the API shows them, the query's words marked in each snippet."""
        marked = self._marked_words(planned, postings)
        candidates = word_pattern(word[:-1] if word.endswith("i") else word for word in marked)
        hits = []
        for item in fused:
            fields = postings.searcher.stored_fields(item.doc)
            hits.append(Hit(title=fields["title"], url=fields["url"], section=fields["section"],
                            snippet=snippet(fields["body"], candidates, lambda word: word in marked or _stem(word) in marked),
                            score=round(item.score, 4), product=fields["product"], type=fields["type"]))
        return hits

    @staticmethod
    def _marked_words(planned: QueryPlan, postings: _Postings) -> frozenset[str]:
        """Index words to highlight: every concept's variants, and the parts of a code or phrase (no stop words)."""
        words = set()
        for concept in planned.plan.concepts:
            for alternative in concept.alternatives:
                for term in alternative.terms:
                    words.update(term.text.split("-") if term.field == PAIRS else (term.text,))
        return frozenset(word for word in words if not postings.is_stop(word))

    @staticmethod
    def _confident(generation: _Generation, postings: _Postings, query: ParsedQuery, planned: QueryPlan,
                   words: Ranking, cosine: float) -> bool:
        """Whether the results answer the query, from the closest section's cosine and the word ranking's evidence."""
        literal = len(query.topic_words) <= 1 or bool(query.codes)
        if not literal or not words.hits:  # the word evidence decides only for a literal query: not read otherwise
            return is_confident(Evidence(cosine=cosine, literal=literal))
        best: Ranked = words.hits[0]
        top = [postings.searcher.stored_fields(hit.doc) for hit in words.hits[:NEIGHBOURS]]
        heading = f"{top[0]['title']}\n{top[0]['section']}"
        in_title = {token.text for token in generation.analyzer(heading)} | {token.text for token in generation.pair_chain(heading)}
        in_heading = [weight for concept, weight, matched in zip(planned.plan.concepts, words.weights, best.matched)
                      if matched and any(all(term.text in in_title for term in alternative.terms)
                                         for alternative in concept.alternatives)]
        return is_confident(Evidence(
            coverage=best.coverage,
            topic_coverage=sum(in_heading) / (sum(words.weights) or 1.0),
            scores=[hit.score for hit in words.hits[:NEIGHBOURS]],
            products=[fields["product"] for fields in top],
            guessed=any(best.matched[i] for i in planned.guessed),
            cosine=cosine,
            literal=literal,
        ))
