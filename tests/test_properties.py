"""Hypothesis property tests for geometry and time inputs at and past their limits."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from nte.errors import Invalid
from nte.patrols.recurrence import ShiftSeriesSpec, materialise
from nte.safespaces.hours import Schedule, WeeklyInterval, status_at
from nte.wards.service import validate_point

FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-180.0, 180.0, -90.0, 90.0, -180.0000001, 180.0000001, 90.0000001, -0.0, 0.0]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=12),
    st.none(),
)


@FAST
@given(lon=any_float, lat=any_float)
def test_validate_point_accepts_exactly_the_finite_wgs84_range(lon, lat):
    def ok(value, limit):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        return math.isfinite(number) and -limit <= number <= limit

    if ok(lon, 180) and ok(lat, 90):
        assert validate_point(lon, lat) == (float(lon), float(lat))
    else:
        with pytest.raises(Invalid) as info:
            validate_point(lon, lat)
        assert info.value.field in ("lon", "lat")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(lon=any_float, lat=any_float)
def test_ward_lookup_never_500s(client, lon, lat):
    params = {k: v for k, v in (("lon", lon), ("lat", lat)) if v is not None}
    r = client.get("/api/wards/lookup", params={k: str(v) for k, v in params.items()})
    assert r.status_code in (200, 422)
    if r.status_code == 422:
        assert r.json()["field"] in ("lon", "lat", "location")


coords = st.tuples(st.floats(-0.3, 0.1), st.floats(51.4, 51.6))


@FAST
@given(ring=st.lists(coords, min_size=0, max_size=12))
def test_ward_import_repairs_or_names_any_polygon(db, ring):
    from nte.wards.exceptions import InvalidWardFile
    from nte.wards.service import import_wards

    feature = {
        "type": "Feature",
        "properties": {"code": "H1", "name": "Hypo"},
        "geometry": {"type": "Polygon", "coordinates": [[list(c) for c in ring + ring[:1]]]},
    }
    try:
        result = import_wards(
            db.begin_nested().session,
            parsed=_parse([feature]),
            name=f"hyp {id(ring)}-{len(ring)}",
            vintage=f"h{id(ring) % 10**9}-{len(ring)}",
            source="t",
            attribution="a",
            make_current=False,
        )
    except InvalidWardFile as exc:
        assert "H1" in exc.detail and exc.field == "geometry"
    else:
        assert result.count == 1
    finally:
        db.rollback()


def _parse(features):
    from nte.wards.geojson import parse_wards

    return parse_wards(
        {"type": "FeatureCollection", "features": features},
        code_property="code",
        name_property="name",
        borough_code_property=None,
        borough_name_property=None,
        borough_code="E09000001",
    )


def test_huge_multipolygon_ward_is_stored_and_found(db):
    from nte.wards import service as ward_service

    # 2,000 tiny squares (a ragged river-side ward): stored, valid, and looked up by point.
    squares = [
        Polygon([(x, y), (x + 0.0004, y), (x + 0.0004, y + 0.0004), (x, y + 0.0004)])
        for x in [-0.2 + i * 0.001 for i in range(50)]
        for y in [51.45 + j * 0.001 for j in range(40)]
    ]
    from shapely.geometry import MultiPolygon, mapping

    feature = {
        "type": "Feature",
        "properties": {"code": "BIG1", "name": "Big"},
        "geometry": mapping(MultiPolygon(squares)),
    }
    result = ward_service.import_wards(
        db, parsed=_parse([feature]), name="huge multipolygon", vintage="huge", source="t", attribution="a"
    )
    assert result.count == 1 and result.made_current == []
    index = ward_service.set_index(db, result.ward_set)
    assert index.codes[index.locate(-0.2 + 0.0002, 51.45 + 0.0002)] == "BIG1"
    assert index.locate(-0.2 + 0.0007, 51.45 + 0.0002) < 0  # between two squares


LONDON_DST_DAYS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 28),
    date(2027, 10, 31),
    date(2028, 2, 29),
    date(2024, 2, 29),
]


@FAST
@given(
    day=st.sampled_from(LONDON_DST_DAYS),
    minutes=st.integers(0, 48 * 60),
    start=st.integers(0, 23),
    length=st.integers(1, 12),
)
def test_hours_status_is_consistent_around_clock_changes_and_leap_days(day, minutes, start, length):
    schedule = Schedule(
        weekly=tuple(WeeklyInterval(day=d, start=start * 60, end=((start + length) % 24) * 60) for d in range(7))
    )
    at = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=12) + timedelta(minutes=minutes)
    status = status_at(schedule, at, hours_confirmed_date=day)
    if status.is_open:
        assert status.open_until is None or status.open_until > at
    else:
        assert status.opens_at is None or status.opens_at > at


@FAST
@given(day=st.sampled_from(LONDON_DST_DAYS), start_h=st.integers(18, 23), end_h=st.integers(0, 6))
def test_shift_durations_around_clock_changes_are_real_hours(day, start_h, end_h):
    spec = ShiftSeriesSpec(
        rrule="FREQ=DAILY", start_date=day - timedelta(days=2), start_time=time(start_h), end_time=time(end_h)
    )
    window_start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=UTC)
    shifts = materialise(spec, window_start=window_start, window_end=window_start + timedelta(days=3))
    nominal = timedelta(hours=(24 - start_h) + end_h)
    assert len(shifts) >= 3, f"{len(shifts)} nightly shifts in a 3-day window; there are at least 3"
    for shift in shifts:
        assert shift.end_at - shift.start_at == shift.duration
        assert abs(shift.duration - nominal) <= timedelta(hours=1)
