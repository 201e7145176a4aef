"""Migration 0014 keeps a database made before vintages working: its one active ward set becomes
current in each of its boroughs, gets a vintage key, and every report's stored ward becomes its
assignment in that set, so the figures are as they were."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.orm import sessionmaker

from nte.config import get_settings
from nte.db import engine_for
from nte.maps import statistics as stats_service
from nte.maps.filters import parse_filter
from nte.schema import alembic_config, upgrade
from nte.wards import service as ward_service
from nte.wards.shipped import DECEMBER_2013

CITY = "E09000001"


def _fresh_url(backend, tmp_path, request) -> str:
    if backend == "spatialite":
        return f"sqlite:///{tmp_path / 'before-vintages.sqlite'}"
    return request.getfixturevalue("pg_cluster").create_database("nte_before_vintages")


def test_a_database_from_before_vintages_keeps_its_wards_and_figures(backend, tmp_path, request):
    engine = engine_for(_fresh_url(backend, tmp_path, request), get_settings().spatialite_library)
    script = ScriptDirectory.from_config(alembic_config())
    before = [h for h in script.get_heads() if h != "0014_ward_vintages"]
    assert len(before) == len(script.get_heads()) - 1, "0014 is a head"
    for head in before:
        upgrade(engine, head)
    city = [f for f in json.loads(DECEMBER_2013.path.read_text())["features"] if f["properties"]["LAD13CD"] == CITY]
    when = datetime(2016, 6, 10, 22, tzinfo=UTC)
    with engine.begin() as conn:
        set_id = conn.execute(
            sa.text(
                "INSERT INTO ward_set (name, vintage_date, source, attribution, imported_at, is_active) "
                "VALUES ('December 2013', :d, 'old', 'OGL', :now, :yes) RETURNING id"
            ),
            {"d": date(2013, 12, 1), "now": when, "yes": True},
        ).scalar_one()
        for f in city:
            p = f["properties"]
            conn.execute(
                sa.text(
                    "INSERT INTO ward (ward_set_id, code, name, borough_code, borough_name, area_km2, geom) "
                    "VALUES (:s, :code, :name, :b, 'City of London', 0.1, "
                    "ST_Multi(ST_GeomFromText(:wkt, 4326)))"
                ),
                {"s": set_id, "code": p["WD13CD"], "name": p["WD13NM"], "b": CITY, "wkt": _wkt(f["geometry"])},
            )
        # A report stored then, with the ward it got at intake (Bishopsgate, near Liverpool Street).
        conn.execute(
            sa.text(
                "INSERT INTO report (source, status, occurred_at, time_precision, received_hour, "
                "location_precision, geom, easting, northing, ward_code, borough_code, main_category, "
                "flagged_near_duplicate, created_at) VALUES ('public', 'accepted', :t, 'exact', :t, 'exact', "
                "ST_GeomFromText('POINT(-0.0810 51.5170)', 4326), 533000, 181500, :ward, :b, "
                "'verbal_harassment', :no, :t)"
            ),
            {"t": when, "ward": _ward_at(city, -0.0810, 51.5170), "b": CITY, "no": False},
        )
    upgrade(engine)  # 0014 and anything after
    settings = get_settings().model_copy(update={"boroughs": [CITY]})
    with sessionmaker(bind=engine).begin() as session:
        (only,) = ward_service.vintages(session)
        assert only.vintage == "2013-12" and only.version == 1 and only.is_active
        where = ward_service.placement(session, settings=settings)
        assert where.by_set == ((only.id, (CITY,)),)
        flt = parse_filter(now=when, date_from="2016-06-01", date_to="2016-06-30", boroughs=[CITY])
        stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
        assert stats.total == 1 and len(stats.rows) == 25
        assert stats_service.ward_assignment_mismatches(session, settings=settings) == []
        # The shipped May 2022 wards can be loaded beside it: current in the boroughs that had no
        # wards, while the City stays on the set it had.
        from nte.wards.shipped import import_shipped_wards

        loaded = import_shipped_wards(session)
        assert [r.ward_set.vintage for r in loaded] == ["2022-05"]
        assert CITY not in loaded[0].made_current and len(loaded[0].made_current) == 5
        assert ward_service.placement(session, settings=settings).by_set == ((only.id, (CITY,)),)
    engine.dispose()


def _wkt(geometry: dict) -> str:
    from shapely.geometry import shape

    return shape(geometry).wkt


def _ward_at(features: list[dict], lon: float, lat: float) -> str:
    from shapely.geometry import Point, shape

    return next(f["properties"]["WD13CD"] for f in features if shape(f["geometry"]).covers(Point(lon, lat)))
