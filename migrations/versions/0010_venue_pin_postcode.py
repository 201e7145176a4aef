"""venues: location_approximate and pin_postcode_distance_m, so officers see a pin far from its postcode

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-23 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("venue", sa.Column("location_approximate", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("venue", sa.Column("pin_postcode_distance_m", sa.Double(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ too): a batch copy of a SpatiaLite table trips its geometry triggers.
    op.execute("ALTER TABLE venue DROP COLUMN pin_postcode_distance_m")
    op.execute("ALTER TABLE venue DROP COLUMN location_approximate")
