"""The Content-Security-Policy the help centre is served with, and the inline scripts it allows.

Material's pages carry a few small inline scripts (its `__md_scope` set-up, the palette, our
search-worker switch in the build plugin's `main.html`), whose text varies with a page's depth.
Rather than allow every inline script (`'unsafe-inline'`, which would let any injected markup
run), `kb build` (the kb-bridge plugin, bridge/build_plugin/plugin.py) hashes each distinct
inline script of the site it renders and writes the hashes into the site generation; the bridge
allows exactly those. Everything else (scripts, styles, fonts, the search worker, API calls) must
come from the help centre itself. Nothing here knows Flask, so the build and the bridge share it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

HASHES_FILE = "_bridge/inline-scripts.json"
# A script element's text ends at the first `</script`, as the browser's tokenizer reads it.
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script", re.IGNORECASE | re.DOTALL)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module"}

DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    # Material draws its icons as CSS masks from data: URLs.
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("worker-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)


def inline_script_hashes(html: str) -> set[str]:
    """The CSP source (`'sha256-...'`) of every inline script that runs in this page; data blocks are left out."""
    hashes = set()
    for attributes, text in _SCRIPT.findall(html):
        kind = _TYPE.search(attributes)
        if _SRC.search(attributes) or (kind and kind.group(1).lower() not in _SCRIPT_TYPES):
            continue
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
        hashes.add(f"'sha256-{digest}'")
    return hashes


def write_hashes(site_dir: Path, hashes: Iterable[str]) -> None:
    """Record a site generation's inline-script hashes beside its pages (the build's last step)."""
    path = site_dir / HASHES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sorted(hashes), indent=0), encoding="utf-8")


def policy_for(site_dir: Path) -> str:
    """The Content-Security-Policy header for pages of this site generation.

    A generation built before the hashes were recorded gets the policy without inline scripts:
    its pages still show, but Material's inline set-up does not run until it is rebuilt.
    """
    path = site_dir / HASHES_FILE
    hashes = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    return policy(hashes)


def policy(inline_script_hashes: Iterable[str]) -> str:
    """The header's value, allowing the given inline scripts besides the help centre's own files."""
    extra = " ".join(sorted(inline_script_hashes))
    return "; ".join(f"{name} {value} {extra}" if name == "script-src" and extra else f"{name} {value}"
                     for name, value in DIRECTIVES)
