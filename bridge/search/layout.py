"""Where an index lives on disk: generations beside each other and a `current` link between them.

A build writes a whole new generation and then swaps the link with one atomic rename, so a
running bridge sees either the old index or the new one, never a half-written one.
"""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

CURRENT = "current"
META_FILE = "kb-index.json"
SYNONYMS_FILE = "synonyms.yml"
GENERATIONS_KEPT = 2


def current_generation(root: Path) -> Path | None:
    """The generation the `current` link points at, or None when nothing was built."""
    link = root / CURRENT
    try:
        return root / os.readlink(link)
    except OSError:
        return None


def new_generation(root: Path) -> Path:
    """A fresh, empty folder for the next build."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = root / f"gen-{stamp}"
    path.mkdir()
    return path


def publish(root: Path, generation: Path, meta: dict) -> None:
    """Write the generation's metadata, point `current` at it atomically, prune old generations."""
    (generation / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    temporary = root / f".{CURRENT}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(generation.name)
    os.replace(temporary, root / CURRENT)
    generations = sorted(path for path in root.glob("gen-*") if path.is_dir())
    for old in generations[:-GENERATIONS_KEPT]:
        shutil.rmtree(old, ignore_errors=True)


def read_meta(generation: Path) -> dict:
    return json.loads((generation / META_FILE).read_text(encoding="utf-8"))
