"""safespaces: registry, owner proposals

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 04:38:31.302667
"""

from __future__ import annotations

import geoalchemy2  # noqa: F401 - registers the geospatial Alembic operations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

import nte.db  # noqa: F401 - UTCDateTime

revision = "0003"
down_revision = "0001"
branch_labels = ("safespaces",)
depends_on = "0002"


def upgrade() -> None:
    op.create_geospatial_table(
        "safe_space",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
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
            nullable=True,
        ),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("access_note", sa.String(length=300), nullable=True),
        sa.Column(
            "help_offered",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "codewords", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("step_free", sa.Boolean(), nullable=True),
        sa.Column(
            "languages", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "hours", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("hours_confirmed_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("verified_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_by_user_id", sa.Integer(), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=80), nullable=True),
        sa.Column("is_example", sa.Boolean(), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('pharmacy', 'safe_haven', 'charter_venue', 'community_centre', 'transport_hub', 'other')",
            name=op.f("ck_safe_space_kind_known"),
        ),
        sa.CheckConstraint("source IN ('manual', 'import', 'demo')", name=op.f("ck_safe_space_source_known")),
        sa.CheckConstraint(
            "status IN ('unverified', 'verified', 'withdrawn')", name=op.f("ck_safe_space_status_known")
        ),
        sa.CheckConstraint(
            "(venue_id IS NOT NULL AND name IS NULL AND address IS NULL AND postcode IS NULL AND geom IS NULL) OR (venue_id IS NULL AND name IS NOT NULL AND geom IS NOT NULL)",
            name=op.f("ck_safe_space_identity_from_venue_or_own"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["user_account.id"],
            name=op.f("fk_safe_space_owner_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venue.id"], name=op.f("fk_safe_space_venue_id_venue")),
        sa.ForeignKeyConstraint(
            ["verified_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_safe_space_verified_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_space")),
        sa.UniqueConstraint("external_id", name=op.f("uq_safe_space_external_id")),
        sa.UniqueConstraint("venue_id", name=op.f("uq_safe_space_venue_id")),
    )
    with op.batch_alter_table("safe_space", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_safe_space_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_safe_space_hours_confirmed_date"), ["hours_confirmed_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_safe_space_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_safe_space_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safe_space_status"), ["status"], unique=False)

    op.create_table(
        "safe_space_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("safe_space_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "changes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("confirms_hours", sa.Boolean(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_safe_space_proposal_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_safe_space_proposal_decided_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_safe_space_proposal_proposed_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["safe_space_id"],
            ["safe_space.id"],
            name=op.f("fk_safe_space_proposal_safe_space_id_safe_space"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_space_proposal")),
    )
    with op.batch_alter_table("safe_space_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safe_space_proposal_safe_space_id"), ["safe_space_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safe_space_proposal_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safe_space_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safe_space_proposal_status"))
        batch_op.drop_index(batch_op.f("ix_safe_space_proposal_safe_space_id"))

    op.drop_table("safe_space_proposal")
    with op.batch_alter_table("safe_space", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safe_space_status"))
        batch_op.drop_index(batch_op.f("ix_safe_space_owner_user_id"))
        batch_op.drop_index(batch_op.f("ix_safe_space_kind"))
        batch_op.drop_index(batch_op.f("ix_safe_space_hours_confirmed_date"))
        batch_op.drop_geospatial_index("idx_safe_space_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("safe_space")
