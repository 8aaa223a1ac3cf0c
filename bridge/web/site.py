"""Serves the built MkDocs site, so one process answers the pages and the search they ask for."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("site", __name__)


def site_dir() -> Path:
    """The site generation being served now.

    `KB_SITE_DIR` is a link that `kb build` swaps to each new generation; resolving it once per
    request means every request is answered from one whole generation, the new one as soon as it
    is published, and never from a folder MkDocs is still writing.
    """
    return Path(current_app.config["KB_SITE_DIR"]).resolve()


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str):
    root = site_dir()
    if path.startswith("api/"):
        raise NotFound()
    if path == "" or path.endswith("/") or (root / path).is_dir():
        path = f"{path.rstrip('/')}/index.html".lstrip("/")
    try:
        return send_from_directory(root, path)
    except NotFound:
        not_found = root / "404.html"
        if not_found.is_file():
            return not_found.read_bytes(), 404, {"Content-Type": "text/html; charset=utf-8"}
        raise
