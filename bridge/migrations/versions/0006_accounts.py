"""Organisations, contacts and staff; who raised each ticket, why support is withheld, and its events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

`respond_by` becomes nullable: a withheld ticket has no response target until the board
releases it. Tickets stored before this revision belong to no contact, like a ticket from an
unknown address.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("products", sa.JSON, nullable=False),
        sa.Column("paid_until", sa.Date, nullable=True),
        sa.Column("out_of_hours_cover", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("key", name=op.f("uq_organisations_key")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("organisation_id", sa.Integer, nullable=False),
        sa.Column("nominated", sa.Boolean, nullable=False),
        sa.Column("products", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("email", name=op.f("uq_contacts_email")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_contacts_organisation_id_organisations")),
    )
    op.create_index(op.f("ix_contacts_organisation_id"), "contacts", ["organisation_id"])
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("boards", sa.JSON, nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_email")),
    )
    _defer_foreign_keys_on_sqlite()
    with op.batch_alter_table("tickets", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("withheld_reason", sa.String, nullable=True))
        batch.add_column(sa.Column("contact_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("organisation_id", sa.Integer, nullable=True))
        batch.alter_column("respond_by", existing_type=TIMESTAMP, nullable=True)
        batch.create_foreign_key(op.f("fk_tickets_contact_id_contacts"), "contacts", ["contact_id"], ["id"])
        batch.create_foreign_key(op.f("fk_tickets_organisation_id_organisations"), "organisations",
                                 ["organisation_id"], ["id"])
        batch.create_index(op.f("ix_tickets_contact_id"), ["contact_id"])
        batch.create_index(op.f("ix_tickets_organisation_id"), ["organisation_id"])
    _check_foreign_keys_on_sqlite()
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("ticket_events")
    _defer_foreign_keys_on_sqlite()
    with op.batch_alter_table("tickets", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index(op.f("ix_tickets_organisation_id"))
        batch.drop_index(op.f("ix_tickets_contact_id"))
        batch.drop_constraint(op.f("fk_tickets_organisation_id_organisations"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_tickets_contact_id_contacts"), type_="foreignkey")
        batch.alter_column("respond_by", existing_type=TIMESTAMP, nullable=False)
        batch.drop_column("organisation_id")
        batch.drop_column("contact_id")
        batch.drop_column("withheld_reason")
    _check_foreign_keys_on_sqlite()
    op.drop_table("staff")
    op.drop_table("contacts")
    op.drop_table("organisations")


def _defer_foreign_keys_on_sqlite() -> None:
    """Let SQLite copy `tickets` to a new table and drop the old one, as it must to alter a column.

    The outbox's references to the old rows would stop the drop. Outside a transaction switching
    foreign keys off works; inside one only deferring them to the commit does (when the copy carries
    the same ids), so both are asked for and `_check_foreign_keys_on_sqlite` checks the result.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("PRAGMA defer_foreign_keys = ON")


def _check_foreign_keys_on_sqlite() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys = ON")
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"rows lost their referenced row while tickets was copied: {broken}")
