"""`GET /api/openapi.json`: the OpenAPI 3.1 description of the bridge's API.

Built in code rather than kept as a file so that limits and choices come from where they are
enforced: lengths from bridge.tickets.validation, products, priorities and request types from the
loaded policy. tests/test_openapi.py runs schemathesis against this document, so a change to the
API that the document does not describe fails the tests.
"""
from __future__ import annotations

from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from flask import Blueprint, jsonify

from bridge.search.query import MAX_QUERY_LENGTH
from bridge.tickets.idempotency import HEADER as IDEMPOTENCY_HEADER, KEY_LIFETIME, MAX_KEY_LENGTH
from bridge.tickets.entitlement import WithheldReason
from bridge.tickets.validation import MAX_ARTICLE_TITLE, MAX_ARTICLE_URL, MAX_LENGTHS, MAX_SUGGESTED_ARTICLES
from bridge.web.errors import ApiError
from bridge.web.openapi_account import account_paths, account_schemas, answer, error, list_tickets, ref
from bridge.web.openapi_credits import consent_property, cover_property, credits_paths, credits_schemas
from bridge.web.openapi_desk import desk_paths, desk_schemas, shared_ticket_routes
from bridge.web.search_api import DESK_HEADER, MAX_LIMIT, get_index
from bridge.web.tickets import MAX_BODY_BYTES, support_data

bp = Blueprint("openapi", __name__, url_prefix="/api")

# The patterns say what bridge.tickets.validation accepts, so generated "valid" data really is valid.
_CONTROL = r"\u0000-\u001f\u007f-\u009f\u2028\u2029"
_CONTROL_BUT_LINE_BREAKS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
ONE_LINE = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
ONE_LINE_OR_BLANK = rf"^[^{_CONTROL}]*$"
SOME_TEXT = rf"^[^{_CONTROL_BUT_LINE_BREAKS}]*[^\s{_CONTROL_BUT_LINE_BREAKS}][^{_CONTROL_BUT_LINE_BREAKS}]*$"
# A query needs a word character of any script (the search reads words as Python's \w does). JSON Schema
# patterns are ECMA-262, whose \w is ASCII only: every character from U+00AA up stands in for the others.
QUERY_HAS_A_WORD = r"[0-9A-Za-z_\u00aa-\uffff]"
# A path on the help centre: no scheme, no host, no backslash, no control characters.
_NOT_AN_ADDRESS = r"(?!\s*[A-Za-z][A-Za-z0-9+.\-]*:)(?!\s*//)"
SITE_PATH = rf"^{_NOT_AN_ADDRESS}[^\\{_CONTROL}]*[^\s\\{_CONTROL}][^\\{_CONTROL}]*$"
SITE_PATH_OR_BLANK = rf"^{_NOT_AN_ADDRESS}[^\\{_CONTROL}]*$"
# email-validator refuses special-use domains (.test, .invalid, ...), in any case.
_RESERVED = "|".join("".join(f"[{char}{char.upper()}]" for char in name) for name in SPECIAL_USE_DOMAIN_NAMES)
RESERVED_EMAIL_DOMAIN = rf"@(?:[^@]*\.)?(?:{_RESERVED})$"


@bp.get("/openapi.json")
def openapi_json():
    try:
        search_products = sorted(get_index().products())
    except ApiError:
        search_products = []
    return jsonify(openapi_document(support_data(), search_products))


def openapi_document(support: dict[str, Any], search_products: list[str]) -> dict[str, Any]:
    """The whole document for the policy, products and search index being served."""

    def keys(name: str) -> list[str]:
        return [item["key"] for item in support[name]]

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kb-bridge API",
            "version": "1.0.0",
            "description": "Search the help centre, read the support policy, and raise a ticket. "
                           "Errors are JSON: {\"error\": {\"code\", \"message\", \"fields\"}}.",
        },
        "paths": {
            "/api/search": {"get": _search(search_products)},
            "/api/health": {"get": _health()},
            "/api/support-policy": {"get": _support_policy()},
            "/api/tickets": {"post": _create_ticket(), "get": list_tickets(keys("priorities"), keys("products"))},
            **_ticket_paths(support),
            **credits_paths(),
        },
        "components": {"schemas": {**_schemas(support), **account_schemas(), **credits_schemas(), **desk_schemas()}},
    }


def _ticket_paths(support: dict[str, Any]) -> dict[str, Any]:
    """A ticket's routes: the customer's (openapi_account.py) and the board's (openapi_desk.py), merged per path."""
    paths = account_paths(_email())
    shared_ticket_routes(paths)
    keys = {name: [item["key"] for item in support[name]] for name in ("priorities", "request_types")}
    for path, operations in desk_paths(keys).items():
        paths.setdefault(path, {}).update(operations)
    return paths


def _search(products: list[str]) -> dict[str, Any]:
    return {
        "summary": "Search the help centre",
        "description": "Each article's best section for the query, best article first.",
        "parameters": [
            {"name": "q", "in": "query", "required": True, "description": "What the customer typed: words and \"quoted phrases\".",
             "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH, "pattern": QUERY_HAS_A_WORD}},
            {"name": "limit", "in": "query", "required": False, "description": "How many articles (default 10).",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
            {"name": "product", "in": "query", "required": False, "description": "Only articles about this product.",
             "schema": {"enum": products} if products else {"type": "string"}},
        ],
        "responses": {
            "200": answer(ref("SearchResults"), "The results"),
            "400": error("invalid_query, invalid_limit or unknown_product"),
            "429": error("too_many_requests: this client has sent too many searches; see Retry-After"),
            "503": error("index_unavailable: the search index has not been built; busy: too many queries shaped to "
                         "cost far more than a customer's are waiting, see Retry-After"),
        },
    }


def _health() -> dict[str, Any]:
    return {
        "summary": "Whether the bridge can answer searches",
        "responses": {
            "200": answer(ref("Health"), "The index is being served"),
            "503": answer(ref("Health"), "There is no usable index"),
        },
    }


def _support_policy() -> dict[str, Any]:
    return {
        "summary": "The support policy and products",
        "description": "Office hours, holidays, priorities with their response targets, request types with their "
                       "coverage, and the products: the same data the contact form is built from.",
        "responses": {"200": answer(ref("SupportPolicy"), "The policy")},
    }


def _create_ticket() -> dict[str, Any]:
    return {
        "summary": "Raise a ticket",
        "description": "Stores the ticket and queues its acknowledgement email. Without suggested_articles the "
                       "bridge suggests articles from the subject. Limited per client (KB_TICKET_RATE_LIMIT) and "
                       "per email address (KB_TICKET_RECIPIENT_RATE_LIMIT); refused requests do not count. With "
                       "a session cookie the ticket is raised as the signed-in account: its email address and name "
                       "replace any sent, and product must be one the contact may see.",
        "parameters": [{
            "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
            "description": f"Any unique value per ticket (a UUID). Sent again with the same email address and body "
                           f"within {KEY_LIFETIME.total_seconds() / 3600:.0f} hours, the answer is the first ticket "
                           "(201 with Idempotent-Replayed: true): nothing is stored or mailed twice.",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]+$"},
        }],
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("NewTicket")}}},
        "responses": {
            "201": answer(ref("TicketCreated"), "The ticket was stored, or was stored by an earlier request with the "
                                                "same Idempotency-Key"),
            "400": error("invalid_json, invalid_idempotency_key, or invalid_ticket with a message for every bad "
                         "field in error.fields"),
            "413": error(f"request_entity_too_large: the body is over {MAX_BODY_BYTES:,} bytes"),
            "415": error("unsupported_media_type: the body is not sent as application/json"),
            "422": error("idempotency_key_reused: the Idempotency-Key raised a different ticket for this address"),
            "429": error("too_many_requests: this client, or this email address, has sent too many tickets; "
                         "see Retry-After"),
        },
    }


def _email() -> dict[str, Any]:
    return {"type": "string", "format": "email", "maxLength": MAX_LENGTHS["email"], "not": {"pattern": RESERVED_EMAIL_DOMAIN},
            "description": "Checked as a real address would be, without DNS: special-use domains such as example.test "
                           "are refused."}


def _schemas(support: dict[str, Any]) -> dict[str, Any]:
    text = {"type": "string"}
    nullable_text = {"type": ["string", "null"]}
    article = {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "url"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_ARTICLE_TITLE, "pattern": ONE_LINE},
            "url": {"type": "string", "minLength": 1, "maxLength": MAX_ARTICLE_URL, "pattern": SITE_PATH,
                    "description": "A path on the help centre, as /api/search returns it."},
        },
    }
    keys = {name: [item["key"] for item in support[name]] for name in ("products", "priorities", "request_types")}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": text,
                    "message": text,
                    "fields": {"type": "object", "additionalProperties": text,
                               "description": "For invalid_ticket: each bad field and what is wrong with it."},
                },
            }},
        },
        "SearchResults": {
            "type": "object",
            "required": ["search_id", "query", "total", "results", "suggestion", "confident"],
            "properties": {
                "search_id": {**nullable_text, "description": "Quote it when a result is opened (POST "
                                                             "/api/search-events/{id}/opened); null for a search "
                                                             f"not recorded (sent with {DESK_HEADER}: 1 by signed-in staff, from the review board's reply form)."},
                "query": text,
                "total": {"type": "integer", "minimum": 0},
                "results": {"type": "array", "items": ref("Hit")},
                "suggestion": {**nullable_text, "description": "A spelling suggestion, when there is one."},
                "confident": {"type": "boolean",
                              "description": "False when the best result may not answer the query: offer support first."},
            },
        },
        "Hit": {
            "type": "object",
            "required": ["title", "url", "section", "snippet", "score", "product", "type"],
            "properties": {
                "title": text,
                "url": {**text, "description": "Path of the section on the site, with its #anchor."},
                "section": text,
                "snippet": {**text, "description": "HTML-escaped text with <mark> around matched words."},
                "score": {"type": "number", "description": "Fused rank score, higher first; only the order means anything."},
                "product": text,
                "type": text,
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"enum": ["ok", "unavailable"]},
                "error": text,
                "index": {
                    "type": "object",
                    "required": ["documents", "articles", "built_at", "generation"],
                    "properties": {"documents": {"type": "integer"}, "articles": {"type": "integer"},
                                   "built_at": {"type": "string", "format": "date-time"},
                                   "generation": {**text, "description": "Which build is served; changes with each `kb build`."}},
                },
            },
        },
        "SupportPolicy": {
            "type": "object",
            "required": ["timezone", "office_hours", "holidays", "acknowledgement_target", "reference_prefix",
                         "default_priority", "priorities", "request_types", "products"],
            "properties": {
                "timezone": text,
                "office_hours": {"type": "object", "additionalProperties": {"anyOf": [
                    {"type": "null"},
                    {"type": "object", "required": ["opens", "closes"], "properties": {"opens": text, "closes": text}},
                ]}},
                "holidays": {"type": "object"},
                "acknowledgement_target": text,
                "reference_prefix": text,
                "default_priority": {"enum": keys["priorities"]},
                "priorities": {"type": "array", "items": {
                    "type": "object",
                    "required": ["key", "label", "colour", "description", "target"],
                    "properties": {"key": text, "label": text, "colour": {"enum": ["red", "amber", "green"]},
                                   "description": text, "target": text,
                                   "target_hours": {"type": "number"}, "target_days": {"type": "integer"},
                                   "resolution": nullable_text},
                }},
                "request_types": {"type": "array", "items": {
                    "type": "object",
                    "required": ["key", "label", "covered", "message"],
                    "properties": {"key": text, "label": text, "covered": {"type": "boolean"}, "message": nullable_text},
                }},
                "products": {"type": "array", "items": {
                    "type": "object", "required": ["key", "name"], "properties": {"key": text, "name": text},
                }},
                "credits": ref("Credits"),
                "out_of_hours": {"anyOf": [{"type": "null"}, {"type": "object", "required": ["notice_hours"],
                                                              "properties": {"notice_hours": {"type": "number"}}}]},
            },
        },
        "NewTicket": {
            "type": "object",
            "additionalProperties": False,
            "required": ["email", "name", "product", "subject", "description", "request_type",
                         *consent_property(support)],
            "properties": {
                **consent_property(support),
                **cover_property(support),
                "email": _email(),
                "name": {"type": "string", "maxLength": MAX_LENGTHS["name"], "pattern": ONE_LINE},
                "product": {"enum": keys["products"]},
                "subject": {"type": "string", "maxLength": MAX_LENGTHS["subject"], "pattern": ONE_LINE},
                "description": {"type": "string", "maxLength": MAX_LENGTHS["description"], "pattern": SOME_TEXT},
                "request_type": {"enum": keys["request_types"],
                                 "description": "Types not covered by the agreement are stored and flagged."},
                "priority": {"enum": [*keys["priorities"], None],
                             "description": f"Absent or null: {support['default_priority']}."},
                "query": {"type": ["string", "null"], "maxLength": MAX_LENGTHS["query"], "pattern": ONE_LINE_OR_BLANK,
                          "description": "The search that led here."},
                "page": {"type": ["string", "null"], "maxLength": MAX_LENGTHS["page"], "pattern": SITE_PATH_OR_BLANK,
                         "description": "The help centre page that led here, as a path on the site."},
                "suggested_articles": {"type": ["array", "null"], "maxItems": MAX_SUGGESTED_ARTICLES, "items": article,
                                       "description": "The articles the customer was shown before raising the ticket, "
                                                      "looked up by url in the help centre's index: titles are the "
                                                      "index's, unknown urls are dropped; absent or null: the bridge "
                                                      "suggests some from the subject."},
            },
        },
        "TicketCreated": {
            "type": "object",
            "required": ["reference", "status", "status_label", "withheld", "priority", "request_type", "covered",
                         "coverage_message", "acknowledge_by", "respond_by", "suggested_articles", "url"],
            "properties": {
                "reference": {"type": "string", "pattern": f"^{support['reference_prefix']}-[0-9]{{7,}}-[0-9]$",
                              "description": "Quote it when you call or write."},
                "status": {"enum": ["new", "withheld"],
                           "description": "withheld: stored, but support is withheld until the desk releases it."},
                "status_label": {"type": "string", "description": "The status in the customer's words."},
                "withheld": {
                    "anyOf": [{"type": "null"}, {
                        "type": "object", "required": ["reason", "message"],
                        "properties": {"reason": {"enum": [reason.value for reason in WithheldReason]},
                                       "message": {"type": "string", "description": "Why, and what to do."}},
                    }],
                    "description": "Why support is withheld (the policy's entitlement), or null.",
                },
                "priority": {"enum": keys["priorities"]},
                "request_type": {"enum": keys["request_types"]},
                "covered": {"type": "boolean"},
                "coverage_message": {**nullable_text, "description": "What happens next, when the type is not covered."},
                "acknowledge_by": {"type": "string", "format": "date-time"},
                "respond_by": {"type": ["string", "null"], "format": "date-time",
                               "description": "null while support is withheld: the target starts when it is released."},
                "suggested_articles": {"type": "array", "items": article},
                "url": {"type": "string", "description": "The ticket's own page (sign-in first), which lasts."},
            },
        },
    }
