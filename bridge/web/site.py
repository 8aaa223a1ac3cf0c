"""Serves the built MkDocs site, so one process answers the pages and the search they ask for."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, redirect, request, send_file
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from bridge.web.context import services
from bridge.web.errors import is_api_request

bp = Blueprint("site", __name__)


def site_dir() -> Path:
    """The site generation being served now.

    `KB_SITE_DIR` is a link that `kb build` swaps to each new generation; resolving it once per
    request means every request is answered from one whole generation, the new one as soon as it
    is published, and never from a folder MkDocs is still writing.
    """
    return services().settings.site_dir.resolve()


def inside(root: Path, path: str) -> Path | None:
    """Where `path` really is once every link is followed, if that is inside `root`; None otherwise.

    The build refuses links that leave the content folder, but the site folder is only a folder:
    whatever is put there later, a request never reaches a file outside it.
    """
    try:
        target = root.joinpath(path).resolve()
    except (OSError, ValueError):
        return None
    return target if target == root or target.is_relative_to(root) else None


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str) -> Response:
    root = site_dir()
    if is_api_request():
        raise NotFound()
    target = inside(root, path)
    if target is not None and target.is_dir():
        folder, target = target, inside(root, f"{path.rstrip('/')}/index.html".lstrip("/"))
        if path and not path.endswith("/") and target is not None and target.is_file():
            return _with_slash(root, folder)
    # Regular files only: not a folder, a device or a pipe that happens to sit in the site folder.
    if target is None or not target.is_file():
        raise NotFound()
    return send_file(target, conditional=True)


def _with_slash(root: Path, folder: Path) -> Response:
    """A folder asked for without its slash: MkDocs' pages link relative to their folder, so send the customer there."""
    relative = folder.relative_to(root).as_posix()
    location = "/" if relative == "." else f"/{quote(relative)}/"
    if request.query_string:
        location += f"?{request.query_string.decode('latin-1')}"
    return redirect(location, 308)
