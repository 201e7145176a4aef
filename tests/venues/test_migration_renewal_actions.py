"""Migration 0017 keeps every stored row: a database built at the heads before it, with an old-style
venue (verified, with training and a failed spot check), is upgraded; the venue, its training and its
spot check are as they were, its staff count is unknown (asked for), and the new tables work; down
again, the venue rows are still there."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from nte.config import get_settings
from nte.db import engine_for
from nte.schema import alembic_config, downgrade, upgrade

REVISION = "0017_venue_renewal_actions"


def _url(backend, tmp_path, request) -> str:
    if backend == "spatialite":
        return f"sqlite:///{tmp_path / 'before-0017.sqlite'}"
    return request.getfixturevalue("pg_cluster").create_database("nte_before_0017")


def test_0017_keeps_venues_training_and_spot_checks(backend, tmp_path, request):
    engine = engine_for(_url(backend, tmp_path, request), get_settings().spatialite_library)
    script = ScriptDirectory.from_config(alembic_config())
    assert REVISION in script.get_heads()
    for head in [h for h in script.get_heads() if h != REVISION] + ["0011_venue_changes"]:
        upgrade(engine, head)
    when = datetime(2026, 3, 1, 21, tzinfo=UTC)
    with engine.begin() as conn:
        venue_id = conn.execute(
            sa.text(
                "INSERT INTO venue (name, name_key, venue_type, address, postcode, geom, ward_code, borough_code, "
                "contact_email, contact_phone, champion_name, champion_role, ask_for_angela, location_approximate, "
                "status, renewal_date, submitted_at, verified_at, is_example, created_at, updated_at) VALUES "
                "('Old Arms', 'old arms', 'pub', '1 Dean Street', 'W1D 3RB', "
                "ST_GeomFromText('POINT(-0.1337 51.5133)', 4326), 'E05013806', 'E09000033', 'm@example.org', "
                "'+442079460000', 'Sam', 'Manager', :yes, :no, 'verified', :renewal, :t, :t, :no, :t, :t) "
                "RETURNING id"
            ),
            {"yes": True, "no": False, "renewal": date(2027, 3, 1), "t": when},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO venue_training (venue_id, training_type, provider, training_date, staff_trained, "
                "created_at) VALUES (:v, 'wave', 'Council', :d, 3, :t)"
            ),
            {"v": venue_id, "d": date(2026, 2, 1), "t": when},
        )
        conn.execute(
            sa.text(
                "INSERT INTO venue_spot_check (venue_id, check_date, outcome, notes, created_at) "
                "VALUES (:v, :d, 'fail', 'Posters only', :t)"
            ),
            {"v": venue_id, "d": date(2026, 3, 1), "t": when},
        )
    upgrade(engine)

    def read(conn):
        return (
            conn.execute(sa.text("SELECT name, status, renewal_date FROM venue WHERE id = :v"), {"v": venue_id}).one(),
            conn.execute(sa.text("SELECT count(*) FROM venue_training WHERE venue_id = :v"), {"v": venue_id}).scalar(),
            conn.execute(
                sa.text("SELECT outcome, notes FROM venue_spot_check WHERE venue_id = :v"), {"v": venue_id}
            ).one(),
        )

    with engine.begin() as conn:
        venue, trainings, check = read(conn)
        assert (venue[0], venue[1], str(venue[2])[:10]) == ("Old Arms", "verified", "2027-03-01")
        assert trainings == 1 and tuple(check) == ("fail", "Posters only")
        assert conn.execute(sa.text("SELECT staff_count FROM venue WHERE id = :v"), {"v": venue_id}).scalar() is None
        check_id = conn.execute(
            sa.text("SELECT id FROM venue_spot_check WHERE venue_id = :v"), {"v": venue_id}
        ).scalar()
        conn.execute(
            sa.text(
                "INSERT INTO venue_action (venue_id, spot_check_id, findings, due_date, created_at) "
                "VALUES (:v, :c, 'Train the door staff', :d, :t)"
            ),
            {"v": venue_id, "c": check_id, "d": date(2026, 3, 29), "t": when},
        )
        conn.execute(
            sa.text(
                "INSERT INTO venue_renewal (venue_id, kind, from_status, new_starters, renewed_on, created_at) "
                "VALUES (:v, 'renew', 'verified', 2, :d, :t)"
            ),
            {"v": venue_id, "d": date(2027, 2, 1), "t": when},
        )
    downgrade(engine, "0011_venue_changes")
    with engine.begin() as conn:
        venue, trainings, check = read(conn)
        assert venue[0] == "Old Arms" and trainings == 1 and tuple(check) == ("fail", "Posters only")
    upgrade(engine)
    engine.dispose()
