"""foundation: accounts, audit, outbox, scheduler runs, wards

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:23:21.368922
"""

from __future__ import annotations

import geoalchemy2  # noqa: F401 - registers the geospatial Alembic operations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

import nte.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_notification_outbox_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_outbox_dedupe_key")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_outbox_status"), ["status"], unique=False)

    op.create_table(
        "scheduler_job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=80), nullable=False),
        sa.Column("scheduled_for", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("result", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_job_run")),
        sa.UniqueConstraint("job_id", "scheduled_for", name=op.f("uq_scheduler_job_run_job_id_scheduled_for")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("email_confirmed_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("last_failed_login_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'officer', 'coordinator', 'volunteer', 'venue_manager')",
            name=op.f("ck_user_account_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_table(
        "ward_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("vintage_date", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("imported_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_set")),
        sa.UniqueConstraint("name", name=op.f("uq_ward_set_name")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["user_account.id"],
            name=op.f("fk_audit_event_actor_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)

    op.create_table(
        "auth_email_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_auth_email_token_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_email_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_email_token_token_hash")),
    )
    with op.batch_alter_table("auth_email_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_email_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_auth_session_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_session_token_hash")),
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_auth_token_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_token_token_hash")),
    )
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_token_user_id"), ["user_id"], unique=False)

    op.create_geospatial_table(
        "ward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward_set_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("borough_code", sa.String(length=20), nullable=False),
        sa.Column("borough_name", sa.String(length=120), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("area_km2", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_set_id"], ["ward_set.id"], name=op.f("fk_ward_ward_set_id_ward_set"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward")),
        sa.UniqueConstraint("ward_set_id", "code", name=op.f("uq_ward_ward_set_id_code")),
    )
    with op.batch_alter_table("ward", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_ward_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index(batch_op.f("ix_ward_borough_code"), ["borough_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_ward_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_ward_ward_set_id"), ["ward_set_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ward", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ward_ward_set_id"))
        batch_op.drop_index(batch_op.f("ix_ward_code"))
        batch_op.drop_index(batch_op.f("ix_ward_borough_code"))
        batch_op.drop_geospatial_index("idx_ward_geom", postgresql_using="gist", column_name="geom")

    op.drop_geospatial_table("ward")
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_token_user_id"))

    op.drop_table("auth_token")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_session_user_id"))

    op.drop_table("auth_session")
    with op.batch_alter_table("auth_email_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_email_token_user_id"))

    op.drop_table("auth_email_token")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    op.drop_table("ward_set")
    op.drop_table("user_account")
    op.drop_table("scheduler_job_run")
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_status"))

    op.drop_table("notification_outbox")
