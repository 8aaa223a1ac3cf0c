"""`kb-bridge`, the MkDocs plugin every help-centre build runs (registered under `mkdocs.plugins`).

Like Material's search plugin it keeps one build's state on the plugin object, collects per page
and writes once in `on_post_build`. It also makes any Material configuration, ours or a
company's own, fit the bridge: its theme additions (feedback, the search worker, styles) sit
between the company's `custom_dir` and Material, the Markdown extensions our articles use are
on, and fonts come from the reader's system, never from a third-party host.
"""
from __future__ import annotations

import logging
from pathlib import Path

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from bridge.build_plugin.config import BridgeConfig
from bridge.build_plugin.search_index import SectionCollector, collector_for, write_material_stub
from bridge.build_plugin.shell_page import write_shell
from bridge.release_notes.manifest import PublishedNote, write_manifest
from bridge.search.layout import SYNONYMS_FILE
from bridge.web.content_security import inline_script_hashes, write_hashes
from bridge.web.shell import SHELL_FILE

log = logging.getLogger("mkdocs.plugins.kb_bridge")
THEME_DIR = Path(__file__).parent / "theme"
# What the sample articles and the section splitter rely on, added when a configuration lacks them.
MARKDOWN_EXTENSIONS = ("admonition", "attr_list", "md_in_html", "def_list", "pymdownx.details", "pymdownx.superfences")
MATERIAL_FONT = {"text": "Roboto", "code": "Roboto Mono"}


class BridgePlugin(BasePlugin[BridgeConfig]):
    """Index the rendered pages for the bridge and render the bridge's page shell."""

    def __init__(self) -> None:
        self.collector: SectionCollector | None = None
        self.env: Environment | None = None
        self.files: Files | None = None
        self.nav: Navigation | None = None
        # The hash of every inline script this build writes: the bridge's Content-Security-Policy allows these only.
        self.script_hashes: set[str] = set()
        self.release_notes: list[PublishedNote] = []

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if config.theme.name != "material":
            raise PluginError(f"kb-bridge: theme.name is {config.theme.name!r} in {config.config_file_path}; "
                              "the help centre needs 'material'")
        config.theme.dirs.insert(1 if config.theme.custom_dir else 0, str(THEME_DIR))
        _no_font_from_elsewhere(config)
        for extension in MARKDOWN_EXTENSIONS:
            if extension not in config.markdown_extensions:
                config.markdown_extensions.append(extension)
        config.mdx_configs.setdefault("toc", {}).setdefault("permalink", True)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        synonyms = files.get_file_from_path(SYNONYMS_FILE)
        if synonyms is not None:
            files.remove(synonyms)  # the writers' synonyms feed the index (read from docs_dir), not the site
        if self.config.pages_dir:
            _add_pages(files, Path(self.config.pages_dir), config)
        self.collector = collector_for(len(files.documentation_pages()))
        self.script_hashes = set()
        self.release_notes = []
        return files

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    def on_env(self, env: Environment, config: MkDocsConfig, files: Files) -> Environment:
        self.env, self.files = env, files
        return env

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.collector is not None, "MkDocs calls on_files before any page"
        self.collector.add(page, html)
        note = published_note(page)
        if note is not None:
            self.release_notes.append(note)
        return html

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        self.script_hashes.update(inline_script_hashes(output))
        return output

    def on_post_template(self, output_content: str, template_name: str, config: MkDocsConfig) -> str:
        self.script_hashes.update(inline_script_hashes(output_content))  # the theme's own pages (404)
        return output_content

    def on_post_build(self, config: MkDocsConfig) -> None:
        site_dir = Path(config.site_dir)
        write_material_stub(site_dir)
        assert None not in (self.env, self.files, self.nav), "MkDocs calls on_env and on_nav before on_post_build"
        write_shell(self.env, self.nav, self.files, config)
        self.script_hashes.update(inline_script_hashes((site_dir / SHELL_FILE).read_text(encoding="utf-8")))
        write_hashes(site_dir, self.script_hashes)
        write_manifest(site_dir, self.release_notes)
        index_root = Path(self.config.index_dir) if self.config.index_dir else site_dir.parent / "index"
        assert self.collector is not None, "MkDocs calls on_files before on_post_build"
        self.collector.stage(index_root, synonyms=Path(config.docs_dir) / SYNONYMS_FILE)

    def on_build_error(self, error: Exception) -> None:
        if self.collector is not None:
            self.collector.stop()


def published_note(page: Page) -> PublishedNote | None:
    """The release note a rendered page is, for the list the bridge announces from; None for any other page."""
    meta = page.meta
    if meta.get("type") != "release-note" or not all(isinstance(meta.get(key), str) for key in ("product", "summary")):
        return None
    return PublishedNote(path=page.file.src_uri, product=meta["product"], title=page.title or page.file.src_uri,
                         summary=meta["summary"], url=page.url)


def _add_pages(files: Files, pages_dir: Path, config: MkDocsConfig) -> None:
    """The company's own pages join the site (and its navigation and search) beside the articles."""
    for path in sorted(pages_dir.rglob("*.md")):
        page = File(path.relative_to(pages_dir).as_posix(), str(pages_dir), config.site_dir, config.use_directory_urls)
        if files.get_file_from_path(page.src_uri) is not None:
            raise PluginError(f"kb-bridge: {path} and {Path(config.docs_dir) / page.src_uri} would both be "
                              f"published at /{page.url}; rename one")
        files.append(page)


def _no_font_from_elsewhere(config: MkDocsConfig) -> None:
    """Material loads its fonts from Google unless `theme.font` is false: a request we never let leave the site."""
    font = config.theme["font"] if "font" in config.theme else False
    if font and font != MATERIAL_FONT:
        log.warning("theme.font %r in %s is not loaded: fonts are never fetched from Google. Serve the font "
                    "from the site (an @font-face in extra_css) and set `font: false`", font, config.config_file_path)
    config.theme["font"] = False
