"""patrols: patrol_series_rule, the earlier rules of a series changed from a date (in place)

Revision ID: 0018_patrol_series_lifecycle
Revises: 0008
Create Date: 2026-12-01 22:10:00

A new table only: every stored series, night and shift is kept as it is. A series that was split by
the old change-from-a-date (two series with the same name and area) stays two series.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nte.db  # noqa: F401 - UTCDateTime

revision = "0018_patrol_series_lifecycle"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_series_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("rrule", sa.String(length=300), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("min_volunteers", sa.Integer(), nullable=False),
        sa.Column("max_volunteers", sa.Integer(), nullable=False),
        sa.Column("min_team_leads", sa.Integer(), nullable=False),
        sa.Column("meeting_point", sa.String(length=200), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("max_volunteers >= min_volunteers", name=op.f("ck_patrol_series_rule_max_not_below_min")),
        sa.CheckConstraint("min_team_leads >= 0", name=op.f("ck_patrol_series_rule_leads_not_negative")),
        sa.CheckConstraint("min_volunteers >= 2", name=op.f("ck_patrol_series_rule_team_of_two")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["patrol_area.id"], name=op.f("fk_patrol_series_rule_area_id_patrol_area"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["patrol_series.id"],
            name=op.f("fk_patrol_series_rule_series_id_patrol_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_series_rule")),
        sa.UniqueConstraint("series_id", "start_date", name=op.f("uq_patrol_series_rule_series_id_start_date")),
    )
    with op.batch_alter_table("patrol_series_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_series_rule_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_series_rule_series_id"), ["series_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patrol_series_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_series_rule_series_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_series_rule_area_id"))
    op.drop_table("patrol_series_rule")
