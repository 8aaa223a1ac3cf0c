"""The OpenAPI description of signing in and of My tickets (bridge/web/account.py, account_tickets.py).

Kept beside bridge/web/openapi.py, which merges these paths and schemas into the one document.
Every route here but `POST /api/session` needs the session cookie that signing in sets.
"""
from __future__ import annotations

from typing import Any

from bridge.tickets.conversation import MAX_BODY, MAX_COMMENT
from bridge.desk.queue import MAX_PAGE_SIZE, PAGE_SIZE
from bridge.tickets.status import TicketStatus

TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, str]:
    """A reference to a schema of the document's components (openapi.py builds its paths with these too)."""
    return {"$ref": f"#/components/schemas/{name}"}


def answer(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(description: str) -> dict[str, Any]:
    return answer(ref("Error"), description)


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


# Who made a change, as a customer may read it (bridge/accounts/actors.py): staff are named only as the team.
BY = {"type": "object", "required": ["role", "name", "you"], "properties": {
    "role": {"enum": ["customer", "staff", "system"]},
    "name": {**NULLABLE_TEXT, "description": "A customer's name; null for staff and for the bridge itself"},
    "you": {"type": "boolean", "description": "Whether it was the signed-in account"}}}
SIGNED_OUT = error("not_signed_in: sign in first (POST /api/session)")
NOT_FOUND = error("not_found: no such ticket, or not one this account may see (the two are the same answer)")
REFERENCE = [{"name": "reference", "in": "path", "required": True, "schema": TEXT}]
STAFF = error("staff_account: staff answer tickets from the review board")


def account_paths(email: dict[str, Any]) -> dict[str, Any]:
    """The paths; email is the schema of an address the bridge accepts (shared with raising a ticket)."""
    return {
        "/api/session": {
            "post": {
                "summary": "Ask for a sign-in link, or use one",
                "description": "{\"email\"} mails a link (202, the same answer whether or not the address has an "
                               "account); {\"token\"} (from the link) signs in and sets the session cookie.",
                "requestBody": _body({"oneOf": [
                    {"type": "object", "required": ["email"], "properties": {"email": email}},
                    {"type": "object", "required": ["token"], "properties": {"token": TEXT}}]}),
                "responses": {
                    "200": answer(ref("Me"), "Signed in"),
                    "202": answer({"type": "object", "required": ["message"], "properties": {"message": TEXT}},
                                  "If the address has an account, a link is on its way"),
                    "400": error("invalid_json, or invalid_email (error.fields.email)"),
                    "401": error("invalid_token: the link has expired, was used, or never existed"),
                    "415": error("unsupported_media_type: send application/json"),
                    "429": error("too_many_requests: too many links for this address or client"),
                },
            },
            "delete": {"summary": "Sign out", "responses": {"204": {"description": "Signed out"}}},
        },
        "/api/me": {"get": {"summary": "Who is signed in",
                            "responses": {"200": answer(ref("Me"), "The account"), "401": SIGNED_OUT}}},
        "/api/tickets/{reference}": {"get": {
            "summary": "One ticket: its conversation (the description first) and status history",
            "parameters": REFERENCE,
            "responses": {"200": answer(ref("TicketDetail"), "The ticket"), "401": SIGNED_OUT, "404": NOT_FOUND},
        }},
        "/api/tickets/{reference}/messages": {"post": {
            "summary": "Add information; a ticket waiting on the customer (or resolved) becomes open",
            "parameters": REFERENCE,
            "requestBody": _body({"type": "object", "required": ["body"],
                                  "properties": {"body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY}}}),
            "responses": {"201": answer(ref("Message"), "Added"), "400": error("invalid_message (error.fields.body)"),
                          "401": SIGNED_OUT, "403": STAFF, "404": NOT_FOUND,
                          "409": error("ticket_closed: raise a follow-up instead"),
                          "415": error("unsupported_media_type: send application/json")},
        }},
        "/api/tickets/{reference}/close": {"post": {
            "summary": "Close the ticket as the customer's sign-off, with an optional rating and comment",
            "parameters": REFERENCE,
            "requestBody": _body({"type": "object", "properties": {
                "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
                "comment": {"type": ["string", "null"], "maxLength": MAX_COMMENT}}}),
            "responses": {"200": answer(ref("TicketDetail"), "Closed"), "400": error("invalid_close (error.fields)"),
                          "401": SIGNED_OUT, "403": STAFF, "404": NOT_FOUND,
                          "409": error("cannot_close: the ticket is already closed"),
                          "415": error("unsupported_media_type: send application/json")},
        }},
        "/api/tickets/{reference}/follow-up": {"post": {
            "summary": "Raise a follow-up to a closed ticket: a new ticket with its product, type and priority",
            "description": "Raised as the signed-in account, with the subject \"Follow-up to REF: ...\"; the "
                           "answer is the new ticket's receipt, as from POST /api/tickets, with follows_up.",
            "parameters": REFERENCE,
            "requestBody": _body({"type": "object", "required": ["description"], "properties": {
                "description": {"type": "string", "minLength": 1, "maxLength": MAX_BODY}}}),
            "responses": {"201": answer(ref("FollowUp"), "Raised"),
                          "400": error("invalid_follow_up (error.fields.description)"),
                          "401": SIGNED_OUT, "403": STAFF, "404": NOT_FOUND,
                          "409": error("ticket_open: add information to the ticket instead"),
                          "415": error("unsupported_media_type: send application/json")},
        }},
    }


def list_tickets(priorities: list[str], products: list[str]) -> dict[str, Any]:
    """`GET /api/tickets`, which shares its path with raising a ticket: a customer's tickets, or staff's queue."""
    yes_no = {"enum": ["yes", "no", "true", "false", "1", "0"]}

    def staff_filter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema,
                "description": f"Staff only (a customer's list ignores it): {description}"}

    return {
        "summary": "The tickets this account may see",
        "description": "A customer's tickets, newest first. For staff, their boards' queue (an admin's: every "
                       "product's): still-open tickets unless a status is asked for; new tickets nobody has taken "
                       "first, then by the next target (response, then resolution), soonest first; paged.",
        "parameters": [
            {"name": "q", "in": "query", "required": False, "schema": TEXT,
             "description": "Words that must all appear in the reference, subject or description."},
            {"name": "status", "in": "query", "required": False, "schema": {"enum": [s.value for s in TicketStatus]}},
            staff_filter("priority", {"enum": priorities}, "this priority only."),
            staff_filter("assignee", TEXT, "`me`, `none` (nobody has taken it) or a staff member's address."),
            staff_filter("product", {"enum": products}, "this product only (within the viewer's boards)."),
            staff_filter("breached", yes_no, "past a target it has not met (yes), or not (no)."),
            staff_filter("withheld", yes_no, "only withheld tickets (yes), or none of them (no)."),
            staff_filter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                         f"how many tickets (default {PAGE_SIZE})."),
            staff_filter("start", {"type": "integer", "minimum": 0}, "how many to skip: next_start of the page before."),
        ],
        "responses": {
            "200": answer({"type": "object", "required": ["tickets"], "properties": {
                "tickets": {"type": "array", "items": ref("TicketSummary")},
                "next_start": {"type": ["integer", "null"],
                               "description": "Staff only: start of the next page, null on the last."}}}, "The tickets"),
            "400": error("invalid_status (error.fields.status); for staff, invalid_filter naming each bad "
                         "parameter in error.fields"),
            "401": SIGNED_OUT,
        },
    }


def account_schemas() -> dict[str, Any]:
    summary_properties = {
        "reference": TEXT, "subject": TEXT, "status": {"enum": [s.value for s in TicketStatus]}, "priority": TEXT,
        "product": TEXT, "created_at": TIME, "updated_at": TIME,
        "respond_by": {"type": ["string", "null"], "format": "date-time",
                       "description": "null while support is withheld"},
    }
    # What staff see besides, in their queue (GET /api/tickets).
    queue_properties = {
        "request_type": TEXT, "organisation": NULLABLE_TEXT,
        "assignee": {**NULLABLE_TEXT, "description": "The staff member working on it, by address"},
        "target": {"type": ["string", "null"], "format": "date-time",
                   "description": "The next target: the response target until met, then the resolution target"},
        "business_hours_left": {"type": ["number", "null"],
                                "description": "Business hours to the target, negative once past it; frozen while "
                                               "waiting on the customer"},
        "breached": {"type": "boolean", "description": "A target was missed"},
    }
    return {
        "Me": {
            "type": "object",
            "required": ["email", "name", "organisation", "products", "nominated", "staff"],
            "properties": {
                "email": TEXT, "name": TEXT,
                "organisation": {"anyOf": [{"type": "null"}, {"type": "object", "required": ["key", "name"],
                                                              "properties": {"key": TEXT, "name": TEXT}}]},
                "products": {"type": "array", "items": TEXT},
                "nominated": {"type": "boolean"},
                "staff": {"anyOf": [{"type": "null"}, {"type": "object", "required": ["boards", "admin"], "properties": {
                    "boards": {"type": "array", "items": TEXT}, "admin": {"type": "boolean"}}}]},
            },
        },
        "TicketSummary": {"type": "object", "required": list(summary_properties),
                          "properties": {**summary_properties, **queue_properties}},
        "FollowUp": {"allOf": [ref("TicketCreated"), {"type": "object", "required": ["follows_up"], "properties": {
            "follows_up": {**TEXT, "description": "The reference of the closed ticket this one follows up"}}}]},
        "Message": {
            "type": "object",
            "required": ["author", "body", "created_at", "attachments"],
            "properties": {
                "author": {"type": "object", "required": ["name", "role"],
                           "properties": {"name": TEXT, "role": {"enum": ["customer", "staff"]}}},
                "body": TEXT, "created_at": TIME,
                "attachments": {"type": "array", "items": {
                    "type": "object", "required": ["filename", "content_type", "size", "url"],
                    "properties": {"filename": TEXT, "content_type": TEXT, "size": {"type": "integer"},
                                   "url": {**TEXT, "description": "Served only to accounts that may see the ticket, "
                                                                  "always as a download"}}}},
            },
        },
        "TicketDetail": {
            "type": "object",
            "required": [*summary_properties, "status_label", "withheld_reason", "closed_at", "rating",
                         "rating_comment", "follows_up", "messages", "history", "credits"],
            "properties": {
                **summary_properties,
                "status_label": TEXT, "withheld_reason": NULLABLE_TEXT,
                "closed_at": {"type": ["string", "null"], "format": "date-time"},
                "rating": {"type": ["integer", "null"]}, "rating_comment": NULLABLE_TEXT,
                "follows_up": {**NULLABLE_TEXT, "description": "The reference of the closed ticket this one follows up"},
                "credits": ref("TicketCredits"),
                "messages": {"type": "array", "items": ref("Message")},
                "history": {"type": "array", "items": {
                    "type": "object", "required": ["at", "kind", "from_status", "to_status", "by"],
                    "properties": {"at": TIME, "kind": TEXT, "from_status": NULLABLE_TEXT, "to_status": NULLABLE_TEXT,
                                   "by": BY}}},
            },
        },
    }
