"""venues: a stated staff count, the manager's renewals (with new starters since the last
training) and the actions a failed spot check opens. Adds only: every stored row is kept.

Revision ID: 0017_venue_renewal_actions
Revises: 0011_venue_changes
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nte.db  # noqa: F401 - UTCDateTime

revision = "0017_venue_renewal_actions"
down_revision = "0011_venue_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable column: SQLite adds it in place, no table copy (SpatiaLite's triggers stay).
    op.add_column("venue", sa.Column("staff_count", sa.Integer(), nullable=True))
    op.create_table(
        "venue_renewal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("renewal_date_before", sa.Date(), nullable=True),
        sa.Column("renewal_date_after", sa.Date(), nullable=True),
        sa.Column("new_starters", sa.Integer(), nullable=True),
        sa.Column("renewed_on", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('renew', 'request')", name=op.f("ck_venue_renewal_kind_known")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_renewal_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_venue_renewal_user_id_user_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_renewal")),
    )
    op.create_index(op.f("ix_venue_renewal_venue_id"), "venue_renewal", ["venue_id"])
    op.create_table(
        "venue_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("spot_check_id", sa.Integer(), nullable=False),
        sa.Column("findings", sa.String(length=2000), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cleared_by_spot_check_id", sa.Integer(), nullable=True),
        sa.Column("lapsed_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_action_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["spot_check_id"],
            ["venue_spot_check.id"],
            name=op.f("fk_venue_action_spot_check_id_venue_spot_check"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_venue_action_opened_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cleared_by_spot_check_id"],
            ["venue_spot_check.id"],
            name=op.f("fk_venue_action_cleared_by_spot_check_id_venue_spot_check"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_action")),
    )
    op.create_index(op.f("ix_venue_action_venue_id"), "venue_action", ["venue_id"])
    op.create_index(op.f("ix_venue_action_due_date"), "venue_action", ["due_date"])


def downgrade() -> None:
    op.drop_index(op.f("ix_venue_action_due_date"), table_name="venue_action")
    op.drop_index(op.f("ix_venue_action_venue_id"), table_name="venue_action")
    op.drop_table("venue_action")
    op.drop_index(op.f("ix_venue_renewal_venue_id"), table_name="venue_renewal")
    op.drop_table("venue_renewal")
    # Plain ALTER TABLE (SQLite 3.35+ too): a batch copy of a SpatiaLite table trips its geometry triggers.
    op.execute("ALTER TABLE venue DROP COLUMN staff_count")
