"""`GET /api/support-policy`: the promises and choices the ticket form is built from, for outside clients too."""
from __future__ import annotations

from flask import Blueprint, jsonify

from bridge.web.tickets import support_data

bp = Blueprint("policy_api", __name__, url_prefix="/api")


@bp.get("/support-policy")
def support_policy():
    """The public policy (hours, holidays, priorities with targets, request types with coverage) and the products."""
    return jsonify(support_data())
