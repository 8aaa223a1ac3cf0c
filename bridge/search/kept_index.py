"""The last index a build wrote, kept in the cache folder, so a build into an empty output folder re-indexes only what changed.

A build from a clean checkout (CI, a new server) has no index of its own to update, so even
with every vector in the vector cache it would index every section again, and on a large help
centre indexing is then most of the build. So each build leaves a copy of the generation it
staged in `KB_CACHE_DIR`, with the article hashes it was made from; a build whose output folder
has no index starts from that copy and re-indexes only the articles that differ, exactly as an
incremental build does. The copy shares its files with the output by hard links where both are
on one file system. Deleting it is safe: the next build into an empty folder indexes everything.
"""
from __future__ import annotations

from pathlib import Path

from bridge.search.layout import CURRENT, copy_generation, current_generation, switch

FOLDER = "index"


def kept_generation(cache_dir: Path) -> Path | None:
    """The generation the last build kept, or None when no build has kept one."""
    return current_generation(cache_dir / FOLDER)


class KeptIndexError(RuntimeError):
    """The copy cannot be written; the message names the folder and says it may be deleted."""


def keep(generation: Path, cache_dir: Path) -> Path:
    """Copy `generation` into the cache folder as the one the next build into an empty folder starts from."""
    root = cache_dir / FOLDER
    try:
        kept = copy_generation(generation, root, ours=True)
        switch(root / CURRENT, kept)
    except OSError as error:
        raise KeptIndexError(f"the copy of the search index in {root} (KB_CACHE_DIR) cannot be written: {error}. "
                             "Deleting that folder is safe; the next build into an empty folder indexes everything") from error
    return kept
