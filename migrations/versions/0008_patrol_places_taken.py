"""patrols: shift.places_taken, the atomic place counter behind sign-ups

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-22 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patrol_shift", sa.Column("places_taken", sa.Integer(), nullable=False, server_default="0"))
    # Backfill from the rows: confirmed and offered sign-ups hold a place.
    op.execute(
        "UPDATE patrol_shift SET places_taken = (SELECT count(*) FROM patrol_signup "
        "WHERE patrol_signup.shift_id = patrol_shift.id AND patrol_signup.status IN ('confirmed', 'offered'))"
    )


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ too), as in 0007.
    op.execute("ALTER TABLE patrol_shift DROP COLUMN places_taken")
