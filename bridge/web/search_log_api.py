"""What customers did after a search: opened a result, or told us an article did not help.

The search API records the search itself; these endpoints complete the picture for `kb gaps`.
"""
from __future__ import annotations

from flask import Blueprint, Flask

from bridge.searchlog.recorder import SearchLog
from bridge.tickets.validation import site_path_problem
from bridge.web.context import services
from bridge.web.errors import ApiError
from bridge.web.json_body import json_object

bp = Blueprint("search_log", __name__, url_prefix="/api")

MAX_URL = 2_000
MAX_SEARCH_ID = 32


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def search_log() -> SearchLog:
    """This process's search log, started on first use (after any fork)."""
    return services().search_log()


def _text(body: dict, name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        raise ApiError(400, "invalid_field", f"{name} must be text of 1 to {MAX_URL} characters", {name: "invalid"})
    return value


def _site_path(body: dict, name: str) -> str:
    """A page or link of this site: the log must not hold (or ever show) a link to somewhere else."""
    value = _text(body, name)
    problem = site_path_problem(value, MAX_URL)
    if problem:
        raise ApiError(400, "invalid_field", f"{name} {problem}", {name: problem})
    return value


@bp.post("/search-events/<search_id>/opened")
def opened(search_id: str):
    search_log().mark_opened(search_id, _site_path(json_object(), "url"))
    return "", 204


@bp.post("/feedback")
def feedback():
    body = json_object()
    helpful = body.get("helpful")
    if not isinstance(helpful, bool):
        raise ApiError(400, "invalid_field", "helpful must be true or false", {"helpful": "must be true or false"})
    search_log().record_feedback(page=_site_path(body, "page"), helpful=helpful, search_id=_text(body, "search_id", required=False))
    return "", 204
