"""maps: shared cache of rendered map data (public ward views, officer map bundles)

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-22 04:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nte.db

revision = "0006"
down_revision = "0001"
branch_labels = ("maps",)
depends_on = "0005"


def upgrade() -> None:
    op.create_table(
        "map_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("data_version", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_cache")),
        sa.UniqueConstraint("key", name=op.f("uq_map_cache_key")),
    )
    with op.batch_alter_table("map_cache", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_map_cache_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("map_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_map_cache_kind"))

    op.drop_table("map_cache")
