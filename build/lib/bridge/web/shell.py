"""The help centre's page shell, so pages the bridge renders (the ticket form) look like the site.

`kb build` renders one extra page with the Material theme (bridge/build_plugin/shell_page.py):
the site's header, search box, navigation and styles around three placeholders, with every URL
written from the site root so it works at any path the bridge serves. It lives inside the site
generation, so it always matches the assets it links to; the bridge reads it once per generation
and fills the placeholders. Nothing here knows Flask, so the build and the bridge share it.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

SHELL_FILE = "_bridge/shell.html"
TITLE = "<!--kb-bridge:title-->"
HEAD = "<!--kb-bridge:head-->"
CONTENT = "<!--kb-bridge:content-->"
MAIN_ID = "kb-main"

# Used when the build predates the shell (or a test serves no site): plain, but complete and accessible.
PLAIN_SHELL = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{TITLE}</title>{HEAD}</head>
<body><a href="#{MAIN_ID}">Skip to content</a><header><a href="/">Help Centre</a></header>
<main>{CONTENT}</main></body>
</html>
"""


@dataclass(frozen=True)
class Shell:
    """A page template with the TITLE, HEAD and CONTENT placeholders, each present exactly once."""

    html: str

    def __post_init__(self) -> None:
        for placeholder in (HEAD, CONTENT):
            if self.html.count(placeholder) != 1:
                raise ValueError(f"the page shell must contain {placeholder} exactly once")

    def render(self, *, title: str, head: str, content: str) -> str:
        """The page: title is text (escaped here), head and content are trusted HTML from our templates."""
        return (self.html.replace(TITLE, escape(title))
                .replace(HEAD, head, 1)
                .replace(CONTENT, content, 1))


def load_shell(site_dir: Path) -> Shell:
    """The shell `kb build` wrote into this site generation, or the plain one if there is none."""
    path = site_dir / SHELL_FILE
    return Shell(path.read_text(encoding="utf-8") if path.is_file() else PLAIN_SHELL)
