"""auth: invitations, one-time links that let new staff and volunteers set their own password

Revision ID: 0012
Revises: 0001
Create Date: 2026-12-01 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nte.db  # noqa: F401 - UTCDateTime

revision = "0012"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", nte.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'officer', 'coordinator', 'volunteer', 'venue_manager')",
            name=op.f("ck_auth_invitation_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_auth_invitation_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["user_account.id"],
            name=op.f("fk_auth_invitation_invited_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_invitation_token_hash")),
    )
    with op.batch_alter_table("auth_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_invitation_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_invitation_user_id"))
    op.drop_table("auth_invitation")
