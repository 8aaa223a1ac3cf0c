"""`kb build`: one real `mkdocs build` of a knowledge-base folder; the index comes from our plugin.

Each build renders into a new site generation and publishes it with the index it staged, so a
running bridge never serves a half-written site or index (see `bridge.search.layout`). The
MkDocs configuration is ours (`mkdocs.yml`) or a company's own: either way the build adds the
`kb-bridge` plugin, pointed at this build's index, and leaves out Material's browser-side search.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError
from mkdocs.utils.yaml import yaml_load

from bridge.content.links import links_leaving
from bridge.search.layout import discard_staged, new_generation, publish_staged, switch
from bridge.settings import PROJECT_ROOT

MKDOCS_CONFIG = PROJECT_ROOT / "mkdocs.yml"
OUR_KB = PROJECT_ROOT / "kb"
SITE_LINK = "site"
SITE_PREFIX = "site-gen-"
BUILD_LOCK = ".kb-build.lock"
LENIENT_VALIDATION = {
    "links": {"not_found": "info", "absolute_links": "info", "unrecognized_links": "info", "anchors": "info"},
    "nav": {"omitted_files": "info", "not_found": "info", "absolute_links": "info"},
}
PROGRESS_LOGGERS = ("mkdocs.commands.build", "mkdocs.plugins.kb_index", "mkdocs.kb_build")
PLUGIN = "kb-bridge"
# Material's browser-side search would build a second index nobody reads; the bridge answers search.
LEFT_OUT_PLUGINS = {"search", "material/search"}
log = logging.getLogger("mkdocs.kb_build")


def _progress_and_warnings(record: logging.LogRecord) -> bool:
    """A foreign help centre has thousands of info-level link notes; show only progress and warnings."""
    return record.levelno >= logging.WARNING or record.name in PROGRESS_LOGGERS


def show_build_log(*, quiet_info: bool) -> None:
    """Print MkDocs' own log lines (and our plugin's progress) the way its CLI does."""
    logger = logging.getLogger("mkdocs")
    handler = next((h for h in logger.handlers if getattr(h, "kb_build", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.kb_build = True
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
    handler.filters.clear()
    if quiet_info:
        handler.addFilter(_progress_and_warnings)
    logger.setLevel(logging.INFO)


def build_site(kb_dir: Path, out_dir: Path, *, strict: bool, config_file: Path = MKDOCS_CONFIG) -> None:
    """Render `kb_dir` into a new site generation and index it, then publish both; `out_dir/site` links to it.

    Strict builds (our own `kb/`) fail on any MkDocs warning; lenient builds (any other folder of
    Markdown, such as an imported help centre) log broken links and missing images as info.
    MkDocs counts strict warnings only after its last plugin event has run, so the plugin merely stages the
    index; the site and the index are switched here, once the build has succeeded, and a failed
    build leaves the site and index being served as they were. A symbolic link that leaves
    `kb_dir` stops any build before it starts (bridge/content/links.py).
    """
    leaving = links_leaving(kb_dir)
    if leaving:
        raise Abort("refusing to publish links that leave the content folder:\n" + "\n".join(map(str, leaving)))
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    index_root = out_dir / "index"
    show_build_log(quiet_info=not strict)
    with _one_build_at_a_time(out_dir):
        site = new_generation(out_dir, SITE_PREFIX)
        try:
            _render(kb_dir, site, index_root, config_file, strict=strict)
        except BaseException:
            discard_staged(index_root)
            shutil.rmtree(site, ignore_errors=True)
            raise
        switch(out_dir / SITE_LINK, site)
        publish_staged(index_root)


@contextmanager
def _one_build_at_a_time(out_dir: Path) -> Iterator[None]:
    """A second build into the same folder waits for the first, rather than replacing the index it staged."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / BUILD_LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("Waiting for another kb build into %s to finish", out_dir)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _render(kb_dir: Path, site: Path, index_root: Path, config_file: Path, *, strict: bool) -> None:
    if PLUGIN not in entry_points(group="mkdocs.plugins").names:
        # MkDocs would only say the plugin "is not installed"; a checkout installed before it existed needs this.
        raise ConfigurationError(f"the {PLUGIN} MkDocs plugin is not registered in this Python environment: "
                                 "run `make install` (or `pip install -e .`) to register it")
    overrides: dict[str, Any] = {"docs_dir": str(kb_dir.resolve()), "site_dir": str(site.resolve()), "strict": strict,
                                 "plugins": plugins_with_bridge(config_file, index_root)}
    if not strict:
        overrides["validation"] = LENIENT_VALIDATION
    config = load_config(config_file=str(config_file), **overrides)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()


def plugins_with_bridge(config_file: Path, index_root: Path) -> list[str | dict[str, Any]]:
    """The configuration's own plugins, without Material's search, and ours writing into `index_root`.

    A company's `mkdocs.yml` need not name our plugin; if it does, its other options are kept.
    """
    try:
        with open(config_file, encoding="utf-8") as stream:
            listed = yaml_load(stream).get("plugins", ["search"])
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{config_file}: cannot read the MkDocs configuration ({exc})") from exc
    entries = listed.items() if isinstance(listed, dict) else [
        next(iter(entry.items())) if isinstance(entry, dict) else (entry, None) for entry in listed or []
    ]
    ours: dict[str, Any] = {}
    plugins: list[str | dict[str, Any]] = []
    for name, options in entries:
        if name == PLUGIN:
            ours = dict(options or {})
        elif name not in LEFT_OUT_PLUGINS:
            plugins.append({name: options} if options is not None else name)
    return plugins + [{PLUGIN: {**ours, "index_dir": str(index_root.resolve())}}]
