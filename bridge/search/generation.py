"""An opened index generation: the one module that imports Whoosh for reading.

Whoosh is used as storage (term dictionary, posting blocks, stored fields, columns); ranking
itself is `bridge.search.ranking`, which needs each term's contributions over all sections at
once, so postings are read a whole block at a time here instead of through Whoosh's matchers one
posting at a time. Each section's sentence vector is read from its column into one matrix.
The rest of the search code sees a `Generation` and, per query, `GenerationPostings`.
"""
from __future__ import annotations

import heapq
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
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
from bridge.search.layout import SYNONYMS_FILE, read_meta
from bridge.search.meaning import from_bytes, query_vector
from bridge.search.pacing import never_wait, paced
from bridge.search.pages import LISTING, PAGE_FIELD
from bridge.search.planner import CONTENT, PAIRS
from bridge.search.ranking import Term, idf
from bridge.search.spelling import Vocabulary, variants
from bridge.search.synonyms import load_synonyms
from bridge.search.types import ArticleLink, SearchResults

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
class TermPostings:
    """A term's postings in compact arrays (8 bytes each): ascending section numbers, the term's weight in each."""

    docs: array
    weights: array

    def __len__(self) -> int:
        return len(self.docs)


def read_postings(leaves: Sequence[tuple[IndexReader, int]], field: str, text: str) -> TermPostings:
    """Every posting of a term in every segment, decoded a block at a time (C-level work but for one loop per block)."""
    docs, weights = array("i"), array("f")
    for reader, base in leaves:
        matcher = _postings(reader, field, text)
        for ids, block in _all_postings(matcher) if matcher is not None else ():
            docs.extend(map(base.__add__, ids) if base else ids)
            weights.extend(repeat(block, len(ids)) if isinstance(block, float) else block)
    return TermPostings(docs, weights)


@lru_cache(maxsize=50_000)
def stem_word(word: str) -> str:
    """A word as the index's stemmer writes it."""
    return stem(word)


class Generation:
    """An opened index generation with what every query needs: statistics, lengths, caches.

    One searcher serves all threads of the process, one query at a time (`lock`): a Whoosh
    reader keeps a file position, so it cannot be shared freely, and one reader per thread
    made each thread's first query pay for opening it. Queries are CPU-bound Python, which runs
    one thread at a time anyway; answers from the result cache need no lock.
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
        self.postings_cache: LRUCache[TermPostings] = LRUCache(POSTINGS_CACHED)
        self.results_cache: LRUCache[SearchResults] = LRUCache(RESULTS_CACHED)
        self.searcher = self.index.searcher()
        self._load(pause)
        self.synonyms = load_synonyms(path / SYNONYMS_FILE, self.normalise)
        self._warm(pause)

    def _load(self, pause: Callable[[], None]) -> None:
        searcher = self.searcher
        self.documents = searcher.doc_count_all()
        self.products = frozenset(_text(value) for value in searcher.lexicon("product"))
        self.vocabulary = Vocabulary(_text(word) for word in paced(searcher.lexicon(f"spell_{CONTENT}"), pause))
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
        self.listing = np.zeros(self.documents, dtype=bool)
        if PAGE_FIELD in self.index.schema.names():  # an index written before listing pages were told apart has none
            self.listing[np.frombuffer(read_postings(searcher.reader().leaf_readers(), PAGE_FIELD, LISTING).docs,
                                       dtype=np.int32)] = True
        if self.documents:
            searcher.stored_fields(0)  # opens the stored-fields file now, not on the first query

    def _warm(self, pause: Callable[[], None]) -> None:
        """Decode the postings of the most frequent words, so a first query with common words finds them ready.

        Common words cost the most to decode and appear in most queries, and every query decodes
        all of its words. Decoding them while queries are answered made the first queries after
        a start wait for it, so it is done before the generation answers any.
        """
        reader = self.searcher.reader()
        for field in (CONTENT, HEADINGS):
            frequencies = ((info.weight(), text) for text, info in paced(reader.iter_field(field), pause))
            for _, text in heapq.nlargest(WARM_TERMS, frequencies):
                pause()
                postings = read_postings(reader.leaf_readers(), field, _text(text))
                self.postings_cache.put((field, _text(text)), postings, len(postings))

    def article_link(self, url: str) -> ArticleLink | None:
        """The section at a site-relative url (with its #anchor, as hits give it), else its article, else None.

        The home page's article is "" (its sections are "#anchor"), so an empty article is one too.
        """
        wanted = url.strip().lstrip("/")
        article = wanted.partition("#")[0]
        with self.lock:
            fields = self.searcher.document(url=wanted) or self.searcher.document(article=article)
        if fields is None:
            return None
        return ArticleLink(title=fields["title"], url=fields["url"] if fields["url"] == wanted else article)

    def similarity(self, query: str) -> np.ndarray:
        """The cosine of every section's vector to the query's (no lock needed: nothing here moves a file position).

        A query with nothing for the model to read is close to no section.
        """
        return self.vectors @ query_vector(query) if query.strip() else np.zeros(self.documents)

    def unknown_words(self, words: Iterable[str]) -> int:
        """How many of `words` no section holds (as typed) and the index does not leave out as stop words."""
        return sum(1 for word in words if word not in self.vocabulary and any(True for _ in self.analyzer(word)))

    def articles_in(self, sections: np.ndarray) -> int:
        """How many articles have a section marked in `sections` (a mask over all sections)."""
        marked = np.zeros(self.article_count, dtype=bool)
        marked[self.article_of[sections]] = True
        return int(np.count_nonzero(marked))

    def normalise(self, text: str) -> tuple[str, ...]:
        """Tokens of `text` as the index stores them (lower case, stemmed), stop words kept."""
        return tuple(token.text for token in self.word_chain(text))

    def words(self, text: str) -> set[str]:
        """The `content` terms of `text`: stemmed, without stop words."""
        return {token.text for token in self.analyzer(text)}

    def title_terms(self, text: str) -> set[str]:
        """The `content` and `pairs` terms of `text`, to tell which query terms a heading holds."""
        return {token.text for token in self.analyzer(text)} | {token.text for token in self.pair_chain(text)}


class GenerationPostings:
    """`ranking.Postings` and `planner.Lexicon` over one generation, for one query (under its lock)."""

    def __init__(self, generation: Generation) -> None:
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

    def _postings(self, field: str, text: str) -> TermPostings:
        key = (field, text)
        postings = self.generation.postings_cache.get(key)
        if postings is None:
            postings = read_postings(self.leaves, field, text)
            self.generation.postings_cache.put(key, postings, len(postings))
        return postings

    def sections_with(self, field: str, text: str) -> np.ndarray:
        """Which sections have the term (a product, say), for filtering rather than scoring."""
        mask = np.zeros(self.documents, dtype=bool)
        mask[np.frombuffer(self._postings(field, text).docs, dtype=np.int32)] = True
        return mask

    def stored(self, doc: int) -> dict:
        """The stored fields of a section (title, url, section, body, product, type...)."""
        return self.searcher.stored_fields(doc)

    def tokens(self, text: str) -> list[tuple[str, str]]:
        return [(token.original, token.text) for token in self.generation.word_chain(text, keeporiginal=True)]

    def is_stop(self, word: str) -> bool:
        return not any(True for _ in self.generation.analyzer(word))

    def word_frequency(self, word: str) -> int:
        return self.searcher.doc_frequency(f"spell_{CONTENT}", word)

    def similar_words(self, word: str, distance: int) -> list[tuple[str, int]]:
        return [(found, self.word_frequency(found)) for found in variants(word, distance, self.generation.vocabulary)]
