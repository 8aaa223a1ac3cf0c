"""Writing the search index: the one module that imports Whoosh for writing."""
from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from whoosh import index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema

from bridge.search.layout import SYNONYMS_FILE, new_generation, publish
from bridge.search.types import IndexInfo, Section


def build_schema() -> Schema:
    """One document per section; the text fields share a stemming analyzer."""
    stem = StemmingAnalyzer()
    return Schema(
        url=ID(stored=True, unique=True),
        article=ID(stored=True, sortable=True),
        title=TEXT(analyzer=stem, stored=True, spelling=True),
        section=TEXT(analyzer=stem, stored=True),
        summary=TEXT(analyzer=stem, stored=True),
        body=TEXT(analyzer=stem, stored=True, spelling=True),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        product=ID(stored=True),
        type=ID(stored=True),
        position=NUMERIC(stored=True),
    )


def section_document(section: Section) -> dict:
    """The fields of one section's document, as `build_schema` declares them."""
    return {
        "url": section.url,
        "article": section.article_url,
        "title": section.title,
        "section": section.heading,
        "summary": section.summary,
        "body": section.text,
        "tags": ",".join(section.tags),
        "product": section.product,
        "type": section.type,
        "position": section.position,
    }


def write_index(sections: Iterable[Section], root: Path, *, synonyms: Path | None = None) -> IndexInfo:
    """Index every section into a new generation under `root` and make it current.

    The writers' synonyms file travels with the generation, so a query is always expanded with
    the synonyms of the index it runs against.
    """
    generation = new_generation(root)
    if synonyms is not None and synonyms.is_file():
        shutil.copyfile(synonyms, generation / SYNONYMS_FILE)
    ix = index.create_in(generation, build_schema())
    writer = ix.writer(limitmb=256, procs=1)
    documents, articles = 0, set()
    for section in sections:
        writer.add_document(**section_document(section))
        documents += 1
        articles.add(section.article_url)
    writer.commit(optimize=True)
    ix.close()
    built_at = datetime.now(timezone.utc)
    publish(root, generation, {"documents": documents, "articles": len(articles), "built_at": built_at.isoformat()})
    return IndexInfo(path=str(generation), documents=documents, articles=len(articles), built_at=built_at)
