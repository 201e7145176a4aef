"""patrols + auth: volunteer applications (read by coordinators) and withdrawn invitations

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nte.db  # noqa: F401 - UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = ("0008",)  # the patrol tables


def upgrade() -> None:
    op.create_table(
        "patrol_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("about", sa.String(length=1000), nullable=False),
        sa.Column("dbs_consent_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["patrol_volunteer.id"],
            name=op.f("fk_patrol_application_volunteer_id_patrol_volunteer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_patrol_application_approved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_application")),
        sa.UniqueConstraint("volunteer_id", name=op.f("uq_patrol_application_volunteer_id")),
    )
    # A plain nullable column: SQLite adds it in place, no table copy.
    op.add_column("auth_invitation", sa.Column("withdrawn_at", nte.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_invitation", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
    op.drop_table("patrol_application")
