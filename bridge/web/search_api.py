"""`/api/search` and `/api/health`: the search contract that the site and outside clients use."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Flask, jsonify, request

from bridge.search.admission import SearchBusy
from bridge.search.index_reader import IndexUnavailable, SearchIndex
from bridge.search.query import QueryError, parse_query
from bridge.web.context import services
from bridge.web.errors import ApiError
from bridge.web.rate_limits import shared_limit
from bridge.web.search_log_api import search_log
from bridge.web.signed_in import staff_signed_in

bp = Blueprint("search_api", __name__, url_prefix="/api")

MAX_LIMIT = 50
# Sent by the review board's reply form (bridge/web/static/desk.js): a search the log should not count.
DESK_HEADER = "X-KB-Desk"
# Anyone may call these without a form, as fast as they like: each costs a search or a write.
LIMITED_ENDPOINTS = ("search_api.search", "search_log.opened", "search_log.feedback")


def init_app(app: Flask) -> None:
    """Open the index once per process, now; a missing one is logged in full and reported by the API in short."""
    index = services(app).search_index()
    if isinstance(index, IndexUnavailable):
        app.logger.error("%s", index)
    app.register_blueprint(bp)


def limit_searches(app: Flask) -> None:
    """One generous limit per client over searching and the search log (`KB_SEARCH_RATE_LIMIT`).

    Call it once both blueprints are registered: it wraps their views.
    """
    limit = shared_limit(app, services(app).settings.search_rate_limit, "search")
    if limit is not None:
        for endpoint in LIMITED_ENDPOINTS:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])


# What the public is told; the full reason (with the server's folders) went to the log when the process started.
UNAVAILABLE = "The search index is not available: the help centre's operator builds it with `kb build`."


# Only queries shaped to cost far more than a customer's (bridge.search.admission) are refused so, and only in a flood.
BUSY = "Too many searches like this one are waiting: try again shortly, or with fewer words."


def get_index() -> SearchIndex:
    index = services().search_index()
    if isinstance(index, IndexUnavailable):
        raise ApiError(503, "index_unavailable", UNAVAILABLE)
    return index


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return 10
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


@bp.get("/search")
def search():
    try:
        query = parse_query(request.args.get("q"))
    except QueryError as exc:
        raise ApiError(400, "invalid_query", str(exc)) from exc
    limit = parse_limit(request.args.get("limit"))
    index = get_index()
    product = request.args.get("product")  # absent means every product; present but empty is not a product
    if product is not None and product not in index.products():
        raise ApiError(400, "unknown_product", f"product {product!r} is not one of: {', '.join(sorted(index.products()))}")
    try:
        results = index.search(query, limit=limit, product=product)
    except SearchBusy as busy:
        raise ApiError(503, "busy", BUSY, headers={"Retry-After": str(busy.retry_after)}) from busy
    # A HEAD request (a link checker, a monitor) asks whether the search answers, not for anything; the review
    # board's reply form looks for an article to link, for a customer who has already asked: neither is a
    # customer's search, and logging them would put false gaps in `kb gaps` and the desk's self-service figures.
    # Only staff may leave their searches out: from anyone else the header would hide real customers' gaps.
    unlogged = request.method == "HEAD" or (request.headers.get(DESK_HEADER) == "1" and staff_signed_in())
    search_id = None if unlogged else search_log().record_search(
        visit_id=request.headers.get("X-KB-Visit", "")[:64] or None,
        query=results.query,
        result_count=results.total,
        top_results=[hit.url for hit in results.hits[:3]],
        confident=results.confident,
    )
    return jsonify(
        search_id=search_id,
        query=results.query,
        total=results.total,
        results=[asdict(hit) for hit in results.hits],
        suggestion=results.suggestion,
        confident=results.confident,
    )


@bp.get("/health")
def health():
    index = services().search_index()
    if isinstance(index, IndexUnavailable):
        return jsonify(status="unavailable", error=UNAVAILABLE), 503
    info = index.info()
    return jsonify(status="ok", index={"documents": info.documents, "articles": info.articles,
                                       "built_at": info.built_at.isoformat(), "generation": info.generation})
