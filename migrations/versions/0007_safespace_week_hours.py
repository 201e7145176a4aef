"""safespaces: week_hours, the hour-of-week prefilter for "nearest open" searches

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-22 06:50:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None

ANY_WEEK_HOUR = "1" * 168


def upgrade() -> None:
    op.add_column(
        "safe_space", sa.Column("week_hours", sa.String(length=168), nullable=False, server_default=ANY_WEEK_HOUR)
    )
    # Existing rows start as "maybe open at any hour" (always correct), then get their real value.
    from nte.safespaces.hours import InvalidHours, Schedule, week_hours

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, CAST(hours AS TEXT) FROM safe_space")).all()
    for space_id, hours_text in rows:
        try:
            value = week_hours(None if hours_text in (None, "null") else Schedule.from_json(json.loads(hours_text)))
        except (InvalidHours, ValueError):
            continue
        conn.execute(
            sa.text("UPDATE safe_space SET week_hours = :value WHERE id = :id"), {"value": value, "id": space_id}
        )


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ too): a batch copy of a SpatiaLite table trips its geometry triggers.
    op.execute("ALTER TABLE safe_space DROP COLUMN week_hours")
