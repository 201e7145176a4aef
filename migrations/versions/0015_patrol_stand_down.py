"""patrols: a shift below its minimum is stood down before its start unless a coordinator confirmed it

Adds to ``patrol_shift``: when and why it was stood down (``stood_down_at``, ``stand_down_reason``;
a stood-down shift also has ``status = 'cancelled'``, so sign-up, check-in and the calendar feed
treat it as not running), and the coordinator's confirmation that it runs below its minimum
(``below_minimum_confirmed_at``, ``below_minimum_confirmed_by_id``, ``below_minimum_reason``).
Every column is nullable: existing shifts are neither stood down nor confirmed, as they were.

Revision ID: 0015_patrol_stand_down
Revises: 0008
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nte.db

revision = "0015_patrol_stand_down"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (
    "stood_down_at",
    "stand_down_reason",
    "below_minimum_confirmed_at",
    "below_minimum_confirmed_by_id",
    "below_minimum_reason",
)


def upgrade() -> None:
    with op.batch_alter_table("patrol_shift") as batch:
        batch.add_column(sa.Column("stood_down_at", nte.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("stand_down_reason", sa.String(300), nullable=True))
        batch.add_column(sa.Column("below_minimum_confirmed_at", nte.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("below_minimum_confirmed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("below_minimum_reason", sa.String(300), nullable=True))
        batch.create_foreign_key(
            op.f("fk_patrol_shift_below_minimum_confirmed_by_id_user_account"),
            "user_account",
            ["below_minimum_confirmed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("patrol_shift") as batch:
        batch.drop_constraint(op.f("fk_patrol_shift_below_minimum_confirmed_by_id_user_account"), type_="foreignkey")
        for name in reversed(COLUMNS):
            batch.drop_column(name)
