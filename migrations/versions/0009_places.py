"""places: postcode points for finding a place by postcode or street without a third party

Revision ID: 0009
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import geoalchemy2  # noqa: F401 - registers the geospatial Alembic operations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

import nte.db  # noqa: F401 - UTCDateTime

revision = "0009"
down_revision = "0001"
branch_labels = ("places",)
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table(
        "place_postcode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("outward", sa.String(length=4), nullable=False),
        sa.Column("sector", sa.String(length=6), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("terminated_date", sa.Date(), nullable=True),
        sa.Column("imported_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('onspd', 'codepoint-open', 'demo-derived')", name=op.f("ck_place_postcode_source_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_postcode")),
        sa.UniqueConstraint("postcode", name=op.f("uq_place_postcode_postcode")),
    )
    with op.batch_alter_table("place_postcode", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_place_postcode_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_place_postcode_outward"), ["outward"], unique=False)
        batch_op.create_index(batch_op.f("ix_place_postcode_sector"), ["sector"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("place_postcode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_postcode_sector"))
        batch_op.drop_index(batch_op.f("ix_place_postcode_outward"))
        batch_op.drop_geospatial_index("idx_place_postcode_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("place_postcode")
