"""The plugin's shell half: the page shell the bridge wraps its own pages in (see bridge/web/shell.py).

The shell is rendered from the theme's main.html exactly like Material's 404 page: no page of
its own, so it stays out of the navigation, the sitemap and the search index, and with every
URL written from the site root, so it works at /tickets/new as well as deeper paths. It is
written into the site (`_bridge/shell.html`) so that it is published, and replaced, together
with the assets it links to.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment
from mkdocs.commands.build import get_context
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation

from bridge.web.shell import CONTENT, HEAD, MAIN_ID, SHELL_FILE, TITLE, Shell

TEMPLATE = (
    '{% extends "main.html" %}'
    "{% block htmltitle %}<title>" + TITLE + " - {{ config.site_name }}</title>{% endblock %}"
    "{% block extrahead %}" + HEAD + "{% endblock %}"
    "{% block content %}" + CONTENT + "{% endblock %}"
)
# Material only renders a skip link for a page with a table of contents; the shell has none.
SKIP_SLOT = '<div data-md-component="skip">'
SKIP_LINK = f'{SKIP_SLOT}<a href="#{MAIN_ID}" class="md-skip">Skip to content</a>'
# Present only when main.html extends our kb-bridge.html: without it the search box asks nobody.
OUR_WORKER = "bridge-search-worker.js"


def write_shell(env: Environment, nav: Navigation, files: Files, config: MkDocsConfig) -> None:
    root = urlsplit(config.site_url or "/").path
    context = get_context(nav, files, config, base_url=root)
    html = env.from_string(TEMPLATE).render(context)
    if OUR_WORKER not in html:
        raise PluginError(f"kb-bridge: the theme's main.html (custom_dir {config.theme.custom_dir}) must "
                          '{% extends "kb-bridge.html" %} instead of "base.html", or search and feedback are lost')
    if html.count(SKIP_SLOT) != 1:
        raise PluginError(f"kb-bridge shell: the theme's skip-link slot {SKIP_SLOT!r} has changed; update {__file__}")
    shell = Shell(html.replace(SKIP_SLOT, SKIP_LINK))
    path = Path(config.site_dir) / SHELL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(shell.html, encoding="utf-8")
