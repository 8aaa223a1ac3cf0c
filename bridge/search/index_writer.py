"""Writing the search index: the one module that imports Whoosh for writing."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import whoosh
from whoosh import index
from whoosh.analysis import BiWordFilter, LowercaseFilter, RegexTokenizer, StemFilter, StemmingAnalyzer
from whoosh.columns import FixedBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema

from bridge.search.changes import ArticleChanges, IndexUpdate, article_hashes
from bridge.search.layout import (
    ARTICLES_FILE,
    META_FILE,
    SYNONYMS_FILE,
    copy_generation,
    current_generation,
    discard_staged,
    new_generation,
    read_meta,
    stage,
    write_meta,
)
from bridge.search.encoding_ahead import EncodingAhead
from bridge.search.kept_index import keep, kept_generation
from bridge.search.meaning import VECTOR_BYTES, model_name, section_text, section_vectors
from bridge.search.pages import ARTICLE, LISTING, PAGE_FIELD
from bridge.search.types import Section
from bridge.search.vector_cache import VectorCache

FULL_REBUILD_SHARE = 0.25
# Whoosh sorts a build's postings in memory up to this many MB and in runs on disk past it. A
# full build of the shared corpus (13,278 sections) fits; with Whoosh's usual 256 MB it wrote and
# merged runs, a quarter of its indexing time (decision 0004, "Where a cold build's time goes").
SORTING_MB = 1024
# Sections whose documents are made at a time: enough that the vector cache is read in few queries,
# few enough that the rows read at once stay small.
DOCUMENTS_CHUNK = 256


# Whoosh 2.7.4's token expression; its forks add `*`, which glues Markdown emphasis to words.
TOKEN = r"\w+(\.?\w+)*"


def build_schema() -> Schema:
    """One document per section, searched through three derived fields rather than one per part.

    `content` holds the title, heading, tags, summary and body in one field, so a word costs one
    posting list instead of five. `headings` holds the title, heading and summary again: short
    text with its own length norm, so a word the article is about outweighs a passing mention
    (as a separate title field does in BM25F). `pairs` holds each pair of adjacent words (stop
    words kept, so "log in" stays distinct from "event log"): a phrase, a multi-word synonym or
    an error code such as `550 5.7.1` becomes one term lookup. No positions are stored; the parts
    are stored for display only; `spell_content` (unstemmed words) feeds "did you mean". Words
    are cut by `TOKEN`, pinned rather than left to the Whoosh distribution (decision 0001).
    `page` tells a listing page's sections from an article's (`bridge.search.pages`).
    `meaning` holds the section's sentence vector (`bridge.search.meaning`) as a fixed-width
    column, so it stays aligned with its document through incremental updates and merges.
    """
    return Schema(
        url=ID(stored=True, unique=True),
        article=ID(stored=True, sortable=True),
        title=STORED(),
        section=STORED(),
        summary=STORED(),
        body=STORED(),
        tags=STORED(),
        product=ID(stored=True),
        type=ID(stored=True),
        **{PAGE_FIELD: ID()},
        position=STORED(),
        content=TEXT(analyzer=StemmingAnalyzer(expression=TOKEN), phrase=False, spelling=True),
        headings=TEXT(analyzer=StemmingAnalyzer(expression=TOKEN), phrase=False),
        pairs=TEXT(analyzer=RegexTokenizer(TOKEN) | LowercaseFilter() | StemFilter() | BiWordFilter(), phrase=False),
        meaning=COLUMN(FixedBytesColumn(VECTOR_BYTES)),
    )


def section_document(section: Section, vector: bytes) -> dict:
    """The fields of one section's document, as `build_schema` declares them; `vector` comes from `to_bytes`."""
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
        PAGE_FIELD: LISTING if section.listing else ARTICLE,
        "content": "\n".join([section.title, section.heading, *section.tags, section.summary, section.text]),
        "headings": "\n".join([section.title, section.heading, section.summary]),
        "pairs": "\n".join([section.title, section.heading, *section.tags, section.text]),
        "meaning": vector,
    }


# A section with every field set: its document shows whether `section_document` maps fields differently.
PROBE = Section(article_url="probe/", url="probe/#part", title="Probe title", heading="Probe heading",
                text="Probe text, with words.", product="probe", type="help-sheet", summary="Probe summary",
                tags=("probe", "tags"), position=1, listing=True)


def _describe(value: object) -> object:
    """A JSON-able, process-independent description of a schema part (sets sorted, caches left out)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    if isinstance(value, (list, tuple)):
        return [_describe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _describe(item) for key, item in value.items() if not str(key).startswith("_")}
    if isinstance(value, re.Pattern):
        return value.pattern
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    state = value.__getstate__()
    return {"class": f"{type(value).__module__}.{type(value).__qualname__}",
            "state": _describe(state if isinstance(state, dict) else [state])}


def index_fingerprint() -> str:
    """Changes whenever the same sections would be indexed differently, so a previous index can't be reused.

    That is another schema (fields, analyzers), another Whoosh, or another mapping from a section
    to its document (seen on `PROBE`), or another sentence model.
    """
    schema = build_schema()
    described = {name: _describe(schema[name]) for name in schema.names()}
    probe = section_document(PROBE, bytes(VECTOR_BYTES))
    text = json.dumps([whoosh.versionstring(), model_name(), described, probe], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _sha256(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None


@dataclass(frozen=True)
class _Previous:
    """The generation a build starts from, as far as it can reuse it.

    `kept` when it is the copy in the cache folder rather than the output's own current one: the
    output then needs a new generation even if no article changed.
    """

    path: Path
    meta: dict
    hashes: dict[str, str]
    kept: bool = False


def _reusable(root: Path, fingerprint: str, cache_dir: Path | None) -> tuple[_Previous | None, str | None]:
    """The generation to start from and its article hashes, or None and why a full rebuild is needed.

    That is the output's current generation or, in an output folder with none, the one the last
    build kept in `cache_dir` (`bridge.search.kept_index`).
    """
    path, kept = current_generation(root), False
    if path is None and cache_dir is not None:
        path, kept = kept_generation(cache_dir), True
    if path is None:
        return None, "no previous index"
    try:
        meta, hashes = read_meta(path), read_meta(path, ARTICLES_FILE)
    except (OSError, ValueError):
        return None, "the previous index has no readable article hashes"
    if meta.get("fingerprint") != fingerprint:
        return None, "the schema or the section mapping changed"
    return _Previous(path, meta, hashes, kept), None


@dataclass(frozen=True)
class _Plan:
    """What a build does to the index, decided before anything is written.

    `previous` is the generation to copy and update, None for a full rebuild (`full_reason` says
    why); `replaced` counts articles re-indexed since the last full rebuild, this build included.
    """

    previous: _Previous | None
    changes: ArticleChanges
    full_reason: str | None = None
    replaced: int = 0
    synonyms_changed: bool = False


def _plan(root: Path, hashes: dict[str, str], fingerprint: str, synonyms_sha: str | None,
          cache_dir: Path | None) -> _Plan:
    """Incremental unless nothing is reusable or re-indexed articles would exceed `FULL_REBUILD_SHARE`.

    A re-indexed article's old documents stay in the copied segments, marked deleted, until
    Whoosh merges those segments; they still count in term statistics, so past a share of the
    index a full rebuild is both cleaner and not much slower.
    """
    previous, full_reason = _reusable(root, fingerprint, cache_dir)
    changes = ArticleChanges.between(previous.hashes if previous else {}, hashes)
    if previous is None:
        return _Plan(None, changes, full_reason)
    replaced = previous.meta.get("replaced_since_full", 0) + len(changes.to_delete)
    if replaced > FULL_REBUILD_SHARE * len(previous.hashes):
        return _Plan(None, changes, f"{replaced} articles re-indexed since the last full rebuild")
    return _Plan(previous, changes, replaced=replaced, synonyms_changed=previous.meta.get("synonyms") != synonyms_sha)


def _index_all(generation: Path, documents: Iterable[dict]) -> None:
    ix = index.create_in(generation, build_schema())
    writer = ix.writer(limitmb=SORTING_MB, procs=1)
    for document in documents:
        writer.add_document(**document)
    writer.commit(optimize=True)
    ix.close()


def _reindex(generation: Path, to_delete: Iterable[str], documents: Iterable[dict]) -> None:
    """Delete the documents of changed and removed articles, add the new ones; no optimize.

    Whoosh writes the additions as a new small segment and merges only small segments (its
    default); rewriting the large ones is what makes a full rebuild take minutes.
    """
    ix = index.open_dir(str(generation))
    writer = ix.writer(limitmb=SORTING_MB, procs=1)
    for url in sorted(to_delete):
        writer.delete_by_term("article", url)
    for document in documents:
        writer.add_document(**document)
    writer.commit(optimize=False)
    ix.close()


@dataclass(frozen=True)
class _Vectors:
    """Where a build gets its sections' vectors: the cache (None: encode all), and who is putting them there.

    Without `ahead`'s vectors for a text, the index step would encode it a second time.
    """

    cache: VectorCache | None
    ahead: EncodingAhead | None


class _Documents:
    """The sections' documents, a chunk at a time, once the sentence model has encoded every section.

    Whoosh does not add sections while the model encodes: the model's threads meet at the end of
    each operation, so Whoosh busy on one of their cores held all of them back, and the build was
    slower than encoding first and indexing after (decision 0008). `encoded` counts the texts this
    index step had to encode.
    """

    def __init__(self, sections: list[Section], vectors: _Vectors) -> None:
        self.sections, self.vectors, self.encoded = sections, vectors, 0

    def __iter__(self) -> Iterator[dict]:
        texts = [section_text(section) for section in self.sections]
        if self.vectors.ahead is not None:
            self.vectors.ahead.wait_for(texts)
        for start in range(0, len(self.sections), DOCUMENTS_CHUNK):
            end = start + DOCUMENTS_CHUNK
            rows, encoded = section_vectors(texts[start:end], self.vectors.cache)
            self.encoded += encoded
            yield from map(section_document, self.sections[start:end], rows)


def _write_generation(root: Path, plan: _Plan, sections: list[Section], vectors: _Vectors) -> tuple[Path, int]:
    """The new generation, and how many section texts were encoded for it."""
    if plan.previous is None:
        generation = new_generation(root)
        documents = _Documents(sections, vectors)
        _index_all(generation, documents)
        return generation, documents.encoded
    try:
        generation = copy_generation(plan.previous.path, root)
    except FileNotFoundError:
        if not plan.previous.kept:
            raise
        # Another build sharing the cache folder replaced the kept copy while this one was copying it.
        return _write_generation(root, _Plan(None, plan.changes, "the kept index was replaced meanwhile"),
                                 sections, vectors)
    if not plan.changes:
        return generation, 0
    added = plan.changes.to_add
    documents = _Documents([section for section in sections if section.article_url in added], vectors)
    _reindex(generation, plan.changes.to_delete, documents)
    return generation, documents.encoded


def write_index(sections: Iterable[Section], root: Path, *, synonyms: Path | None = None,
                cache: VectorCache | None = None, cache_dir: Path | None = None,
                ahead: EncodingAhead | None = None) -> IndexUpdate:
    """Write the next index generation under `root` and stage it; `publish_staged` makes it current.

    Only articles whose sections changed since the current generation are re-indexed, into a
    hard-linked copy of it, so one edited article costs little even on a large help centre,
    where indexing everything takes minutes (see `_plan` for when it still does). When
    nothing changed, nothing is staged and the current generation stays.

    The writers' synonyms file travels with the generation, so a query is always expanded with
    the synonyms of the index it runs against. Sentence vectors come from `cache` where an
    earlier build encoded the same text with the same model, and are stored there otherwise.
    With `ahead`, another thread is putting them into the cache meanwhile; each section's document
    waits for its vector, and what `ahead` encoded counts as encoded for this build. With
    `cache_dir`, the staged generation is kept there too, and a build into an output folder with no
    index starts from the one kept.
    """
    started = time.perf_counter()
    discard_staged(root)
    sections = list(sections)
    hashes, fingerprint, synonyms_sha = article_hashes(sections), index_fingerprint(), _sha256(synonyms)
    plan = _plan(root, hashes, fingerprint, synonyms_sha, cache_dir)
    if plan.previous is not None and not plan.previous.kept and not plan.changes and not plan.synonyms_changed:
        return IndexUpdate(plan.changes, len(sections), len(hashes), time.perf_counter() - started, None)
    generation, encoded = _write_generation(root, plan, sections, _Vectors(cache, ahead))
    if ahead is not None:
        encoded += ahead.finish()
    if synonyms_sha is not None:
        shutil.copyfile(synonyms, generation / SYNONYMS_FILE)
    update = IndexUpdate(plan.changes, len(sections), len(hashes), time.perf_counter() - started, generation,
                         plan.full_reason, plan.synonyms_changed, encoded,
                         from_kept=plan.previous is not None and plan.previous.kept)
    write_meta(generation, ARTICLES_FILE, hashes)
    write_meta(generation, META_FILE, {
        "documents": update.documents,
        "articles": update.articles,
        "built_at": datetime.now(timezone.utc).isoformat(),
        "fingerprint": fingerprint,
        "synonyms": synonyms_sha,
        "replaced_since_full": plan.replaced,
        "update": {"full_reason": update.full_reason, "changed": len(update.changes.changed),
                   "added": len(update.changes.added), "removed": len(update.changes.removed),
                   "synonyms_changed": update.synonyms_changed, "encoded": encoded,
                   "from_kept": update.from_kept,
                   "index_seconds": round(update.seconds, 3)},
    })
    stage(root, generation)
    if cache_dir is not None:
        keep(generation, cache_dir)
    return update
