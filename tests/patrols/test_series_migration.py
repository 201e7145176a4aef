"""Migration 0018 keeps every series, night, shift and sign-up made before it, and a series stored
then can be changed from a date in place afterwards (its old rule kept in the new table)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.orm import sessionmaker

from nte.config import get_settings
from nte.db import UTCDateTime, engine_for
from nte.patrols import service as patrols
from nte.patrols.models import SeriesNight, Shift, ShiftSeries
from nte.schema import alembic_config, upgrade

HEAD = "0018_patrol_series_lifecycle"
TYPES = {
    "st": sa.Time(),
    "et": sa.Time(),
    "d": sa.Date(),
    "t": UTCDateTime(),
    "start": UTCDateTime(),
    "end": UTCDateTime(),
}


def _sql(text: str) -> sa.TextClause:
    """Raw SQL with its parameters typed as the models type them (times, dates, UTC instants)."""
    return sa.text(text).bindparams(
        *(sa.bindparam(name, type_=kind) for name, kind in TYPES.items() if re.search(rf":{name}\b", text))
    )


SQUARE = "POLYGON((-0.135 51.512, -0.130 51.512, -0.130 51.515, -0.135 51.515, -0.135 51.512))"


def _fresh_url(backend, tmp_path, request) -> str:
    if backend == "spatialite":
        return f"sqlite:///{tmp_path / 'before-series-rules.sqlite'}"
    return request.getfixturevalue("pg_cluster").create_database("nte_before_series_rules")


def test_a_database_from_before_series_rules_keeps_its_series_and_nights(backend, tmp_path, request):
    engine = engine_for(_fresh_url(backend, tmp_path, request), get_settings().spatialite_library)
    script = ScriptDirectory.from_config(alembic_config())
    before = [h for h in script.get_heads() if h != HEAD]
    assert len(before) == len(script.get_heads()) - 1, "0018 is a head"
    for head in before:
        upgrade(engine, head)
    when = datetime(2027, 1, 4, 12, tzinfo=UTC)
    with engine.begin() as conn:
        area_id = conn.execute(
            _sql(
                "INSERT INTO patrol_area (name, area_km2, geom, created_at, updated_at) "
                "VALUES ('Old Soho', 0.2, ST_GeomFromText(:wkt, 4326), :t, :t) RETURNING id"
            ),
            {"wkt": SQUARE, "t": when},
        ).scalar_one()
        series_id = conn.execute(
            _sql(
                "INSERT INTO patrol_series (area_id, name, rrule, start_date, start_time, end_time, tz, "
                "min_volunteers, max_volunteers, min_team_leads, is_active, created_at, updated_at) VALUES "
                "(:a, 'Old Fridays', 'FREQ=WEEKLY;BYDAY=FR', :d, :st, :et, 'Europe/London', 2, 6, 0, :yes, :t, :t) "
                "RETURNING id"
            ),
            {"a": area_id, "d": date(2027, 1, 8), "st": time(22), "et": time(3), "yes": True, "t": when},
        ).scalar_one()
        conn.execute(
            _sql("INSERT INTO patrol_series_night (series_id, occurrence_date, cancelled) VALUES (:s, :d, :yes)"),
            {"s": series_id, "d": date(2027, 1, 15), "yes": True},
        )
        for k, status in enumerate(("scheduled", "cancelled", "scheduled")):
            start = datetime(2027, 1, 8, 22, tzinfo=UTC) + timedelta(weeks=k)
            conn.execute(
                _sql(
                    "INSERT INTO patrol_shift (series_id, occurrence_date, area_id, start_at, end_at, "
                    "min_volunteers, max_volunteers, min_team_leads, status, sequence, places_taken, "
                    "last_modified_at, created_at) VALUES (:s, :d, :a, :start, :end, 2, 6, 0, :status, :seq, 0, :t, :t)"
                ),
                {
                    "s": series_id,
                    "d": start.date(),
                    "a": area_id,
                    "start": start,
                    "end": start + timedelta(hours=5),
                    "status": status,
                    "seq": 1 if status == "cancelled" else 0,
                    "t": when,
                },
            )
    upgrade(engine)  # 0018 and anything after
    with sessionmaker(bind=engine).begin() as session:
        series = session.get(ShiftSeries, series_id)
        assert series is not None and series.rrule == "FREQ=WEEKLY;BYDAY=FR"
        shifts = list(session.scalars(sa.select(Shift).where(Shift.series_id == series_id).order_by(Shift.start_at)))
        assert [s.status for s in shifts] == ["scheduled", "cancelled", "scheduled"]
        assert [n.occurrence_date for n in session.scalars(sa.select(SeriesNight))] == [date(2027, 1, 15)]
        assert patrols.earlier_rules(session, series) == []
        # A rule stored then still says the same nights: materialising changes none of them.
        patrols.materialise_series(session, series, now=when)
        assert [s.status for s in shifts] == ["scheduled", "cancelled", "scheduled"]
        assert [s.sequence for s in shifts] == [0, 1, 0]
    engine.dispose()
