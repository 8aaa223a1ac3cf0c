"""Symbolic links in the content folder that point outside it.

MkDocs copies what a link points to into the public site (and walks into linked folders), so
a link such as `kb/notes.txt -> /etc/hostname`, or a linked folder, would publish a file of
the build machine. A link that stays inside the content folder is harmless and allowed.
`kb check` reports these with the other content problems, and `kb build` refuses to build
while any is there, lenient or strict: this is not a matter of style.
"""
from __future__ import annotations

import os
from pathlib import Path

from bridge.content.frontmatter import Problem


def links_leaving(kb_dir: Path) -> list[Problem]:
    """Every link under kb_dir (to a file or a folder, broken or not) whose target is outside kb_dir, in path order."""
    root = kb_dir.resolve()
    problems = []
    # os.walk does not enter linked folders, so a link is judged by where it points, never followed.
    for folder, folders, files in os.walk(kb_dir):
        for name in sorted(folders + files):
            path = Path(folder) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                problems.append(Problem(path, 1, f"symbolic link to {os.readlink(path)} leaves the content folder; "
                                                 "a build would publish what it points to: copy the file in instead"))
    return sorted(problems, key=lambda problem: str(problem.path))
