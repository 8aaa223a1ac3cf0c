"""Mail in: every received email, stored before it is read.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

Every received email is stored with its bytes before it is read (bridge/mailin/models.py); its
Message-ID's digest is unique, so one message is never handled twice. (Outbox rows keep the
Message-ID they were sent with since 0008, so a reply naming it threads into its ticket.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("handled_at", TIMESTAMP, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("bounced_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("message_key", name=op.f("uq_inbound_messages_message_key")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_inbound_messages_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["bounced_id"], ["outbox_messages.id"],
                                name=op.f("fk_inbound_messages_bounced_id_outbox_messages")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_inbound_messages_message_id"), "inbound_messages", ["message_id"])
    op.create_index(op.f("ix_inbound_messages_ticket_id"), "inbound_messages", ["ticket_id"])
    op.create_index(op.f("ix_inbound_messages_bounced_id"), "inbound_messages", ["bounced_id"])


def downgrade() -> None:
    op.drop_table("inbound_messages")
