"""`/desk/report`: the board's figures as a page, for the products on the viewer's boards (all, for an admin).

The same figures as `kb report` (bridge/desk/report.py); a member of staff sees only their boards'
products, so the counts say nothing about another board's customers.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, request

from bridge.desk.report import desk_report
from bridge.web import csrf
from bridge.web.context import db_session, services
from bridge.web.desk import board_products, staff_account
from bridge.web.tickets import get_desk, page

bp = Blueprint("desk_report", __name__)

PERIODS = (7, 30, 90, 365)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/desk/report")
def report_page():
    account = staff_account()
    mine = board_products(account)
    errors = {}
    days = request.args.get("days", "30")
    if days not in {str(period) for period in PERIODS}:
        errors["days"] = f"must be one of: {', '.join(map(str, PERIODS))}"
        days = "30"
    product = request.args.get("product", "")
    if product and product not in dict(mine):
        errors["product"] = f"must be one of your boards' products: {', '.join(dict(mine))}"
        product = ""
    desk, now = get_desk(), services().clock()
    figures = desk_report(db_session(), since=now - timedelta(days=int(days)), until=now, calendar=desk.calendar,
                          priorities=[p.key for p in desk.policy.priorities],
                          request_types=[t.key for t in desk.policy.request_types],
                          credit_categories=[c.key for c in desk.policy.credits.categories]
                          if desk.policy.credits else (),
                          products=[product] if product else [key for key, _ in mine])
    return page("Desk figures", "desk/report.html", status=400 if errors else 200, account=account, figures=figures,
                days=int(days), periods=PERIODS, product=product, products=mine, errors=errors, notices=[],
                priority_labels={p.key: p.label for p in desk.policy.priorities},
                type_labels={t.key: t.label for t in desk.policy.request_types}, csrf_token=csrf.form_token())
