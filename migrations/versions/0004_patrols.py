"""patrols: volunteers, areas, series, shifts, sign-ups, debriefs

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 04:37:14.856340
"""

from __future__ import annotations

import geoalchemy2  # noqa: F401 - registers the geospatial Alembic operations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

import nte.db  # noqa: F401 - UTCDateTime

revision = "0004"
down_revision = "0001"
branch_labels = ("patrols",)
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table(
        "patrol_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("area_km2", sa.Double(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_area")),
        sa.UniqueConstraint("name", name=op.f("uq_patrol_area_name")),
    )
    with op.batch_alter_table("patrol_area", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_patrol_area_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )

    op.create_table(
        "patrol_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rrule", sa.String(length=300), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("tz", sa.String(length=60), nullable=False),
        sa.Column("min_volunteers", sa.Integer(), nullable=False),
        sa.Column("max_volunteers", sa.Integer(), nullable=False),
        sa.Column("min_team_leads", sa.Integer(), nullable=False),
        sa.Column("meeting_point", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("max_volunteers >= min_volunteers", name=op.f("ck_patrol_series_max_not_below_min")),
        sa.CheckConstraint("min_team_leads >= 0", name=op.f("ck_patrol_series_leads_not_negative")),
        sa.CheckConstraint("min_volunteers >= 2", name=op.f("ck_patrol_series_team_of_two")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["patrol_area.id"], name=op.f("fk_patrol_series_area_id_patrol_area"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_series")),
    )
    with op.batch_alter_table("patrol_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_series_area_id"), ["area_id"], unique=False)

    op.create_table(
        "patrol_volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("emergency_contact", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("is_team_lead", sa.Boolean(), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.Column("feed_token_created_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('applicant', 'active', 'paused', 'left')", name=op.f("ck_patrol_volunteer_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_patrol_volunteer_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_volunteer")),
        sa.UniqueConstraint("feed_token_hash", name=op.f("uq_patrol_volunteer_feed_token_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_patrol_volunteer_user_id")),
    )
    with op.batch_alter_table("patrol_volunteer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_volunteer_status"), ["status"], unique=False)

    op.create_table(
        "patrol_series_night",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_date", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("moved_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["patrol_series.id"],
            name=op.f("fk_patrol_series_night_series_id_patrol_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_series_night")),
        sa.UniqueConstraint(
            "series_id", "occurrence_date", name=op.f("uq_patrol_series_night_series_id_occurrence_date")
        ),
    )
    with op.batch_alter_table("patrol_series_night", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_series_night_series_id"), ["series_id"], unique=False)

    op.create_table(
        "patrol_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("occurrence_date", sa.Date(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("start_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("min_volunteers", sa.Integer(), nullable=False),
        sa.Column("max_volunteers", sa.Integer(), nullable=False),
        sa.Column("min_team_leads", sa.Integer(), nullable=False),
        sa.Column("meeting_point", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("last_modified_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f("ck_patrol_shift_status_known")),
        sa.CheckConstraint("end_at >= start_at", name=op.f("ck_patrol_shift_ends_after_start")),
        sa.CheckConstraint("max_volunteers >= min_volunteers", name=op.f("ck_patrol_shift_max_not_below_min")),
        sa.CheckConstraint("min_volunteers >= 2", name=op.f("ck_patrol_shift_team_of_two")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["patrol_area.id"], name=op.f("fk_patrol_shift_area_id_patrol_area"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["patrol_series.id"],
            name=op.f("fk_patrol_shift_series_id_patrol_series"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_shift")),
        sa.UniqueConstraint("series_id", "occurrence_date", name=op.f("uq_patrol_shift_series_id_occurrence_date")),
    )
    with op.batch_alter_table("patrol_shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_shift_area_id"), ["area_id"], unique=False)
        batch_op.create_index("ix_patrol_shift_window", ["start_at", "end_at"], unique=False)

    op.create_table(
        "patrol_volunteer_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("completed_date", sa.Date(), nullable=False),
        sa.Column("expires_date", sa.Date(), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('dbs', 'induction', 'first_aid', 'wave')", name=op.f("ck_patrol_volunteer_record_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["patrol_volunteer.id"],
            name=op.f("fk_patrol_volunteer_record_volunteer_id_patrol_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_volunteer_record")),
    )
    with op.batch_alter_table("patrol_volunteer_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_volunteer_record_expires_date"), ["expires_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_volunteer_record_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "patrol_debrief",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["filed_by_id"],
            ["user_account.id"],
            name=op.f("fk_patrol_debrief_filed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["patrol_shift.id"], name=op.f("fk_patrol_debrief_shift_id_patrol_shift"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_debrief")),
        sa.UniqueConstraint("shift_id", name=op.f("uq_patrol_debrief_shift_id")),
    )
    op.create_table(
        "patrol_signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("waitlisted_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offered_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_in_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("no_show", sa.Boolean(), nullable=False),
        sa.Column("home_safe_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lone_worker_alerted_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feed_sequence", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'offered', 'cancelled', 'declined', 'expired')",
            name=op.f("ck_patrol_signup_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["user_account.id"],
            name=op.f("fk_patrol_signup_cancelled_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["patrol_shift.id"], name=op.f("fk_patrol_signup_shift_id_patrol_shift"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["patrol_volunteer.id"],
            name=op.f("fk_patrol_signup_volunteer_id_patrol_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_signup")),
        sa.UniqueConstraint("shift_id", "volunteer_id", name=op.f("uq_patrol_signup_shift_id_volunteer_id")),
    )
    with op.batch_alter_table("patrol_signup", schema=None) as batch_op:
        batch_op.create_index("ix_patrol_signup_shift_status", ["shift_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_signup_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "patrol_debrief_count",
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("gender", sa.String(length=14), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "gender IN ('woman', 'man', 'other', 'not_recorded')", name=op.f("ck_patrol_debrief_count_gender_known")
        ),
        sa.CheckConstraint(
            "kind IN ('welfare', 'escorted', 'first_aid', 'handed_over', 'phone_charged', 'water_flipflops', 'other')",
            name=op.f("ck_patrol_debrief_count_kind_known"),
        ),
        sa.CheckConstraint("people > 0", name=op.f("ck_patrol_debrief_count_people_positive")),
        sa.ForeignKeyConstraint(
            ["debrief_id"],
            ["patrol_debrief.id"],
            name=op.f("fk_patrol_debrief_count_debrief_id_patrol_debrief"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("debrief_id", "kind", "gender", name=op.f("pk_patrol_debrief_count")),
    )
    op.create_geospatial_table(
        "patrol_debrief_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["debrief_id"],
            ["patrol_debrief.id"],
            name=op.f("fk_patrol_debrief_incident_debrief_id_patrol_debrief"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_debrief_incident")),
    )
    with op.batch_alter_table("patrol_debrief_incident", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_patrol_debrief_incident_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_patrol_debrief_incident_debrief_id"), ["debrief_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patrol_debrief_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_debrief_incident_debrief_id"))
        batch_op.drop_geospatial_index("idx_patrol_debrief_incident_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("patrol_debrief_incident")
    op.drop_table("patrol_debrief_count")
    with op.batch_alter_table("patrol_signup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_signup_volunteer_id"))
        batch_op.drop_index("ix_patrol_signup_shift_status")

    op.drop_table("patrol_signup")
    op.drop_table("patrol_debrief")
    with op.batch_alter_table("patrol_volunteer_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_volunteer_record_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_volunteer_record_expires_date"))

    op.drop_table("patrol_volunteer_record")
    with op.batch_alter_table("patrol_shift", schema=None) as batch_op:
        batch_op.drop_index("ix_patrol_shift_window")
        batch_op.drop_index(batch_op.f("ix_patrol_shift_area_id"))

    op.drop_table("patrol_shift")
    with op.batch_alter_table("patrol_series_night", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_series_night_series_id"))

    op.drop_table("patrol_series_night")
    with op.batch_alter_table("patrol_volunteer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_volunteer_status"))

    op.drop_table("patrol_volunteer")
    with op.batch_alter_table("patrol_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_series_area_id"))

    op.drop_table("patrol_series")
    with op.batch_alter_table("patrol_area", schema=None) as batch_op:
        batch_op.drop_geospatial_index("idx_patrol_area_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("patrol_area")
