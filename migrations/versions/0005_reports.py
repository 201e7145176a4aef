"""reports: anonymous reports and imported police records

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-22 04:34:01.777040
"""

from __future__ import annotations

import geoalchemy2  # noqa: F401 - registers the geospatial Alembic operations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

import nte.db  # noqa: F401 - UTCDateTime

revision = "0005"
down_revision = "0001"
branch_labels = ("reports",)
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("time_precision", sa.String(length=12), nullable=False),
        sa.Column("time_band", sa.String(length=20), nullable=True),
        sa.Column("received_hour", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("location_precision", sa.String(length=8), nullable=False),
        sa.Column("easting", sa.Double(), nullable=True),
        sa.Column("northing", sa.Double(), nullable=True),
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
        sa.Column("ward_code", sa.String(length=20), nullable=False),
        sa.Column("borough_code", sa.String(length=20), nullable=False),
        sa.Column("main_category", sa.String(length=40), nullable=False),
        sa.Column("factors", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("description_purged_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("age_band", sa.String(length=10), nullable=True),
        sa.Column("gender", sa.String(length=20), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=80), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("flagged_near_duplicate", sa.Boolean(), nullable=False),
        sa.Column("moderated_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("location_precision IN ('exact', 'ward')", name=op.f("ck_report_location_precision_known")),
        sa.CheckConstraint("source IN ('public', 'police', 'import')", name=op.f("ck_report_source_known")),
        sa.CheckConstraint("status IN ('new', 'accepted', 'spam', 'duplicate')", name=op.f("ck_report_status_known")),
        sa.CheckConstraint(
            "time_precision IN ('exact', 'approximate', 'month')", name=op.f("ck_report_time_precision_known")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["report.id"], name=op.f("fk_report_duplicate_of_id_report"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("external_id", name=op.f("uq_report_external_id")),
        sa.UniqueConstraint("receipt_hash", name=op.f("uq_report_receipt_hash")),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_report_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_report_borough_code"), ["borough_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_import_batch_id"), ["import_batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_main_category"), ["main_category"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index("ix_report_stats", ["status", "occurred_at", "ward_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_ward_code"), ["ward_code"], unique=False)

    op.create_table(
        "report_category",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_report_category_report_id_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "category", name=op.f("pk_report_category")),
    )
    with op.batch_alter_table("report_category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_category_category"), ["category"], unique=False)

    op.create_table(
        "report_ward_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("posted_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user_account.id"],
            name=op.f("fk_report_ward_update_author_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_ward_update")),
    )
    with op.batch_alter_table("report_ward_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_ward_update_posted_at"), ["posted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_ward_update_ward_code"), ["ward_code"], unique=False)

    op.create_table(
        "report_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=20), nullable=False),
        sa.Column("started_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("already_present", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_import")),
    )


def downgrade() -> None:
    op.drop_table("report_import")
    with op.batch_alter_table("report_ward_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_ward_update_ward_code"))
        batch_op.drop_index(batch_op.f("ix_report_ward_update_posted_at"))

    op.drop_table("report_ward_update")
    with op.batch_alter_table("report_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_category_category"))

    op.drop_table("report_category")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_ward_code"))
        batch_op.drop_index(batch_op.f("ix_report_status"))
        batch_op.drop_index("ix_report_stats")
        batch_op.drop_index(batch_op.f("ix_report_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_report_main_category"))
        batch_op.drop_index(batch_op.f("ix_report_import_batch_id"))
        batch_op.drop_index(batch_op.f("ix_report_borough_code"))
        batch_op.drop_geospatial_index("idx_report_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("report")
