"""The plugin's search half: sections of every rendered page, handed to the index writer once.

Pages are collected as MkDocs renders them and handed over after the build to `write_index`,
which re-indexes only the articles that changed, into a new generation, encoding only the
section texts that the vector cache (`KB_CACHE_DIR`) has not seen, and stages it (starting, in an
output folder with no index, from the copy the last build kept in `KB_CACHE_DIR`); `kb build` publishes it together with the site once MkDocs
reports success. Material's own browser-side index is replaced by an empty stub: its search box
talks to the bridge instead.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

from bridge.search.index_writer import write_index
from bridge.search.kept_index import KeptIndexError
from bridge.search.encoding_ahead import EncodingAhead
from bridge.search.meaning import section_text
from bridge.search.model.weights import WeightsMismatch
from bridge.search.pages import page_sections
from bridge.search.types import Section
from bridge.search.vector_cache import VectorCache, VectorCacheError
from bridge.settings import SettingsError, load_settings

log = logging.getLogger("mkdocs.plugins.kb_index")
PROGRESS_EVERY = 250
MATERIAL_STUB = {"config": {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": []}, "docs": []}
MATERIAL_INDEX = Path("search") / "search_index.json"


class SectionCollector:
    """The sections of one build's pages, in the order MkDocs rendered them, encoded as they come.

    Their texts go to an `EncodingAhead` as each page is rendered, so encoding overlaps the
    rendering; `stage` writes the index from the vectors it leaves in the cache, each section
    as soon as its vector is there.
    """

    def __init__(self, total_pages: int, cache_dir: Path) -> None:
        self.sections: list[Section] = []
        self.total_pages = total_pages
        self.pages_done = 0
        self.cache_dir = cache_dir
        try:
            self.cache = VectorCache(cache_dir)
        except VectorCacheError as error:
            raise PluginError(str(error)) from error
        self.ahead = EncodingAhead(self.cache, _encoded)

    def add(self, page: Page, html: str) -> None:
        sections = page_sections(url=page.url, src_uri=page.file.src_uri, title=page.title or page.file.name,
                                 meta=page.meta, html=html)
        self.sections += sections
        self.ahead.add([section_text(section) for section in sections])
        self.pages_done += 1
        if self.pages_done % PROGRESS_EVERY == 0:
            log.info("Rendered and indexed %d of %d pages", self.pages_done, self.total_pages)

    def stage(self, index_root: Path, synonyms: Path) -> None:
        """Write the changed articles into a new index generation, staged for `kb build` to publish."""
        try:
            self.ahead.close()
            update = write_index(self.sections, index_root, synonyms=synonyms, cache=self.cache,
                                 cache_dir=self.cache_dir, ahead=self.ahead)
            self.ahead.finish()  # when nothing changed, the index step did not wait for it
        except (VectorCacheError, KeptIndexError, WeightsMismatch) as error:
            raise PluginError(str(error)) from error
        log.info("Search index: %s", update.summary())

    def stop(self) -> None:
        """The build failed: encode nothing more, and let the slice in progress end before the process does."""
        self.ahead.stop()


def collector_for(total_pages: int) -> SectionCollector:
    """A collector for a build of `total_pages`, its vector cache where the settings say (`KB_CACHE_DIR`)."""
    try:
        cache_dir = load_settings().cache_dir
    except SettingsError as error:
        raise PluginError(str(error)) from error
    return SectionCollector(total_pages, cache_dir)


def write_material_stub(site_dir: Path) -> None:
    """An empty index where Material's search looks for one, so no browser downloads a real one."""
    stub = site_dir / MATERIAL_INDEX
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text(json.dumps(MATERIAL_STUB), encoding="utf-8")


def _encoded(done: int) -> None:
    log.info("Encoded %d sections for search by meaning", done)
