"""patrols: a debrief records each person supported once (gender, age band, kinds of help, hand-over)

Before this revision a debrief held kind x gender cells (``patrol_debrief_count``) and the reports
added them up as "people supported", so one person given water and a phone charge counted twice.
Those cells are actions. Every debrief stored before this revision keeps its cells unchanged and is
marked ``people_estimated``: its people are estimated from the cells, per gender the largest single
kind's count (a lower bound: the same person may be in several kinds' cells), see
``nte.patrols.service.estimate_people``. New debriefs record ``patrol_debrief_person`` rows.

Revision ID: 0016_patrol_people
Revises: 0008
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_patrol_people"
down_revision = "0008"
branch_labels = None
depends_on = None

# The lists as they are at this revision (a migration does not follow later code).
GENDERS = "('woman', 'man', 'other', 'not_recorded')"
AGE_BANDS = "('under_18', '18_24', '25_34', '35_49', '50_plus')"
HANDOVERS = "('police', 'ambulance', 'safe_space', 'friends_family', 'taxi_home', 'venue_staff')"
SUPPORT_KINDS = "('welfare', 'escorted', 'first_aid', 'handed_over', 'phone_charged', 'water_flipflops', 'other')"


def upgrade() -> None:
    op.add_column(
        "patrol_debrief", sa.Column("people_estimated", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # Every debrief filed so far has only kind x gender cells: its people count is an estimate.
    debrief = sa.table("patrol_debrief", sa.column("people_estimated", sa.Boolean()))
    op.execute(debrief.update().values(people_estimated=sa.true()))
    op.create_table(
        "patrol_debrief_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("gender", sa.String(length=14), nullable=False),
        sa.Column("age_band", sa.String(length=10), nullable=True),
        sa.Column("handover", sa.String(length=16), nullable=True),
        sa.CheckConstraint(f"gender IN {GENDERS}", name=op.f("ck_patrol_debrief_person_gender_known")),
        sa.CheckConstraint(f"age_band IN {AGE_BANDS}", name=op.f("ck_patrol_debrief_person_age_band_known")),
        sa.CheckConstraint(f"handover IN {HANDOVERS}", name=op.f("ck_patrol_debrief_person_handover_known")),
        sa.ForeignKeyConstraint(
            ["debrief_id"],
            ["patrol_debrief.id"],
            name=op.f("fk_patrol_debrief_person_debrief_id_patrol_debrief"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_debrief_person")),
        sa.UniqueConstraint("debrief_id", "position", name=op.f("uq_patrol_debrief_person_debrief_id_position")),
    )
    op.create_table(
        "patrol_debrief_person_kind",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.CheckConstraint(f"kind IN {SUPPORT_KINDS}", name=op.f("ck_patrol_debrief_person_kind_kind_known")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["patrol_debrief_person.id"],
            name=op.f("fk_patrol_debrief_person_kind_person_id_patrol_debrief_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "kind", name=op.f("pk_patrol_debrief_person_kind")),
    )


def downgrade() -> None:
    # Nothing filed is lost going down: each person's kinds of help become kind x gender cells again.
    op.execute(
        "INSERT INTO patrol_debrief_count (debrief_id, kind, gender, people) "
        "SELECT p.debrief_id, k.kind, p.gender, count(*) FROM patrol_debrief_person p "
        "JOIN patrol_debrief_person_kind k ON k.person_id = p.id GROUP BY p.debrief_id, k.kind, p.gender"
    )
    op.drop_table("patrol_debrief_person_kind")
    op.drop_table("patrol_debrief_person")
    # Plain ALTER TABLE (SQLite 3.35+ too), as in 0007.
    op.execute("ALTER TABLE patrol_debrief DROP COLUMN people_estimated")
