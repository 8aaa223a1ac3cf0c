"""The sentence-vector cache as CI meets it: a build into an empty folder pays only for texts never seen.

Each build here is a real `kb build` of the sample help centre into a new, empty output folder,
with `KB_CACHE_DIR` pointing at one cache shared by the builds, as a CI job that keeps the
cache folder between runs would have it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.search.layout import current_generation, read_meta
from bridge.search.vector_cache import FILE, VectorCache, VectorCacheError, cache_key

EDITED = "support/help-sheets/credits.md"


def build(kb: Path, out: Path, cache: Path) -> dict:
    """`kb build` into `out`; what its index step did, as the new generation records it."""
    result = CliRunner().invoke(main, ["build", "--kb", str(kb), "--out", str(out), "--strict"],
                                env={"KB_CACHE_DIR": str(cache)})
    assert result.exit_code == 0, result.output
    meta = read_meta(current_generation(out / "index"))
    return {"encoded": meta["update"]["encoded"], "sections": meta["documents"]}


def test_builds_into_empty_folders_encode_only_what_they_have_not_seen(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build(kb_copy, tmp_path / "first", cache)
    assert first["encoded"] == first["sections"] > 0

    again = build(kb_copy, tmp_path / "again", cache)
    assert again == {"encoded": 0, "sections": first["sections"]}

    sheet = kb_copy / EDITED
    sheet.write_text(sheet.read_text().replace("## Agree in advance, or see the cost first\n",
                                               "## Agree in advance, or see the cost first\n\nYes, always.\n"))
    edited = build(kb_copy, tmp_path / "edited", cache)
    assert edited == {"encoded": 1, "sections": first["sections"]}


def test_a_vector_is_kept_under_its_model_and_exact_text(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path)
    cache.put_many({cache_key("model a", "Reset a password"): b"a" * 768})
    assert cache.get_many([cache_key("model a", "Reset a password")]) == {cache_key("model a", "Reset a password"): b"a" * 768}
    assert cache.get_many([cache_key("model b", "Reset a password"), cache_key("model a", "Reset a password.")]) == {}


def test_a_damaged_cache_names_itself_and_says_it_may_be_deleted(tmp_path: Path) -> None:
    (tmp_path / FILE).write_bytes(b"not a database, but the start of something else" * 100)
    with pytest.raises(VectorCacheError) as refused:
        VectorCache(tmp_path)
    assert str(tmp_path / FILE) in str(refused.value) and "KB_CACHE_DIR" in str(refused.value)
    assert "Deleting it is safe" in str(refused.value)
