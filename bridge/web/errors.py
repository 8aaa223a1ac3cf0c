"""Errors become responses in one place: JSON under /api, the site's look elsewhere.

Views raise (`ApiError`, or werkzeug's HTTP errors) and never format an error themselves; the
two builders here decide the body, so every route answers errors the same way.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound

API_PREFIX = "/api/"


class ApiError(Exception):
    """A client or service error with its HTTP status, a stable code, a readable message and any headers it needs."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields
        self.headers = headers or {}

    def body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message}
        if self.fields is not None:
            error["fields"] = self.fields
        return {"error": error}


def is_api_request() -> bool:
    """Whether this request is answered in JSON (the API) rather than as a page of the site."""
    return request.path.startswith(API_PREFIX)


def json_error(error: ApiError) -> tuple[Response, int, dict[str, str]]:
    """The API's error body: `{"error": {"code", "message", "fields"?}}`, with the error's headers."""
    return jsonify(error.body()), error.status, error.headers


def html_error(error: HTTPException) -> Response | HTTPException:
    """A page's error: the site's own 404 page (built with the theme) where there is one, else werkzeug's."""
    from bridge.web.site import inside, site_dir

    if isinstance(error, NotFound):
        not_found = inside(site_dir(), "404.html")
        if not_found is not None and not_found.is_file():
            return Response(not_found.read_bytes(), 404, mimetype="text/html")
    return error


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, json_error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if is_api_request():
            return json_error(api_error(error))
        return html_error(error)


def api_error(error: HTTPException) -> ApiError:
    """Werkzeug's error as the API tells it: its name as the code (`request_entity_too_large`)."""
    code = (error.name or "error").lower().replace(" ", "_")
    return ApiError(error.code or 500, code, error.description or code)
