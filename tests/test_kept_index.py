"""A build into an empty output folder starts from the index the last build kept in the cache folder.

This is what a CI job that keeps `KB_CACHE_DIR` between runs meets: every build writes into a
new, empty output folder, and only the articles changed since the last build are indexed again.
"""
from __future__ import annotations

from pathlib import Path

from bridge.search.index_reader import SearchIndex
from bridge.search.index_writer import write_index
from bridge.search.kept_index import FOLDER, kept_generation
from bridge.search.layout import current_generation, publish_staged, read_meta
from bridge.search.query import parse_query
from bridge.search.types import Section
from bridge.search.vector_cache import VectorCache
from tests.test_relevance import one_section_each


def build(sections: list[Section], out: Path, cache_dir: Path) -> dict:
    """Index `sections` into `out`, an empty folder, and publish; what the index step did, and its log line."""
    summary = write_index(sections, out, cache=VectorCache(cache_dir), cache_dir=cache_dir).summary()
    publish_staged(out)
    return {**read_meta(current_generation(out))["update"], "summary": summary}


def found(out: Path, query: str) -> list[str]:
    """The articles `query` finds in the index published in `out`, best first (a hit links to its section)."""
    return [hit.url.split("#")[0] for hit in SearchIndex(out).search(parse_query(query)).hits]


def test_a_build_into_an_empty_folder_indexes_only_what_changed_since_the_kept_index(tmp_path: Path) -> None:
    cache, sections = tmp_path / "cache", one_section_each()
    first = build(sections, tmp_path / "first", cache)
    assert first["full_reason"] == "no previous index" and not first["from_kept"]

    again = build(sections, tmp_path / "again", cache)
    assert again["from_kept"] and again["full_reason"] is None
    assert (again["changed"], again["added"], again["removed"], again["encoded"]) == (0, 0, 0, 0)
    assert found(tmp_path / "again", "reconnect") == found(tmp_path / "first", "reconnect")
    assert found(tmp_path / "again", "reconnect")[0] == "banking/feed-stopped/"

    edited = [section if section.article_url != "banking/feed-stopped/" else
              Section(article_url=section.article_url, url=section.url, title=section.title,
                      heading=section.heading, text="If the bank feed stops, authorise the connection again.",
                      product=section.product, type=section.type)
              for section in sections]
    after_edit = build(edited, tmp_path / "edited", cache)
    assert after_edit["from_kept"] and (after_edit["changed"], after_edit["encoded"]) == (1, 1)
    assert after_edit["summary"].startswith("1 article changed, 0 added, 0 removed since the index kept in KB_CACHE_DIR")
    assert found(tmp_path / "edited", "authorise the connection")[0] == "banking/feed-stopped/"
    assert not any("reconnect" in hit.snippet for hit in SearchIndex(tmp_path / "edited").search(parse_query("reconnect")).hits)
    assert found(tmp_path / "again", "authorise the connection") != found(tmp_path / "edited", "authorise the connection")


def test_the_kept_copy_does_not_change_with_the_output_it_came_from(tmp_path: Path) -> None:
    """Output and copy share files by hard links; updating the output must leave the copy as it was kept."""
    cache, sections, out = tmp_path / "cache", one_section_each(), tmp_path / "out"
    build(sections, out, cache)
    kept = kept_generation(cache)
    kept_files = {path.name: path.read_bytes() for path in kept.iterdir()}
    write_index(sections[1:], out, cache=VectorCache(cache))
    publish_staged(out)
    assert {path.name: path.read_bytes() for path in kept.iterdir()} == kept_files


def test_without_a_kept_copy_a_build_into_an_empty_folder_indexes_everything(tmp_path: Path) -> None:
    cache, sections = tmp_path / "cache", one_section_each()
    build(sections, tmp_path / "first", cache)
    for path in sorted((cache / FOLDER).rglob("*"), reverse=True):
        path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    rebuilt = build(sections, tmp_path / "again", cache)
    assert rebuilt["full_reason"] == "no previous index" and rebuilt["encoded"] == 0
    assert found(tmp_path / "again", "reconnect")[0] == "banking/feed-stopped/"
