"""The list of release notes a build published, written into the site beside the pages it lists.

The build (bridge/build_plugin/) writes it; the announcer reads it from the published site, so
only what a build actually published is ever announced, with the address it was published at.
Flow stays one way: content, build, published site, then the bridge reads it and queues mail.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RELEASE_NOTES_FILE = "_bridge/release-notes.json"


@dataclass(frozen=True)
class PublishedNote:
    """A published release note: its file under kb/ (what makes it the same note), what it says, where it is."""

    path: str
    product: str
    title: str
    summary: str
    url: str  # site-relative


def write_manifest(site_dir: Path, notes: list[PublishedNote]) -> None:
    target = site_dir / RELEASE_NOTES_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(notes, key=lambda note: note.path)
    target.write_text(json.dumps([asdict(note) for note in ordered], indent=1, ensure_ascii=False), encoding="utf-8")


def read_manifest(site_dir: Path) -> list[PublishedNote]:
    """The notes the published site lists; none when it lists none (a site built before release notes)."""
    source = site_dir / RELEASE_NOTES_FILE
    if not source.exists():
        return []
    return [PublishedNote(**entry) for entry in json.loads(source.read_text(encoding="utf-8"))]
