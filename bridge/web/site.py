"""Serves the built MkDocs site, so one process answers the pages and the search they ask for."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("site", __name__)


def site_dir() -> Path:
    return Path(current_app.config["KB_SITE_DIR"])


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str):
    root = site_dir()
    if path == "" or path.endswith("/") or (root / path).is_dir():
        path = f"{path.rstrip('/')}/index.html".lstrip("/")
    try:
        return send_from_directory(root, path)
    except NotFound:
        if (root / "404.html").is_file():
            return send_from_directory(root, "404.html"), 404
        raise
