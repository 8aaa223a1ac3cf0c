"""Split a page's rendered HTML into sections at h1/h2/h3, as plain text.

Working on the rendered HTML (not the Markdown) means includes, admonitions and any syntax a
Markdown extension understands are indexed as the customer reads them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

SECTION_HEADINGS = {"h1", "h2", "h3"}
SKIPPED = {"script", "style", "svg"}
BLOCKS = {"p", "li", "div", "br", "tr", "td", "th", "pre", "blockquote", "h4", "h5", "h6", "dt", "dd"}


@dataclass
class RawSection:
    """A heading (empty before the first one), its anchor id, and the text under it."""

    heading: str = ""
    anchor: str = ""
    level: int = 0
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


class _SectionParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections = [RawSection()]
        self._heading: RawSection | None = None
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in SKIPPED or (tag == "a" and "headerlink" in (attributes.get("class") or "")):
            self._skip_depth += 1
        elif tag in SECTION_HEADINGS:
            self._heading = RawSection(anchor=attributes.get("id") or "", level=int(tag[1]))
        elif tag in BLOCKS:
            self._current().parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth and (tag in SKIPPED or tag == "a"):
            self._skip_depth -= 1
        elif tag in SECTION_HEADINGS and self._heading is not None:
            self._heading.heading = " ".join("".join(self._heading.parts).split())
            self._heading.parts = []
            self.sections.append(self._heading)
            self._heading = None
        elif tag in BLOCKS:
            self._current().parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._current().parts.append(data)

    def _current(self) -> RawSection:
        return self._heading if self._heading is not None else self.sections[-1]


def split_sections(html: str) -> list[RawSection]:
    """Sections in page order; an empty lead-in before the first heading is dropped."""
    parser = _SectionParser()
    parser.feed(html)
    parser.close()
    return [section for section in parser.sections if section.heading or section.text]
