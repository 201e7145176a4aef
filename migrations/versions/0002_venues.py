"""venues: charter venues, pledges, training, accreditations, evidence, spot checks, duplicates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:36:37.918413
"""

from __future__ import annotations

import geoalchemy2  # noqa: F401 - registers the geospatial Alembic operations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

import nte.db  # noqa: F401 - UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = ("venues",)
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table(
        "venue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("venue_type", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("licence_number", sa.String(length=40), nullable=True),
        sa.Column("licence_key", sa.String(length=40), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("ward_code", sa.String(length=20), nullable=False),
        sa.Column("borough_code", sa.String(length=20), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("champion_name", sa.String(length=120), nullable=False),
        sa.Column("champion_role", sa.String(length=120), nullable=False),
        sa.Column("ask_for_angela", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("manager_user_id", sa.Integer(), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("submitted_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_example", sa.Boolean(), nullable=False),
        sa.Column("example_source_id", sa.String(length=80), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'verified', 'rejected', 'lapsed', 'withdrawn')", name=op.f("ck_venue_status_known")
        ),
        sa.CheckConstraint(
            "venue_type IN ('pub', 'bar', 'nightclub', 'late_night_food', 'hotel', 'theatre', 'other')",
            name=op.f("ck_venue_venue_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_user_id"],
            ["user_account.id"],
            name=op.f("fk_venue_manager_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue")),
        sa.UniqueConstraint("example_source_id", name=op.f("uq_venue_example_source_id")),
        sa.UniqueConstraint("licence_key", name=op.f("uq_venue_licence_key")),
    )
    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_venue_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_venue_manager_user_id"), ["manager_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_renewal_date"), ["renewal_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_venue_type"), ["venue_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_ward_code"), ["ward_code"], unique=False)

    op.create_table(
        "venue_accreditation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=60), nullable=True),
        sa.Column("valid_from_date", sa.Date(), nullable=False),
        sa.Column("valid_to_date", sa.Date(), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "scheme IN ('night_haven', 'safety_thirst', 'hackney_nights', 'best_bar_none', 'other')",
            name=op.f("ck_venue_accreditation_scheme_known"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_accreditation_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_accreditation")),
    )
    with op.batch_alter_table("venue_accreditation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_accreditation_scheme"), ["scheme"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_accreditation_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "venue_duplicate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("duplicate_venue_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column(
            "submission", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint("reason IN ('licence_number', 'name_nearby')", name=op.f("ck_venue_duplicate_reason_known")),
        sa.ForeignKeyConstraint(
            ["duplicate_venue_id"],
            ["venue.id"],
            name=op.f("fk_venue_duplicate_duplicate_venue_id_venue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_venue_duplicate_submitted_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_duplicate_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_duplicate")),
    )
    with op.batch_alter_table("venue_duplicate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_duplicate_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "venue_pledge",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("how_met", sa.String(length=500), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("reviewed_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_pledge_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", "number", name=op.f("pk_venue_pledge")),
    )
    op.create_table(
        "venue_spot_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("check_date", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("officer_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('pass', 'advice', 'fail')", name=op.f("ck_venue_spot_check_outcome_known")),
        sa.ForeignKeyConstraint(
            ["officer_user_id"],
            ["user_account.id"],
            name=op.f("fk_venue_spot_check_officer_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_spot_check_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_spot_check")),
    )
    with op.batch_alter_table("venue_spot_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_spot_check_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "venue_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("training_type", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=120), nullable=False),
        sa.Column("training_date", sa.Date(), nullable=False),
        sa.Column("staff_trained", sa.Integer(), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "training_type IN ('wave', 'ask_for_angela', 'bystander', 'other')",
            name=op.f("ck_venue_training_training_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_training_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_training")),
    )
    with op.batch_alter_table("venue_training", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_training_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "venue_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=True),
        sa.Column("accreditation_id", sa.Integer(), nullable=True),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accreditation_id"],
            ["venue_accreditation.id"],
            name=op.f("fk_venue_evidence_accreditation_id_venue_accreditation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["venue_training.id"],
            name=op.f("fk_venue_evidence_training_id_venue_training"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_venue_evidence_uploaded_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_evidence_venue_id_venue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_venue_evidence_stored_name")),
    )
    with op.batch_alter_table("venue_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_evidence_venue_id"), ["venue_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("venue_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_evidence_venue_id"))

    op.drop_table("venue_evidence")
    with op.batch_alter_table("venue_training", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_training_venue_id"))

    op.drop_table("venue_training")
    with op.batch_alter_table("venue_spot_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_spot_check_venue_id"))

    op.drop_table("venue_spot_check")
    op.drop_table("venue_pledge")
    with op.batch_alter_table("venue_duplicate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_duplicate_venue_id"))

    op.drop_table("venue_duplicate")
    with op.batch_alter_table("venue_accreditation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_accreditation_venue_id"))
        batch_op.drop_index(batch_op.f("ix_venue_accreditation_scheme"))

    op.drop_table("venue_accreditation")
    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_ward_code"))
        batch_op.drop_index(batch_op.f("ix_venue_venue_type"))
        batch_op.drop_index(batch_op.f("ix_venue_updated_at"))
        batch_op.drop_index(batch_op.f("ix_venue_status"))
        batch_op.drop_index(batch_op.f("ix_venue_renewal_date"))
        batch_op.drop_index(batch_op.f("ix_venue_name_key"))
        batch_op.drop_index(batch_op.f("ix_venue_manager_user_id"))
        batch_op.drop_geospatial_index("idx_venue_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("venue")
