"""Encoding while pages render: what the thread was given ends up in the cache, once, or its failure reaches the build."""
from __future__ import annotations

from pathlib import Path

import pytest

from bridge.search.encoding_ahead import EncodingAhead
from bridge.search.meaning import model_name
from bridge.search.vector_cache import FILE, VectorCache, VectorCacheError, cache_key

TEXTS = ["Reset a password. Reset a password.\nOpen Settings, then Security.",
         "Bank feed stopped. Reconnect.\nIf the bank feed stops, reconnect the account.",
         "Credit notes. Refunds.\nA credit note cancels part of an invoice."]


def cached(cache: VectorCache, texts: list[str]) -> int:
    return len(cache.get_many([cache_key(model_name(), text) for text in texts]))


def test_every_text_handed_over_is_encoded_once_into_the_cache(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    heard: list[int] = []
    ahead = EncodingAhead(cache, heard.append, slice_size=2)
    ahead.add(TEXTS[:2])
    ahead.add(TEXTS[1:])  # a text given twice is encoded once
    assert ahead.finish() == 3
    assert cached(cache, TEXTS) == 3 and heard == [2, 3]

    again = EncodingAhead(cache)
    again.add(TEXTS)
    assert again.finish() == 0


def test_a_stopped_build_encodes_nothing_more(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    ahead = EncodingAhead(cache, slice_size=100)
    ahead.add(TEXTS)
    ahead.stop()
    assert ahead.encoded == 0 and cached(cache, TEXTS) == 0


def test_what_goes_wrong_on_the_thread_is_raised_by_finish(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    (tmp_path / FILE).write_bytes(b"not a database any more" * 200)
    ahead = EncodingAhead(cache, slice_size=1)
    ahead.add(TEXTS)
    with pytest.raises(VectorCacheError, match="Deleting it is safe"):
        ahead.finish()


def test_the_index_step_can_wait_for_the_texts_it_needs_next(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    ahead = EncodingAhead(cache, slice_size=2)
    ahead.add(TEXTS)
    ahead.close()  # the third text is a slice of its own, encoded without waiting for more
    ahead.wait_for(TEXTS[2:])
    assert cached(cache, TEXTS[2:]) == 1
    assert ahead.finish() == 3
