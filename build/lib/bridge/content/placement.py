"""Where an article lives must agree with what it says it is: `kb/<product>/<type folder>/`.

The folders are the site's navigation (by product, then type), so an article in the wrong
folder, or whose front matter names another product or type than its folder, shows up in the
wrong place on the site and in the wrong filter of search. One table maps each article type to
its folder (`TYPE_FOLDERS`, beside the schema), so a new type (release notes) is one more row.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

from bridge.content.frontmatter import TYPE_FOLDERS, Problem

FOLDER_TYPES = {folder: kind for kind, folder in TYPE_FOLDERS.items()}
LANDING_PAGE = "index.md"  # the home page, a product's page, a type's page: not articles
PLACES = f"kb/<product>/<{'|'.join(TYPE_FOLDERS.values())}>/"


def placement_problems(relative: PurePosixPath, path: Path, data: dict[str, Any], key_lines: dict[str, int],
                       products: set[str]) -> list[Problem]:
    """The folder rules for one file, `relative` to the knowledge base; the front matter is already read.

    A product or type the schema does not know is reported there, not again here.
    """
    parts = relative.parts
    if relative.name == LANDING_PAGE and len(parts) <= 3:
        folder_product = parts[0] if len(parts) > 1 else None
        folder_type = FOLDER_TYPES.get(parts[1]) if len(parts) == 3 else None
    elif len(parts) == 3 and parts[0] in products and parts[1] in FOLDER_TYPES:
        folder_product, folder_type = parts[0], FOLDER_TYPES[parts[1]]
    else:
        return [Problem(path, 1, f"article outside {PLACES}{_move_hint(relative, data, products)}")]
    problems = []
    product = data.get("product")
    if folder_product and product in products and product != folder_product:
        problems.append(Problem(path, key_lines.get("product", 1),
                                f"front matter: 'product' is {product!r} but the article is in kb/{folder_product}/; "
                                f"change it to {folder_product!r} or move the file"))
    kind = data.get("type")
    if folder_type and kind in TYPE_FOLDERS and kind != folder_type:
        problems.append(Problem(path, key_lines.get("type", 1),
                                f"front matter: 'type' is {kind!r} but the article is in {TYPE_FOLDERS[folder_type]}/; "
                                f"change it to {folder_type!r} or move the file"))
    return problems


def _move_hint(relative: PurePosixPath, data: dict[str, Any], products: set[str]) -> str:
    """Where the file belongs, when its own front matter says so."""
    product, kind = data.get("product"), data.get("type")
    if product in products and kind in TYPE_FOLDERS:
        return f"; move it to kb/{product}/{TYPE_FOLDERS[kind]}/{relative.name}"
    if relative.parts[0] not in products and len(relative.parts) > 1:
        return f" ({relative.parts[0]!r} is not a product in site_config/products.yml)"
    return ""


def duplicate_title_problems(titles: dict[Path, tuple[str, int]], kb_dir: Path) -> list[Problem]:
    """Two articles with one title look the same in search results and navigation; name the others."""
    holders: dict[str, list[Path]] = defaultdict(list)
    for path, (title, _) in titles.items():
        holders[" ".join(title.casefold().split())].append(path)
    problems = []
    for paths in holders.values():
        for path in paths if len(paths) > 1 else []:
            others = ", ".join(f"{other.relative_to(kb_dir)}:{titles[other][1]}" for other in paths if other != path)
            problems.append(Problem(path, titles[path][1], f"duplicate title {titles[path][0]!r} (also {others})"))
    return problems
