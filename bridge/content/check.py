"""`kb check`: front matter, where each article lives, duplicate titles, and every internal link and
anchor, reported as `path:line: message` with a likely fix where there is one.

This runs without building the site so that a writer gets every problem in one pass, in a
second, with the line to fix; `mkdocs build --strict` remains the final word at build time.
"""
from __future__ import annotations

import os
import re
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import yaml
from markdown.extensions.toc import slugify

from bridge.content.frontmatter import FrontMatterError, Problem, schema_problems, split_front_matter
from bridge.content.links import links_leaving
from bridge.content.placement import duplicate_title_problems, placement_problems
from bridge.search.layout import SYNONYMS_FILE
from bridge.search.synonyms import GROUP_RULE, is_group

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"\{\s*#([\w-]+)[^}]*\}\s*$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`]*`")
INLINE_MARKUP = re.compile(r"[*_`]|\[([^\]]*)\]\([^)]*\)")
SHOWN_ANCHORS = 8


def prose_lines(text: str) -> list[tuple[int, str]]:
    """Numbered lines outside fenced code blocks, with inline code removed."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, INLINE_CODE.sub("", line)))
    return lines


def heading_anchors(text: str) -> set[str]:
    """The ids MkDocs' toc extension gives this file's headings (duplicates get _1, _2, ...)."""
    anchors: set[str] = set()
    for _, line in prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        heading = match.group(2)
        explicit = EXPLICIT_ID.search(heading)
        if explicit:
            anchors.add(explicit.group(1))
            continue
        slug = base = slugify(INLINE_MARKUP.sub(lambda m: m.group(1) or "", heading), "-")
        counter = 0
        while slug in anchors:
            counter += 1
            slug = f"{base}_{counter}"
        anchors.add(slug)
    return anchors


def link_problems(path: Path, text: str, kb_dir: Path, anchors_of: dict[Path, set[str]],
                  articles: frozenset[Path]) -> list[Problem]:
    """Relative links that point at a missing file, or at a heading the target does not have."""
    problems = []
    for number, line in prose_lines(text):
        for match in LINK.finditer(line):
            target = match.group(1)
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or target.startswith("/"):
                continue
            file_part, anchor = unquote(parts.path), parts.fragment
            resolved = (path.parent / file_part).resolve() if file_part else path.resolve()
            if file_part and not resolved.exists():
                problems.append(Problem(path, number, f"broken link: '{target}' (no file {file_part})"
                                                      f"{closest_file(file_part, path, articles)}"))
            elif kb_dir.resolve() not in resolved.parents and resolved != kb_dir.resolve():
                problems.append(Problem(path, number, f"broken link: '{target}' points outside the knowledge base"))
            elif anchor and resolved.suffix == ".md" and anchor not in anchors_of.get(resolved, set()):
                problems.append(Problem(path, number, f"broken anchor: '{target}' (no heading '#{anchor}' in "
                                                      f"{resolved.name}){existing_anchors(anchor, anchors_of[resolved])}"))
    return problems


def closest_file(file_part: str, source: Path, articles: frozenset[Path]) -> str:
    """'; did you mean ...?' with the article whose link from `source` reads most like the broken one."""
    match = get_close_matches(file_part, _links_from(source.resolve().parent, articles), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


@lru_cache(maxsize=64)
def _links_from(folder: Path, articles: frozenset[Path]) -> frozenset[str]:
    """How a page in `folder` links to each article; once per folder, as a folder's pages share it."""
    return frozenset(Path(os.path.relpath(article, folder)).as_posix() for article in articles)


def existing_anchors(anchor: str, anchors: set[str]) -> str:
    """The closest heading, or the headings there are when none is close."""
    match = get_close_matches(anchor, anchors, n=1, cutoff=0.6)
    if match:
        return f"; did you mean '#{match[0]}'?"
    listed = sorted(anchors)
    more = f" and {len(listed) - SHOWN_ANCHORS} more" if len(listed) > SHOWN_ANCHORS else ""
    return f"; its headings are {', '.join('#' + a for a in listed[:SHOWN_ANCHORS])}{more}" if listed else "; it has no headings"


def check_kb(kb_dir: Path, products: set[str]) -> list[Problem]:
    """Every problem in the knowledge base: links that leave it first, then in file order, and by line within a file."""
    leaving = links_leaving(kb_dir)
    outside = {problem.path for problem in leaving}
    files = [path for path in sorted(kb_dir.rglob("*.md")) if path not in outside]
    texts = {path: path.read_text(encoding="utf-8") for path in files}
    anchors_of = {path.resolve(): heading_anchors(text) for path, text in texts.items()}
    articles = frozenset(anchors_of)
    problems: list[Problem] = leaving
    titles: dict[Path, tuple[str, int]] = {}
    for path, text in texts.items():
        try:
            front = split_front_matter(text)
        except FrontMatterError as exc:
            problems.append(Problem(path, exc.line, str(exc)))
            continue
        problems += schema_problems(path, front, products)
        relative = PurePosixPath(path.relative_to(kb_dir).as_posix())
        problems += placement_problems(relative, path, front.data, front.key_lines, products)
        problems += link_problems(path, text, kb_dir, anchors_of, articles)
        if isinstance(front.data.get("title"), str) and front.data["title"].strip():
            titles[path] = (front.data["title"].strip(), front.key_lines["title"])
    problems += duplicate_title_problems(titles, kb_dir)
    order = {path: number for number, path in enumerate(files)}
    problems.sort(key=lambda problem: (order.get(problem.path, -1), problem.line))  # links leaving kb/ first
    return problems + synonym_problems(kb_dir / SYNONYMS_FILE)


def synonym_problems(path: Path) -> list[Problem]:
    """Each bad group of the writers' synonyms file, at its line.

    Search ignores a broken file rather than fail (see `load_synonyms`), so this is where a
    writer learns of it.
    """
    if not path.is_file():
        return []
    try:
        document = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Problem(path, mark.line + 1 if mark else 1, f"synonyms are not valid YAML: {getattr(exc, 'problem', exc)}")]
    if document is None:
        return []
    if not isinstance(document, yaml.SequenceNode):
        return [Problem(path, document.start_mark.line + 1,
                        "synonyms must be a list of groups, e.g. `- [sign in, log in, login]`")]
    return [Problem(path, node.start_mark.line + 1, f"a synonym group {GROUP_RULE}")
            for node in document.value if not is_group(yaml.safe_load(yaml.serialize(node)))]
