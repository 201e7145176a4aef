"""venues: status "changes_requested" (an officer sends a sign-up back with reasons, the manager
resubmits it), status up to 20 characters and the officer's reasons up to 2,000

Revision ID: 0011_venue_changes
Revises: 0010
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from alembic import op

from nte.spatial.ddl import change_check_and_types

revision = "0011_venue_changes"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_CHECK = "status IN ('submitted', 'verified', 'rejected', 'lapsed', 'withdrawn')"
NEW_CHECK = "status IN ('submitted', 'changes_requested', 'verified', 'rejected', 'lapsed', 'withdrawn')"


def upgrade() -> None:
    change_check_and_types(
        op.get_bind(),
        table="venue",
        check_name="ck_venue_status_known",
        old_check=OLD_CHECK,
        new_check=NEW_CHECK,
        types={"status": ("VARCHAR(12)", "VARCHAR(20)"), "status_reason": ("VARCHAR(500)", "VARCHAR(2000)")},
    )


def downgrade() -> None:
    # The old status set has no "changes requested": such a venue goes back to "rejected" with its
    # reasons (cut to the old 500 characters), the nearest state it had before this revision.
    op.execute("UPDATE venue SET status = 'rejected' WHERE status = 'changes_requested'")
    op.execute("UPDATE venue SET status_reason = substr(status_reason, 1, 500) WHERE length(status_reason) > 500")
    change_check_and_types(
        op.get_bind(),
        table="venue",
        check_name="ck_venue_status_known",
        old_check=NEW_CHECK,
        new_check=OLD_CHECK,
        types={"status": ("VARCHAR(20)", "VARCHAR(12)"), "status_reason": ("VARCHAR(2000)", "VARCHAR(500)")},
    )
