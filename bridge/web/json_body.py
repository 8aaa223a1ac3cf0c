"""Reading a JSON request body: the one place every JSON route gets its body from.

Werkzeug's `get_json` turns a parse error into a 400 but lets Python's RecursionError (a body of
thousands of `[`) through as a 500, and each route used to read its body its own way. Here every
failure a client can cause is a 400 in the API's error shape, and nesting deeper than any of our
bodies needs is refused before anything walks the value.
"""
from __future__ import annotations

import json
from typing import Any

from flask import request

from bridge.web.errors import ApiError

# Our deepest body (a ticket's suggested_articles: object > list > object) is 3 levels; 32 leaves room.
MAX_DEPTH = 32


def json_body() -> Any:
    """The request's JSON value; 415 when it is not sent as JSON, 400 when it cannot be read."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json")
    try:
        value = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError) as error:
        message = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {message}") from None
    if _depth(value) > MAX_DEPTH:
        raise ApiError(400, "invalid_json", f"The body is nested more than {MAX_DEPTH} levels deep")
    return value


def json_object() -> dict[str, Any]:
    """The request's body when it must be a JSON object (every body our API takes is one)."""
    value = json_body()
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_body", "Send a JSON object")
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in value (a scalar is 0), without recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest
