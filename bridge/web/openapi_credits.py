"""The OpenAPI description of credits and quotes (bridge/web/credits.py), and of their parts of the policy and a new ticket.

Merged by bridge/web/openapi.py into the one document. On a desk whose policy does not charge
credits the routes still exist and answer 404 once signed in; the policy's `credits` is null then
and a new ticket has no `credit_consent`.
"""
from __future__ import annotations

from typing import Any

from bridge.credits.quotes import MAX_TIMESCALE
from bridge.tickets.validation import CREDIT_CONSENTS, MAX_COVER_FROM
from bridge.web.credits import MAX_NOTE
from bridge.web.openapi_account import BY, NOT_FOUND, REFERENCE, SIGNED_OUT, STAFF, TEXT, TIME, answer, error, ref

INTEGER = {"type": "integer"}
NOT_JSON = error("unsupported_media_type: send application/json")
NO_CREDITS = "; also when this desk does not charge credits"


def credits_paths() -> dict[str, Any]:
    return {
        "/api/credits": {"get": {
            "summary": "The signed-in contact's organisation's credits: balance and statement",
            "responses": {"200": answer(ref("CreditStatement"), "The statement, in the order it was written"),
                          "401": SIGNED_OUT,
                          "404": error("no_credits: the account is no contact of an organisation" + NO_CREDITS)},
        }},
        "/api/tickets/{reference}/assessment": {"post": {
            "summary": "Assess the ticket in a credits category (staff on the product's board)",
            "description": "Agreed in advance: the category's credits are charged at once (a re-assessment charges "
                           "or refunds the difference; the same assessment twice charges once). Cost first: the "
                           "ticket waits for the customer's approval, who is mailed the quote. Too few credits: it "
                           "waits for credits, charged when they are added.",
            "parameters": REFERENCE,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["category"],
                "properties": {"category": {**TEXT, "description": "A category key from the policy's credits"},
                               "note": {"type": ["string", "null"], "maxLength": MAX_NOTE,
                                        "description": "Why: mailed to the customer"}}}}}},
            "responses": {"200": answer(ref("Charging"), "Where the ticket stands"),
                          "400": error("invalid_json, or invalid_assessment (error.fields.category or note)"),
                          "401": SIGNED_OUT, "404": error(NOT_FOUND_STAFF),
                          "409": error("no_organisation, ticket_not_chargeable or cannot_change_status"),
                          "415": NOT_JSON},
        }},
        "/api/tickets/{reference}/approval": {"post": {
            "summary": "Approve or decline what waits for the customer: a quote, or a credits assessment",
            "description": "An open quote for work outside the agreement is accepted (the work starts) or declined "
                           "(a new requirement is closed; out-of-hours cover is refused and the request handled in "
                           "office hours). Otherwise, on a credits desk, approval charges the assessed credits (or "
                           "waits for credits) and reopens the work; declining closes the ticket with no charge.",
            "parameters": REFERENCE,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["approve"], "properties": {"approve": {"type": "boolean"}}}}}},
            "responses": {"200": answer(ref("Standing"), "Where the ticket stands"),
                          "400": error("invalid_json, or invalid_approval (error.fields.approve)"),
                          "401": SIGNED_OUT, "403": STAFF, "404": answer(ref("Error"), NOT_FOUND["description"] + NO_CREDITS),
                          "409": error("nothing_to_approve: no cost is waiting for approval"), "415": NOT_JSON},
        }},
        "/api/tickets/{reference}/quote": {"post": {
            "summary": "Quote work outside the agreement (staff on the product's board)",
            "description": "For a new requirement or a request for out-of-hours cover: the customer is mailed the "
                           "quote and the ticket waits (its clock stopped) until they accept or decline. A new quote "
                           "replaces one still open.",
            "parameters": REFERENCE,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["cost", "currency", "timescale"],
                "properties": {"cost": {"type": ["number", "string"], "description": "Above 0, two decimals at most"},
                               "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                               "timescale": {"type": "string", "minLength": 1, "maxLength": MAX_TIMESCALE},
                               "note": {"type": ["string", "null"], "maxLength": 2000}}}}}},
            "responses": {"200": answer(ref("Standing"), "Quoted"),
                          "400": error("invalid_json, or invalid_quote (error.fields: cost, currency, timescale, note)"),
                          "401": SIGNED_OUT, "404": error(NOT_FOUND["description"].split(";")[0] + ", or the account "
                                                          "is not staff on the ticket's product board"),
                          "409": error("not_quotable (covered by the agreement) or ticket_not_quotable"),
                          "415": NOT_JSON},
        }},
    }


NOT_FOUND_STAFF = ("not_found: no such ticket, or the account is not staff on the ticket's product board" + NO_CREDITS)


def credits_schemas() -> dict[str, Any]:
    return {
        "CreditStatement": {
            "type": "object", "required": ["balance", "entries"],
            "properties": {"balance": INTEGER, "entries": {"type": "array", "items": {
                "type": "object", "required": ["at", "kind", "amount", "ticket", "note", "by"],
                "properties": {"at": TIME, "kind": {"enum": ["grant", "purchase", "charge", "adjustment", "refund"]},
                               "amount": {**INTEGER, "description": "Charges are negative"},
                               "ticket": {"type": ["string", "null"]}, "note": TEXT, "by": BY}}}},
        },
        "Charging": {
            "type": "object",
            "required": ["reference", "status", "category", "category_credits", "charged", "balance"],
            "properties": {"reference": TEXT, "status": TEXT, "category": {"type": ["string", "null"]},
                           "category_credits": {"type": ["integer", "null"]},
                           "charged": {**INTEGER, "description": "What the ticket has cost, net"},
                           "balance": {**INTEGER, "description": "The organisation's credits now"}},
        },
        "Standing": {
            "type": "object", "required": ["reference", "status", "charging", "quote"],
            "properties": {
                "reference": TEXT, "status": TEXT,
                "charging": {"anyOf": [{"type": "null"}, ref("Charging")],
                             "description": "null on a desk without credits or for a ticket of no organisation"},
                "quote": {"anyOf": [{"type": "null"}, ref("Quote")]},
            },
        },
        "Quote": {
            "type": "object",
            "required": ["reason", "cost", "currency", "timescale", "note", "status", "offered_at", "decided_at"],
            "properties": {"reason": {"enum": ["new_requirement", "out_of_hours"]}, "cost": TEXT,
                           "currency": TEXT, "timescale": TEXT, "note": {"type": ["string", "null"]},
                           "status": {"enum": ["offered", "accepted", "declined"]}, "offered_at": TIME,
                           "decided_at": {"type": ["string", "null"], "format": "date-time"}},
        },
        "TicketCredits": {
            "anyOf": [{"type": "null"}, {
                "type": "object", "required": ["consent", "charging", "quote"],
                "properties": {"consent": {"enum": [*CREDIT_CONSENTS, None]},
                               "charging": {"anyOf": [{"type": "null"}, ref("Charging")]},
                               "quote": {"anyOf": [{"type": "null"}, ref("Quote")]}}}],
            "description": "null when the desk charges no credits for the ticket and it needs no quote",
        },
        "Credits": {
            "anyOf": [{"type": "null"}, {
                "type": "object", "required": ["grant", "categories", "packages"],
                "properties": {
                    "grant": INTEGER,
                    "categories": {"type": "array", "items": {
                        "type": "object", "required": ["key", "label", "credits", "description"],
                        "properties": {"key": TEXT, "label": TEXT, "credits": INTEGER, "description": TEXT}}},
                    "packages": {"type": "array", "items": {
                        "type": "object", "required": ["credits", "price", "currency"],
                        "properties": {"credits": INTEGER, "price": {**TEXT, "description": "e.g. 125.00"},
                                       "currency": TEXT}}}}}],
            "description": "null when the desk does not charge credits",
        },
    }


def consent_property(support: dict[str, Any]) -> dict[str, Any]:
    """NewTicket's credit_consent, present (and required) only when the desk charges credits."""
    if support.get("credits") is None:
        return {}
    return {"credit_consent": {"enum": list(CREDIT_CONSENTS),
                               "description": "agree: charge the board's assessment at once; quote_first: quote it "
                                              "and wait for approval"}}


def cover_property(support: dict[str, Any]) -> dict[str, Any]:
    """NewTicket's cover_from, present only when the desk offers out-of-hours cover."""
    cover = support.get("out_of_hours")
    if cover is None:
        return {}
    return {"cover_from": {"type": ["string", "null"], "format": "date-time", "maxLength": MAX_COVER_FROM,
                           "description": f"Out-of-hours cover from this date and time (ISO 8601; without an offset, "
                                          f"the desk's time zone): outside office hours, at least "
                                          f"{cover['notice_hours']:g} hours ahead. It is quoted before it is agreed."}}
