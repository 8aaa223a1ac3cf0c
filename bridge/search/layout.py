"""Where a build's output lives on disk: generations beside each other and links between them.

Every build writes a whole new generation folder (an index generation under `index/`, a site
generation beside `site`) and then swaps a symlink with one atomic rename, so a running bridge
sees either the old generation or the new one, never a half-written one. The previous
generation is kept, so a query or page request that started on it can finish.

The index is published in two steps: the kb-bridge MkDocs plugin writes a generation and stages it as
`index/next`; `kb build` promotes `next` to `current` only once MkDocs reports success, together
with the site. A failed build leaves what the bridge serves untouched.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

CURRENT = "current"
STAGED = "next"
INDEX_PREFIX = "gen-"
META_FILE = "kb-index.json"
ARTICLES_FILE = "kb-articles.json"
SYNONYMS_FILE = "synonyms.yml"
OUR_FILES = frozenset({META_FILE, ARTICLES_FILE, SYNONYMS_FILE})


def _stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%f")


def _prefix(generation: Path) -> str:
    """`gen-` for `gen-<stamp>`, `site-gen-` for `site-gen-<stamp>`."""
    return generation.name.rsplit("-", 1)[0] + "-"


def linked_generation(link: Path) -> Path | None:
    """The folder a generation link points at, or None when there is no link."""
    try:
        return link.parent / os.readlink(link)
    except OSError:
        return None


def current_generation(root: Path) -> Path | None:
    """The index generation the `current` link points at, or None when nothing was published."""
    return linked_generation(root / CURRENT)


def new_generation(root: Path, prefix: str = INDEX_PREFIX) -> Path:
    """A fresh, empty folder for the next build; its name sorts after every earlier one."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{prefix}{_stamp()}"
    path.mkdir()
    return path


def copy_generation(source: Path, root: Path | None = None, *, ours: bool = False) -> Path:
    """A new generation under `root` (default: beside `source`) sharing the index files of `source`.

    For a build that changes only part of an index. Files are hard-linked, not copied, which
    takes milliseconds even for a large index: the index engine never rewrites a file it has
    written (a commit adds new files and a new table of contents). Across file systems, where
    a link cannot be made, they are copied. Our own files are copied only with `ours`: a build
    writes them anew, and they are the only files ever rewritten.
    """
    target = new_generation(root or source.parent, _prefix(source))
    try:
        for path in source.iterdir():
            if path.name not in OUR_FILES:
                _share(path, target / path.name)
            elif ours:
                shutil.copyfile(path, target / path.name)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _share(path: Path, target: Path) -> None:
    try:
        os.link(path, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copyfile(path, target)


def _point(link: Path, generation: Path) -> None:
    """Make `link` point at `generation` in one atomic rename; readers see the old or the new."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(generation.name)
    os.replace(temporary, link)


def _prune(new: Path, kept: Path | None) -> None:
    """Remove generations older than `new`, except `kept` (the one it replaced).

    Newer folders belong to a build still running, so they are left alone.
    """
    for old in new.parent.glob(f"{_prefix(new)}*"):
        if old.name < new.name and old != kept and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _adopt_folder(link: Path, prefix: str) -> Path | None:
    """A plain folder at `link` (written before generations existed) becomes a generation."""
    if not link.is_dir() or link.is_symlink():
        return None
    mtime = datetime.fromtimestamp(link.stat().st_mtime, timezone.utc)
    return link.rename(link.with_name(f"{prefix}{_stamp(mtime)}"))


def switch(link: Path, generation: Path) -> None:
    """Point `link` at `generation` atomically and prune all but it and the one it replaced."""
    previous = _adopt_folder(link, _prefix(generation)) or linked_generation(link)
    _point(link, generation)
    _prune(generation, previous)


def write_meta(generation: Path, name: str, data: dict) -> None:
    (generation / name).write_text(json.dumps(data, indent=1), encoding="utf-8")


def read_meta(generation: Path, name: str = META_FILE) -> dict:
    return json.loads((generation / name).read_text(encoding="utf-8"))


def stage(root: Path, generation: Path) -> None:
    """Mark a complete generation as the next one to publish."""
    _point(root / STAGED, generation)


def publish_staged(root: Path) -> Path | None:
    """Make the staged generation current; None when the build staged nothing (nothing changed)."""
    staged = linked_generation(root / STAGED)
    if staged is None:
        return None
    switch(root / CURRENT, staged)
    (root / STAGED).unlink()
    return staged


def discard_staged(root: Path) -> None:
    """Forget a staged generation that will not be published (a failed or superseded build)."""
    staged = linked_generation(root / STAGED)
    if staged is not None:
        (root / STAGED).unlink()
        shutil.rmtree(staged, ignore_errors=True)
