"""From a rendered page to the sections we index, with metadata for any folder of Markdown.

Our own `kb/` has a strict schema; a foreign help centre (such as the shared corpus) does not,
so each field falls back in a documented order rather than failing the build.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from bridge.search.sections import split_sections
from bridge.search.types import Section

DEFAULT_TYPE = "article"
# MkDocs makes these the page of their folder: the home page, or a section's page.
INDEX_PAGES = frozenset({"index", "readme"})
# The index field that tells a listing page's sections from an article's, and its two values.
PAGE_FIELD, LISTING, ARTICLE = "page", "listing", "article"


def is_listing_page(src_uri: str) -> bool:
    """True for a folder's own page (`index.md`, `README.md`), which mostly lists the folder's articles.

    It names every article's subject in passing, so it matches many queries without answering
    them; search shows it after the articles unless asked for it by name.
    """
    return PurePosixPath(src_uri).stem.lower() in INDEX_PAGES


def article_product(meta: Mapping[str, Any], src_uri: str) -> str:
    """`product`, else the first `appliesto` entry, else the top folder, else "general"."""
    product = meta.get("product")
    if isinstance(product, str) and product.strip():
        return product.strip()
    applies_to = meta.get("appliesto")
    if isinstance(applies_to, list) and applies_to and str(applies_to[0]).strip():
        return str(applies_to[0]).strip()
    if isinstance(applies_to, str) and applies_to.strip():
        return applies_to.strip()
    folder, _, rest = src_uri.partition("/")
    return folder if rest else "general"


def article_tags(meta: Mapping[str, Any]) -> tuple[str, ...]:
    tags = meta.get("tags") or ()
    if isinstance(tags, str):
        tags = tags.split(",")
    return tuple(str(tag).strip().lower() for tag in tags if str(tag).strip())


def page_sections(*, url: str, src_uri: str, title: str, meta: Mapping[str, Any], html: str) -> list[Section]:
    """One Section per h1/h2/h3 of the page; text before the first heading belongs to the article."""
    product = article_product(meta, src_uri)
    summary = str(meta.get("summary") or meta.get("description") or "").strip()
    kind = str(meta.get("type") or DEFAULT_TYPE)
    tags = article_tags(meta)
    listing = is_listing_page(src_uri)
    sections = []
    for position, raw in enumerate(split_sections(html)):
        sections.append(
            Section(
                article_url=url,
                url=f"{url}#{raw.anchor}" if raw.anchor else url,
                title=title,
                heading=raw.heading or title,
                text=raw.text,
                product=product,
                type=kind,
                summary=summary,
                tags=tags,
                position=position,
                listing=listing,
            )
        )
    return sections
