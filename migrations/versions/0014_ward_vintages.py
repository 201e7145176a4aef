"""wards: every vintage kept, the current one chosen per borough, every located record assigned
to a ward in every vintage

* ``ward_set.vintage`` (the key ``vintage=`` takes: "2013-12" from the vintage date) and ``version``;
* ``ward_current``: per borough, the set that is current (filled from the set that was active);
* ``ward_assignment``: per record and set, its ward (filled from the ward each report and venue
  got at intake in the active set; other vintages are filled by ``main.py wards assign``).

Revision ID: 0014_ward_vintages
Revises: 0001
Create Date: 2026-12-01 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nte.db

revision = "0014_ward_vintages"
down_revision = "0001"
branch_labels = None
depends_on = ("0005", "0002")  # report and venue, whose stored wards become the first assignments


def upgrade() -> None:
    op.add_column("ward_set", sa.Column("vintage", sa.String(length=20), nullable=False, server_default=""))
    op.add_column("ward_set", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    bind = op.get_bind()
    for set_id, when in bind.execute(sa.text("SELECT id, vintage_date FROM ward_set ORDER BY id")):
        key = str(when)[:7] if when is not None else f"set-{set_id}"
        if bind.execute(sa.text("SELECT count(*) FROM ward_set WHERE vintage = :v"), {"v": key}).scalar():
            key = f"{key}-{set_id}"
        bind.execute(sa.text("UPDATE ward_set SET vintage = :v WHERE id = :id"), {"v": key, "id": set_id})
    op.create_index("ix_ward_set_vintage", "ward_set", ["vintage"], unique=True)

    op.create_table(
        "ward_current",
        sa.Column("borough_code", sa.String(length=20), nullable=False),
        sa.Column("ward_set_id", sa.Integer(), nullable=False),
        sa.Column("since", nte.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_set_id"], ["ward_set.id"], name=op.f("fk_ward_current_ward_set_id_ward_set"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("borough_code", name=op.f("pk_ward_current")),
    )
    op.create_index(op.f("ix_ward_current_ward_set_id"), "ward_current", ["ward_set_id"], unique=False)
    op.create_table(
        "ward_assignment",
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("ward_set_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ward_code", sa.String(length=20), nullable=True),
        sa.Column("borough_code", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["ward_set_id"], ["ward_set.id"], name=op.f("fk_ward_assignment_ward_set_id_ward_set"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("subject", "ward_set_id", "subject_id", name=op.f("pk_ward_assignment")),
    )
    # The set that was active is current in every borough it holds; what was stored at intake is its assignment.
    active = bind.execute(sa.text("SELECT max(id) FROM ward_set WHERE is_active")).scalar()
    if active is not None:
        bind.execute(
            sa.text(
                "INSERT INTO ward_current (borough_code, ward_set_id, since) "
                "SELECT DISTINCT borough_code, :s, :now FROM ward WHERE ward_set_id = :s"
            ),
            {"s": active, "now": nte.db.utcnow()},
        )
        for subject, table in (("report", "report"), ("venue", "venue")):
            bind.execute(
                sa.text(
                    "INSERT INTO ward_assignment (subject, ward_set_id, subject_id, ward_code, borough_code) "  # noqa: S608 - fixed names
                    f"SELECT :subject, :s, t.id, t.ward_code, t.borough_code FROM {table} t "
                    "WHERE EXISTS (SELECT 1 FROM ward w WHERE w.ward_set_id = :s AND w.code = t.ward_code)"
                ),
                {"subject": subject, "s": active},
            )


def downgrade() -> None:
    op.drop_table("ward_assignment")
    op.drop_index(op.f("ix_ward_current_ward_set_id"), table_name="ward_current")
    op.drop_table("ward_current")
    op.drop_index("ix_ward_set_vintage", table_name="ward_set")
    # ALTER TABLE ... DROP COLUMN on both (SQLite >= 3.35): a batch copy of ward_set would cascade to its wards.
    op.execute("ALTER TABLE ward_set DROP COLUMN version")
    op.execute("ALTER TABLE ward_set DROP COLUMN vintage")
