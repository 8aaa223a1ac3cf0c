"""The OpenAPI description of the review board's JSON (bridge/web/desk_api.py).

Merged by bridge/web/openapi.py into the one document, operation by operation: the board shares
`/api/tickets/{reference}` and its messages with customers, and each answers with its own schema.
"""
from __future__ import annotations

from typing import Any

from bridge.tickets.conversation import MAX_BODY
from bridge.tickets.status import TicketStatus
from bridge.tickets.validation import MAX_LENGTHS
from bridge.web.openapi_account import NOT_FOUND, REFERENCE, SIGNED_OUT, TEXT, TIME, answer, error, ref

NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
STATUS = {"enum": [status.value for status in TicketStatus]}
DESK_ONLY = error("desk_only: only staff on the ticket's product board (or an admin) may do this")
NOT_JSON = error("unsupported_media_type: send application/json (an empty object {} where there is nothing to say)")


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _action(summary: str, body: dict[str, Any], responses: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "parameters": REFERENCE, "requestBody": _body(body),
            "responses": {**responses, "401": SIGNED_OUT, "403": DESK_ONLY, "404": NOT_FOUND, "415": NOT_JSON}}


def desk_paths(keys: dict[str, list[str]]) -> dict[str, Any]:
    """The board's operations; keys are the policy's priority and request type keys."""
    empty = {"type": "object"}
    return {
        "/api/tickets/{reference}": {"patch": _action(
            "Change a ticket's status, priority, request type or assignee (staff on its board)",
            {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
                "status": STATUS, "priority": {"enum": keys["priorities"]},
                "request_type": {"enum": keys["request_types"]},
                "assignee": {"type": ["string", "null"],
                             "description": "A staff member on the product's board; null unassigns"}}},
            {"200": answer(ref("StaffTicketDetail"), "Changed (a new priority recomputes the targets from the start)"),
             "400": error("invalid_json or invalid_change, naming each bad field in error.fields"),
             "409": error("transition_refused: the lifecycle does not allow it; error.fields.status names the "
                          "statuses it allows")})},
        "/api/tickets/{reference}/release": {"post": _action(
            "Release a withheld ticket: it becomes new, its targets counted from now", empty,
            {"200": answer(ref("StaffTicketDetail"), "Released"), "400": error("invalid_json"),
             "409": error("not_withheld: only a withheld ticket can be released")})},
        "/api/tickets/{reference}/split": {"post": _action(
            "Split an off-topic question into a ticket of its own (same requester, linked both ways)",
            {"type": "object", "required": ["subject", "description"], "properties": {
                "subject": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTHS["subject"]},
                "description": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTHS["description"]}}},
            {"201": answer(ref("StaffTicketDetail"), "The new ticket"),
             "400": error("invalid_json or invalid_split (error.fields)")})},
        "/api/tickets/{reference}/needs-article": {"post": _action(
            "Flag the ticket's question as needing an article: `kb gaps` lists it for writers", empty,
            {"200": answer(ref("StaffTicketDetail"), "Flagged"), "400": error("invalid_json")})},
    }


def desk_schemas() -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"]}
    author = {"type": "object", "required": ["name", "email", "role"],
              "properties": {"name": TEXT, "email": TEXT, "role": {"enum": ["customer", "staff"]}}}
    message = {"type": "object", "required": ["author", "body", "internal", "created_at", "attachments"],
               "properties": {"author": author, "body": TEXT, "internal": {"type": "boolean"}, "created_at": TIME,
                              "attachments": {"type": "array", "items": {"type": "object"}}}}
    targets = {"type": "object", "required": ["respond_by", "responded_at", "resolve_by", "resolved_at", "paused",
                                              "breached", "hours_left"],
               "properties": {"respond_by": NULLABLE_TIME, "responded_at": NULLABLE_TIME, "resolve_by": NULLABLE_TIME,
                              "resolved_at": NULLABLE_TIME, "paused": {"type": "boolean"},
                              "breached": {"type": "boolean"},
                              "hours_left": {"type": ["number", "null"],
                                             "description": "Business hours to the next target; negative once past"}}}
    detail = {
        "reference": TEXT, "subject": TEXT, "status": STATUS, "status_label": TEXT,
        "allowed_statuses": {"type": "array", "items": STATUS}, "priority": TEXT, "request_type": TEXT,
        "covered": {"type": "boolean"}, "product": TEXT, "assignee": nullable_text,
        "needs_article": {"type": "boolean"},
        "requester": {"type": "object", "required": ["email", "name", "nominated", "organisation"], "properties": {
            "email": TEXT, "name": TEXT, "nominated": {"type": "boolean"},
            "organisation": {"anyOf": [{"type": "null"}, {
                "type": "object", "required": ["key", "name", "products", "paid_until", "out_of_hours_cover"],
                "properties": {"key": TEXT, "name": TEXT, "products": {"type": "array", "items": TEXT},
                               "paid_until": {"type": ["string", "null"], "format": "date"},
                               "out_of_hours_cover": {"type": "boolean"}}}]}}},
        "withheld_reason": nullable_text, "created_at": TIME, "updated_at": TIME, "targets": targets,
        "search": {"type": "object", "required": ["query", "page", "suggested_articles"],
                   "properties": {"query": nullable_text, "page": nullable_text,
                                  "suggested_articles": {"type": "array", "items": {"type": "object"}}}},
        "credits": ref("TicketCredits"),
        "split_from": nullable_text, "splits": {"type": "array", "items": TEXT}, "follows_up": nullable_text,
        "messages": {"type": "array", "items": ref("StaffMessage")},
        "history": {"type": "array", "items": {
            "type": "object", "required": ["at", "actor", "kind", "from_status", "to_status", "detail"],
            "properties": {"at": TIME, "actor": TEXT, "kind": TEXT, "from_status": nullable_text,
                           "to_status": nullable_text, "detail": {"type": ["object", "null"]}}}},
    }
    return {"StaffMessage": message,
            "StaffTicketDetail": {"type": "object", "required": list(detail), "properties": detail}}


def shared_ticket_routes(paths: dict[str, Any]) -> None:
    """Widen the customer's routes the board shares: each answers staff with its own schema, and a message
    may be an internal note, which only staff can send."""
    show = paths["/api/tickets/{reference}"]["get"]
    show["summary"] = "One ticket: to its customer the conversation and status history; to its board all of it"
    show["responses"]["200"] = answer({"oneOf": [ref("TicketDetail"), ref("StaffTicketDetail")]}, "The ticket")
    post = paths["/api/tickets/{reference}/messages"]["post"]
    post["summary"] = ("Add to the conversation: the customer's information (a ticket waiting on them becomes "
                       "open), or staff's reply (mailed to the customer) or internal note (never shown to them)")
    post["requestBody"] = _body({"type": "object", "required": ["body"], "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY},
        "internal": {"type": "boolean", "description": "Staff only: true for a note customers never see"}}})
    responses = post["responses"]
    responses["201"] = answer({"oneOf": [ref("Message"), ref("StaffMessage")]}, "Added")
    responses["403"] = error("staff_account, or notes_are_for_staff: a customer sent internal")
