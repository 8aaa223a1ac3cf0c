"""Serves the built MkDocs site, so one process answers the pages and the search they ask for."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory
from werkzeug.exceptions import NotFound

from bridge.web.context import services
from bridge.web.errors import is_api_request

bp = Blueprint("site", __name__)


def site_dir() -> Path:
    """The site generation being served now.

    `KB_BUILD_DIR/site` is a link that `kb build` swaps to each new generation; resolving it once per
    request means every request is answered from one whole generation, the new one as soon as it
    is published, and never from a folder MkDocs is still writing.
    """
    return services().settings.site_dir.resolve()


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str):
    root = site_dir()
    if is_api_request():
        raise NotFound()
    if path == "" or path.endswith("/") or (root / path).is_dir():
        path = f"{path.rstrip('/')}/index.html".lstrip("/")
    return send_from_directory(root, path)
