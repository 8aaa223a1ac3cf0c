"""MkDocs hook: index the sections of every rendered page for the bridge's server-side search.

Pages are collected as MkDocs renders them and handed over once, after the build, to
`write_index`, which re-indexes (and encodes the sentence vectors of) only the articles that
changed, into a new generation beside the site (`<site_dir>/../index`, or `KB_INDEX_DIR`), and
stages it; `kb build` publishes it together with the site once MkDocs reports success.
Material's own browser-side index is replaced by an empty stub: its search box talks to the
bridge instead.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from bridge.search.index_writer import write_index
from bridge.search.layout import SYNONYMS_FILE
from bridge.search.meaning import BATCH, preload
from bridge.search.pages import page_sections
from bridge.search.types import Section

log = logging.getLogger("mkdocs.plugins.kb_index")
PROGRESS_EVERY = 250
ENCODED_EVERY = 32 * BATCH  # sections, logged as they are encoded
MATERIAL_STUB = {"config": {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": []}, "docs": []}

_sections: list[Section] = []
_progress = {"done": 0, "total": 0}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load the sentence model while MkDocs renders, so the index step does not wait for it."""
    preload()
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _sections.clear()
    _progress.update(done=0, total=len(files.documentation_pages()))
    return files


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    _sections.extend(
        page_sections(url=page.url, src_uri=page.file.src_uri, title=page.title or page.file.name,
                      meta=page.meta, html=html)
    )
    _progress["done"] += 1
    if _progress["done"] % PROGRESS_EVERY == 0:
        log.info("Rendered and indexed %d of %d pages", _progress["done"], _progress["total"])
    return html


def on_post_build(config: MkDocsConfig) -> None:
    site_dir = Path(config.site_dir)
    stub = site_dir / "search" / "search_index.json"
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text(json.dumps(MATERIAL_STUB), encoding="utf-8")
    index_root = Path(os.environ.get("KB_INDEX_DIR") or site_dir.parent / "index")
    update = write_index(_sections, index_root, synonyms=Path(config.docs_dir) / SYNONYMS_FILE, progress=_encoded)
    log.info("Search index: %s", update.summary())


def _encoded(done: int, total: int) -> None:
    if done % ENCODED_EVERY == 0 or done == total:
        log.info("Encoded %d of %d sections for search by meaning", done, total)
