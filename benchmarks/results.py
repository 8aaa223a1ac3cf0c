"""Each benchmark owns one section of benchmarks/RESULTS.md, between its own markers.

Benchmarks run at different times (search, relevance, publishing, tickets); replacing only
their own block keeps every other result, and each block carries the machine and the date.
"""
from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by the script named in it; the others are kept.\n"


def machine() -> str:
    """The machine a figure was measured on, in one line."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or append) the section `name` of RESULTS.md with `body`, stamped with machine and date."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n## {title}\n\nMeasured {date.today().isoformat()} on {machine()}.\n\n{body.strip()}\n{end}"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text.rstrip()}\n\n{block}\n"
    RESULTS.write_text(text, encoding="utf-8")
