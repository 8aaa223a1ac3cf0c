"""A review board on a real bridge: staff on boards, tickets raised through the API at chosen times,
and the desk's own functions (lifecycle, targets) to move them on, as the desk core does."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.desk import targets
from bridge.tickets.lifecycle import change_status
from bridge.tickets.models import Ticket
from bridge.tickets.status import TicketStatus
from bridge.web.context import services
from tests.portal.portal_fixtures import add_staff, sign_in
from tests.ticket_web_fixtures import set_clock, valid_ticket

GRACE, LINUS, ROTA_ONLY = "grace@desk.example", "linus@desk.example", "rota@desk.example"


def add_board(app: Flask) -> None:
    """Grace and Linus sit on the ledger board; another member sits on rota's only."""
    add_staff(app, GRACE, ["ledger"])
    add_staff(app, LINUS, ["ledger"])
    add_staff(app, ROTA_ONLY, ["rota"])


def raise_at(app: Flask, moment: datetime, **changes: object) -> str:
    """A ticket raised through the API with the desk's clock at moment; its reference."""
    set_clock(app, moment)
    response = app.test_client().post("/api/tickets", json=valid_ticket(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["reference"]


def change(app: Flask, reference: str, moment: datetime, *, status: TicketStatus | None = None,
           assignee: str | None = None, responded: bool = False) -> None:
    """Move a ticket on at moment as the board would: status through the lifecycle, the clock kept in step."""
    with services(app).sessions()() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        if assignee is not None:
            ticket.assignee = assignee
        if responded:
            targets.record_response(ticket, moment)
        if status is not None:
            change_status(session, ticket, status, actor=GRACE, now=moment)
            targets.after_status_change(ticket, services(app).desk().calendar, moment)
        session.commit()


def staff_client(app: Flask, email: str, moment: datetime) -> FlaskClient:
    """A signed-in client for email, the clock at moment (a session lasts KB_SESSION_HOURS from then)."""
    set_clock(app, moment)
    client = app.test_client()
    sign_in(client, app, email)
    return client
