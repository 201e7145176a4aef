"""Nearest (open) safe spaces: exact against a brute-force scan, through the spatial index on both
databases (KNN on PostGIS, KNN/SpatialIndex on SpatiaLite), never a full scan."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from nte.london import LONDON
from nte.safespaces import repository, service
from nte.safespaces.models import SafeSpace
from nte.spatial import distance_m, to_db
from tests.factories import make_safe_space, make_venue

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=LONDON)  # Saturday 02:00
CONFIRMED = date(2026, 11, 20)
OPEN_LATE = {"weekly": [["fri", "20:00", "04:00"], ["sat", "20:00", "04:00"]], "overrides": []}
DAYTIME = {"weekly": [[d, "09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")], "overrides": []}
# Westminster/Kensington, well inside the service area
BOX = (-0.20, 51.49, -0.12, 51.52)


def _bulk(db, n: int, *, seed: int = 1, open_share: float = 0.3, box=BOX) -> list[tuple[int, float, float, bool]]:
    """n spaces at random points in ``box``; a share open late on Friday/Saturday nights."""
    rng = random.Random(seed)
    drawn = []
    for i in range(n):
        lon, lat, is_open = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]), rng.random() < open_share
        drawn.append(
            (
                SafeSpace(
                    name=f"Bulk {i}",
                    kind="pharmacy",
                    geom=to_db(Point(lon, lat)),
                    hours=OPEN_LATE if is_open else DAYTIME,
                    hours_confirmed_date=CONFIRMED,
                    help_offered=[],
                    codewords=[],
                    languages=[],
                    status="verified",
                ),
                lon,
                lat,
                is_open,
            )
        )
    db.add_all([d[0] for d in drawn])
    db.flush()
    return [(space.id, lon, lat, is_open) for space, lon, lat, is_open in drawn]


def _brute(points, lon, lat, *, open_only, limit):
    ranked = sorted((distance_m(lon, lat, x, y), pid) for pid, x, y, is_open in points if is_open or not open_only)
    return [pid for _, pid in ranked[:limit]]


@pytest.mark.parametrize("open_only", [False, True])
def test_nearest_matches_a_brute_force_scan(db, open_only):
    points = _bulk(db, 300)
    rng = random.Random(7)
    for _ in range(10):
        lon, lat = rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
        result = service.find_nearest(db, lon=lon, lat=lat, at=NOW, open_only=open_only, limit=5, now=NOW)
        assert [s.id for s in result.spaces] == _brute(points, lon, lat, open_only=open_only, limit=5)
        distances = [s.distance_m for s in result.spaces]
        assert distances == sorted(distances)
        for s in result.spaces:
            assert s.distance_m == pytest.approx(distance_m(lon, lat, s.lon, s.lat), abs=0.01)
            if open_only:
                assert s.status.is_open and s.status.describe() == "open until 04:00"


def test_the_search_reads_a_few_rows_through_the_spatial_index(db, is_postgres, sql_count):
    _bulk(db, 2000, seed=3)
    with sql_count() as statements:
        result = service.find_nearest(db, lon=-0.16, lat=51.505, at=NOW, limit=5, now=NOW)
    assert len(result.spaces) == 5
    assert result.stats.rows_examined <= 200, result.stats  # of 2000: no full scan
    knn = [s for s in statements if "<->" in s or "SpatialIndex" in s]
    assert knn, statements
    if is_postgres:
        assert result.stats.methods == ["postgis-knn"]
        plan = "\n".join(
            r[0]
            for r in db.execute(
                sa.text(
                    "EXPLAIN SELECT id FROM safe_space WHERE geom IS NOT NULL "
                    "ORDER BY geom <-> ST_GeomFromText('POINT(-0.16 51.505)', 4326) LIMIT 16"
                )
            )
        )
        assert "Index Scan using idx_safe_space_geom" in plan, plan
    else:
        assert result.stats.methods == ["spatialite-rtree-rings"]
        plan = " | ".join(
            str(r[-1])
            for r in db.execute(
                sa.text(
                    "EXPLAIN QUERY PLAN SELECT rowid FROM safe_space WHERE rowid IN (SELECT rowid FROM SpatialIndex "
                    "WHERE f_table_name = 'safe_space' AND f_geometry_column = 'geom' "
                    "AND search_frame = BuildMbr(-0.161, 51.504, -0.159, 51.506, 4326))"
                )
            )
        )
        assert "SpatialIndex VIRTUAL TABLE INDEX" in plan and "safe_space USING INTEGER PRIMARY KEY" in plan, plan


def test_open_only_skips_spaces_surely_closed_at_that_hour_inside_the_index_scan(db):
    # 1,500 daytime-only spaces around the point and 3 open ones further out: the hour-of-week
    # prefilter leaves the daytime ones out inside the spatial index scan, so few rows are read.
    _bulk(db, 1500, seed=5, open_share=0.0, box=(-0.17, 51.50, -0.15, 51.51))
    far = [(-0.125, 51.515), (-0.20, 51.495), (-0.19, 51.52)]
    ids = []
    for i, (x, y) in enumerate(far):
        space = SafeSpace(
            name=f"Far {i}",
            kind="safe_haven",
            geom=to_db(Point(x, y)),
            hours=OPEN_LATE,
            hours_confirmed_date=CONFIRMED,
            help_offered=[],
            codewords=[],
            languages=[],
        )
        db.add(space)
        db.flush()
        ids.append(space.id)
    result = service.find_nearest(db, lon=-0.16, lat=51.505, at=NOW, open_only=True, limit=3, now=NOW)
    expected = sorted(ids, key=lambda i: distance_m(-0.16, 51.505, *far[ids.index(i)]))
    assert [s.id for s in result.spaces] == expected
    assert result.stats.rows_examined <= 50, result.stats  # the 3 open ones, read by a few rings; not 1,500
    # Without the open-only filter the daytime spaces are nearest, and listed as closed.
    everything = service.find_nearest(db, lon=-0.16, lat=51.505, at=NOW, limit=3, now=NOW)
    assert not any(s.status.is_open for s in everything.spaces)


def test_open_only_iterates_outwards_past_spaces_that_pass_the_prefilter_but_are_closed(db):
    # Open until 02:30 in the same hour of the week as the search (02:45): the prefilter keeps
    # them, the hours engine says closed, so the search goes outwards batch after batch.
    rng = random.Random(11)
    box = (-0.17, 51.50, -0.15, 51.51)
    for i in range(600):
        db.add(
            SafeSpace(
                name=f"Early {i}",
                kind="pharmacy",
                geom=to_db(Point(rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]))),
                hours={"weekly": [["fri", "20:00", "02:30"]], "overrides": []},
                hours_confirmed_date=CONFIRMED,
                help_offered=[],
                codewords=[],
                languages=[],
            )
        )
    late = SafeSpace(
        name="Late",
        kind="safe_haven",
        geom=to_db(Point(-0.125, 51.515)),
        hours=OPEN_LATE,
        hours_confirmed_date=CONFIRMED,
        help_offered=[],
        codewords=[],
        languages=[],
    )
    db.add(late)
    db.flush()
    at = NOW.replace(minute=45)
    result = service.find_nearest(db, lon=-0.16, lat=51.505, at=at, open_only=True, limit=1, now=at)
    assert [s.id for s in result.spaces] == [late.id]
    assert result.stats.queries >= 3


@pytest.mark.parametrize("seed", [1, 2])
def test_open_only_matches_the_hours_engine_at_any_instant(db, seed):
    # Mixed schedules (overnight, daytime, overrides, special hours, stale, unknown) and instants
    # across a week and both 2027 clock-change nights: the prefilter never changes the answer.
    from nte.safespaces.hours import Schedule, status_at

    rng = random.Random(seed)
    pool = [
        OPEN_LATE,
        DAYTIME,
        {
            "weekly": [[d, "00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")],
            "overrides": [["2027-03-28", "closed"]],
        },
        {"weekly": [["sat", "22:00", "03:00"], ["sun", "01:30", "02:30"]], "overrides": []},
        {"weekly": [["sun", "00:30", "01:30"]], "overrides": [["2027-10-31", [["00:00", "03:00"]]]]},
        {"weekly": [["tue", "23:59", "00:01"]], "overrides": [["2027-03-30", [["12:00", "13:00"]]]]},
        None,
    ]
    spaces = []
    for i in range(250):
        lon, lat = rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
        hours = rng.choice(pool)
        confirmed = rng.choice([date(2027, 3, 20), date(2026, 10, 1)]) if hours else None
        space = SafeSpace(
            name=f"Mixed {i}",
            kind="other",
            geom=to_db(Point(lon, lat)),
            hours=hours,
            hours_confirmed_date=confirmed,
            help_offered=[],
            codewords=[],
            languages=[],
        )
        db.add(space)
        spaces.append((space, lon, lat, Schedule.from_json(hours) if hours else None, confirmed))
    db.flush()
    instants = [
        datetime(2027, 3, 28, 0, 59, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 45, tzinfo=UTC),
        datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
        datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
        datetime(2027, 3, 30, 12, 30, tzinfo=LONDON),
        datetime(2027, 3, 30, 23, 59, 30, tzinfo=LONDON),
        datetime(2027, 4, 3, 2, 0, tzinfo=LONDON),
    ]
    for at in instants:
        lon, lat = rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
        result = service.find_nearest(db, lon=lon, lat=lat, at=at, open_only=True, limit=5, now=at)
        expected = sorted(
            (distance_m(lon, lat, x, y), space.id)
            for space, x, y, schedule, confirmed in spaces
            if schedule is not None and status_at(schedule, at, hours_confirmed_date=confirmed).is_open
        )
        assert [s.id for s in result.spaces] == [i for _, i in expected[:5]], at.isoformat()


def test_closed_when_unsure_and_reasons(db):
    fresh = make_safe_space(db, name="Fresh", opening_hours="Fr-Sa 20:00-04:00", now=datetime(2026, 11, 1, tzinfo=UTC))
    stale = make_safe_space(db, name="Stale", opening_hours="24/7", lon=-0.1338, now=datetime(2026, 8, 1, tzinfo=UTC))
    unknown = make_safe_space(db, name="Unknown", opening_hours="", lon=-0.1339)
    result = service.find_nearest(db, lon=-0.1337, lat=51.5136, at=NOW, limit=10, now=NOW)
    by_name = {s.name: s for s in result.spaces}
    assert by_name["Fresh"].status.is_open and by_name["Fresh"].status.describe() == "open until 04:00"
    assert not by_name["Stale"].status.is_open
    assert by_name["Stale"].status.unsure_reason == "hours not confirmed since 2026-08-01"
    assert by_name["Unknown"].status.unsure_reason == "opening hours not known"
    opened = service.find_nearest(db, lon=-0.1337, lat=51.5136, at=NOW, open_only=True, limit=10, now=NOW)
    assert [s.id for s in opened.spaces] == [fresh.id]
    assert {stale.id, unknown.id} <= {s.id for s in result.spaces}
    # At Saturday 12:00 the same place is closed and says when it opens.
    noon = service.find_nearest(
        db, lon=-0.1337, lat=51.5136, at=datetime(2026, 12, 5, 12, 0, tzinfo=LONDON), limit=10, now=NOW
    )
    assert {s.name: s for s in noon.spaces}["Fresh"].status.describe() == "opens at 20:00"


def test_withdrawn_spaces_are_never_offered(db, settings):
    from tests.factories import make_user

    space = make_safe_space(db, name="Going away")
    service.withdraw_space(db, space_id=space.id, actor=make_user(db), now=NOW, reason="closed down")
    result = service.find_nearest(db, lon=-0.1337, lat=51.5136, at=NOW, limit=20, now=NOW)
    assert space.id not in {s.id for s in result.spaces}


def test_a_charter_venue_that_is_a_safe_space_is_found_at_the_venue(db, settings):
    venue = make_venue(db, status="verified")
    linked = service.create_space(
        db,
        data={
            "venue_id": venue.id,
            "kind": "charter_venue",
            "opening_hours": "Fr-Sa 20:00-04:00",
            "phone": "020 7946 0999",
        },
        actor=None,
        settings=settings,
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert linked.name is None and linked.geom is None  # nothing duplicated
    lon, lat = repository.point_of(db, linked)
    result = service.find_nearest(db, lon=lon + 0.0005, lat=lat, at=NOW, limit=3, now=NOW)
    found = {s.id: s for s in result.spaces}
    assert linked.id in found and found[linked.id].name == venue.name
    assert found[linked.id].address == venue.address and found[linked.id].status.is_open
    assert found[linked.id].distance_m == pytest.approx(distance_m(lon + 0.0005, lat, lon, lat), abs=0.01)


def test_nothing_beyond_the_search_radius(db):
    make_safe_space(db)
    result = service.find_nearest(db, lon=-1.9, lat=52.48, at=NOW, limit=5, now=NOW)  # Birmingham
    assert result.spaces == []
