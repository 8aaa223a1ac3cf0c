"""The board's queue reads its order from one index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

The queue (bridge/desk/queue.py) narrows a board's tickets by product, status, assignee and
priority and orders them by their targets. An index holding all of those columns lets the database
order a board's open tickets without reading a ticket row, so a page of the queue costs about the
same on a board of a year's tickets as on a new one (measured in benchmarks/RESULTS.md). 0008's (product, status) index gains the id,
so a board's resolved and closed tickets come newest first without a sort on PostgreSQL too (SQLite
has the row id in every index already).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["product", "status", "assignee", "priority", "respond_by", "responded_at", "resolve_by", "resolved_at",
           "waiting_since"]


def upgrade() -> None:
    op.drop_index("ix_tickets_product_status", table_name="tickets")
    op.create_index("ix_tickets_product_status_id", "tickets", ["product", "status", "id"])
    op.create_index("ix_tickets_queue", "tickets", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_tickets_queue", table_name="tickets")
    op.drop_index("ix_tickets_product_status_id", table_name="tickets")
    op.create_index("ix_tickets_product_status", "tickets", ["product", "status"])
