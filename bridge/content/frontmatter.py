"""Front matter of a help-centre article: reading it, and the schema our own `kb/` must follow.

Writers edit YAML by hand, so every problem is reported with the file and the line it is on,
the way a compiler would, and reading never stops at the first problem.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Each article type and the folder under kb/<product>/ that holds it (bridge/content/placement.py).
TYPE_FOLDERS = {
    "help-sheet": "help-sheets",
    "quick-start": "quick-starts",
    # Mailed to the nominated contacts whose plan covers the product, the first time a build publishes one.
    "release-note": "release-notes",
}
ARTICLE_TYPES = tuple(TYPE_FOLDERS)
REQUIRED_KEYS = ("title", "summary", "type", "product", "tags")
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
UNQUOTED_COLON = re.compile(r"""^(\w+):\s+([^"'\s\[{][^#]*?:\s.*?)\s*$""")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, printed as `path:line: message`."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class FrontMatter:
    """The parsed YAML block, the line number of each top-level key, and where the body starts."""

    data: dict[str, Any]
    key_lines: dict[str, int]
    body_line: int


class FrontMatterError(ValueError):
    """The front matter is not YAML we can read; carries the line of the fault."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def split_front_matter(text: str) -> FrontMatter:
    """Read the `---` fenced YAML block at the top of a Markdown file (if any)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return FrontMatter({}, {}, 1)
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            break
    else:
        raise FrontMatterError(1, "front matter starts with '---' but never ends")
    block = "\n".join(lines[1:end])
    try:
        node, data = _parse(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        hint = _quote_hint(lines[line - 1] if line - 1 < len(lines) else "")
        raise FrontMatterError(line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}{hint}") from exc
    if data is None:
        return FrontMatter({}, {}, end + 2)
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise FrontMatterError(2, "front matter must be a mapping of keys to values")
    key_lines = {key.value: key.start_mark.line + 2 for key, _ in node.value}
    return FrontMatter(data, key_lines, end + 2)


def _parse(block: str) -> tuple[yaml.Node | None, Any]:
    """The block's node tree (which knows each key's line) and the data made from it, in one pass.

    libyaml's loader where PyYAML was built with it: on a large help centre the front matter of
    every article is read at each build, and the pure-Python parser made that a good part of it.
    A block it finds a fault in is read again by the pure-Python parser, so the message a writer
    sees does not depend on how PyYAML was built.
    """
    try:
        return _parse_with(FAST_LOADER, block)
    except yaml.YAMLError:
        return _parse_with(yaml.SafeLoader, block)


def _parse_with(loader_class: type, block: str) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(block)
    try:
        node = loader.get_single_node()
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _quote_hint(line: str) -> str:
    """The likeliest fault: a value with ': ' in it (a title such as `Ledger: your first invoice`) unquoted."""
    match = UNQUOTED_COLON.match(line)
    if not match:
        return ""
    key, value = match.groups()
    return f"; a value containing ': ' must be quoted: {key}: {json.dumps(value, ensure_ascii=False)}"


def schema_problems(path: Path, front: FrontMatter, products: set[str]) -> list[Problem]:
    """Problems with an article's front matter against the kb-bridge schema."""
    data, lines = front.data, front.key_lines
    problems = [
        Problem(path, 1, f"front matter: missing required key '{key}'")
        for key in REQUIRED_KEYS
        if key not in data
    ]
    problems += [
        Problem(path, lines[key], f"front matter: unknown key '{key}' (allowed: {', '.join(REQUIRED_KEYS)})")
        for key in data
        if key not in REQUIRED_KEYS
    ]
    for key in ("title", "summary"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            problems.append(Problem(path, lines[key], f"front matter: '{key}' must be non-empty text"))
    if "type" in data and data["type"] not in ARTICLE_TYPES:
        problems.append(
            Problem(path, lines["type"], f"front matter: 'type' is {data['type']!r}; expected one of {', '.join(ARTICLE_TYPES)}")
        )
    if "product" in data and data["product"] not in products:
        problems.append(
            Problem(
                path,
                lines["product"],
                f"front matter: 'product' is {data['product']!r}; expected one of {', '.join(sorted(products))} "
                "(site_config/products.yml)",
            )
        )
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
            problems.append(Problem(path, lines["tags"], "front matter: 'tags' must be a list of words"))
    return problems
