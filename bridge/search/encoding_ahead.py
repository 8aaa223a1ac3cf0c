"""Section texts encoded on a background thread while MkDocs renders, so a build's pages and its encoding overlap.

MkDocs renders pages on one thread, one core; the sentence model runs in OpenVINO, which lets
go of the GIL while it computes. Encoding while the pages render therefore uses the core
the renderer leaves idle, instead of waiting for the index step. Texts are handed over page by
page as MkDocs renders them; the thread encodes, a slice at a time, those the vector cache has
not seen (`section_vectors` sorts a slice by length, so batches pad little) and stores them in
the cache, where the index step then finds every vector it needs. On two cores only about 1,000
of the shared corpus's 13,275 sections are encoded before rendering ends (decision 0008).
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

from bridge.search.meaning import section_vectors
from bridge.search.vector_cache import VectorCache

# Texts gathered before a slice is encoded: enough to sort into well-filled batches, few enough
# that encoding starts while the first pages are still being rendered.
SLICE = 512


class EncodingAhead:
    """A thread that puts the vectors of the texts it is given into `cache`; `finish` waits for it.

    It starts on the first texts given, and loads the model only for a text the cache has no
    vector for. Call `finish` or `stop` before the process exits: the thread is a daemon, and the
    slice it is encoding when the process ends is lost (the cache keeps the slices before).
    `progress` hears, after each slice that needed the model, how many texts it has encoded so far.
    """

    def __init__(self, cache: VectorCache, progress: Callable[[int], None] = lambda encoded: None,
                 slice_size: int = SLICE) -> None:
        self.cache, self.progress, self.slice_size = cache, progress, slice_size
        self.encoded = 0
        self._texts: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._error: Exception | None = None
        self._closed = False
        self._changed = threading.Condition()
        self._done: set[str] = set()  # texts whose vectors are in the cache
        self._ended = False

    def add(self, texts: Sequence[str]) -> None:
        """Hand over texts to encode; returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="encode sections ahead", daemon=True)
            self._thread.start()
        self._texts.put(list(texts))

    def close(self) -> None:
        """No more texts will come: the last slice is encoded without waiting for more."""
        if self._thread is not None and not self._closed:
            self._closed = True
            self._texts.put(None)

    def wait_for(self, texts: Sequence[str]) -> None:
        """Return once every one of `texts` has its vector in the cache, or the thread has ended.

        Only texts already handed over, and only after `close`, or the last slice may never come.
        """
        with self._changed:
            self._changed.wait_for(lambda: self._ended or self._thread is None or self._done.issuperset(texts))

    def finish(self) -> int:
        """Wait until every text handed over has its vector in the cache; how many were encoded.

        Raises what the thread met (a damaged cache, weights that fail their checksum).
        """
        self._join()
        if self._error is not None:
            raise self._error
        return self.encoded

    def stop(self) -> None:
        """Give up on texts not yet encoded (a failed build) and wait for the slice in progress."""
        self._stopping.set()
        self._join()

    def _join(self) -> None:
        self.close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        pending: list[str] = []
        try:
            while (texts := self._texts.get()) is not None:
                pending += texts
                if len(pending) >= self.slice_size and not self._stopping.is_set():
                    self._encode(pending)
                    pending = []
            if pending and not self._stopping.is_set():
                self._encode(pending)
        except Exception as error:  # handed to the build's thread by `finish`
            self._error = error
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def _encode(self, texts: list[str]) -> None:
        encoded = section_vectors(texts, self.cache)[1]
        if encoded:
            self.encoded += encoded
            self.progress(self.encoded)
        with self._changed:
            self._done.update(texts)
            self._changed.notify_all()
