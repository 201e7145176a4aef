"""reports: indexes on when a report was created and moderated, so the reports' data version (the
ETag of /ogc/collections/reports, the officer map's cache key) is read from two indexes instead of
a scan of every report.

Revision ID: 0019_report_change_indexes
Revises: 0005
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0019_report_change_indexes"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_report_created_at", "report", ["created_at"])
    op.create_index("ix_report_moderated_at", "report", ["moderated_at"])


def downgrade() -> None:
    op.drop_index("ix_report_moderated_at", table_name="report")
    op.drop_index("ix_report_created_at", table_name="report")
