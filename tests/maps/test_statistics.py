"""Ward statistics: filters (dates, categories, days, overnight hour bands across clock changes,
source, status), rates, shares, ranks, change, trend; ward assignment at borough edges; caching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import shapely
from shapely.geometry import LineString

from nte.maps import repository as repo
from nte.maps import statistics as stats_service
from nte.maps.exceptions import InvalidMapFilter
from nte.maps.filters import MapFilter, parse_filter
from nte.spatial import from_db
from nte.wards import service as ward_service
from nte.wards.models import WardAssignment
from tests.factories import make_map_report

SOHO = (-0.1337, 51.5136)
COVENT_GARDEN = (-0.1235, 51.5115)
HACKNEY = (-0.0553, 51.5450)
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def flt(**kw) -> MapFilter:
    return parse_filter(
        now=NOW, boroughs=["E09000033", "E09000012", "E09000020", "E09000013", "E09000032", "E09000001"], **kw
    )


def at(y, m, d, h=12, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def counts(db, settings, f):
    return {r.code: r.count for r in stats_service.ward_statistics(db, flt=f, settings=settings).rows if r.count}


def test_counts_rates_shares_ranks_change_and_trend(db, settings):
    for day in (3, 4, 5):
        make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 10, day))
    make_map_report(db, lon=COVENT_GARDEN[0], lat=COVENT_GARDEN[1], occurred_at=at(2026, 10, 20))
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 9, 10))  # previous period
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 10, 6), status="spam")
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 10, 7), status="duplicate")
    make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=at(2026, 10, 8), status="new")

    result = stats_service.ward_statistics(db, flt=flt(date_from="2026-10-01", date_to="2026-10-31"), settings=settings)
    soho = result.row(ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings).code)
    cg = result.row(ward_service.locate(db, lon=COVENT_GARDEN[0], lat=COVENT_GARDEN[1], settings=settings).code)
    assert soho is not None and cg is not None and soho.code != cg.code
    assert soho.count == 3  # spam never, duplicate not by default
    assert cg.count == 1
    assert soho.rank == 1 and cg.rank == 2
    westminster_total = result.borough_totals["E09000033"]
    assert westminster_total == 4
    assert soho.share_pct == 75.0 and cg.share_pct == 25.0
    assert soho.rate_per_km2 == pytest.approx(3 / soho.area_km2, abs=0.01)
    assert soho.previous == 1 and soho.change == 2 and soho.change_pct == 200.0
    assert result.months == ["2026-10"] and soho.trend == [3]
    assert result.total == 5  # the Hackney 'new' report counts by default
    # Other wards of the borough share rank 3 (competition ranking of ties).
    others = [r for r in result.rows if r.borough_code == "E09000033" and r.count == 0]
    assert others and {r.rank for r in others} == {3}
    with_dupes = flt(date_from="2026-10-01", date_to="2026-10-31", status="accepted,duplicate")
    assert counts(db, settings, with_dupes)[soho.code] == 4


def test_spam_cannot_be_requested():
    with pytest.raises(InvalidMapFilter) as info:
        flt(status="spam")
    assert info.value.field == "status"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"date_from": "2026-13-01"}, "from"),
        ({"date_from": "2026-10-02", "date_to": "2026-10-01"}, "to"),
        ({"hours": "25-06"}, "hours"),
        ({"hours": "6-6"}, "hours"),
        ({"hours": "evening"}, "hours"),
        ({"day": "8"}, "day"),
        ({"source": "twitter"}, "source"),
        ({"category": "<script>"}, "category"),
        ({"borough": "E09999999"}, "borough"),
        ({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "from"),
    ],
)
def test_bad_filters_name_the_field(kwargs, field):
    with pytest.raises(InvalidMapFilter) as info:
        flt(**kwargs)
    assert info.value.field == field


def test_overnight_hour_band_in_london_time_across_clock_changes(db, settings):
    p = SOHO
    # 2026-07-10 22:30 UTC = 23:30 BST (in 18-06); 2026-01-15 05:30 UTC = 05:30 GMT (in); 12:00 (out).
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 7, 10, 22, 30))
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 1, 15, 5, 30))
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 1, 15, 12, 0))
    # 17:30 UTC in July is 18:30 BST: in the band although 17 UTC is not.
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 7, 11, 17, 30))
    # 05:30 UTC in July is 06:30 BST: out of the band although 05 UTC is in it.
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 7, 12, 5, 30))
    code = ward_service.locate(db, lon=p[0], lat=p[1], settings=settings).code
    night = flt(date_from="2026-01-01", date_to="2026-10-31", hours="18:00-06:00")
    assert counts(db, settings, night)[code] == 3
    day = flt(date_from="2026-01-01", date_to="2026-10-31", hours="06-18")
    assert counts(db, settings, day)[code] == 2


def test_hours_and_days_at_the_spring_and_autumn_changes(db, settings):
    p = SOHO
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 3, 29, 0, 30))  # 00:30 GMT Sunday
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 3, 29, 1, 30))  # 02:30 BST Sunday
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 10, 25, 0, 30))  # 01:30 BST
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 10, 25, 1, 30))  # 01:30 GMT
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 10, 24, 23, 30))  # Sun 00:30 BST, Sat in UTC
    code = ward_service.locate(db, lon=p[0], lat=p[1], settings=settings).code
    span = {"date_from": "2026-03-01", "date_to": "2026-10-31"}
    assert counts(db, settings, flt(**span, hours="02-03"))[code] == 1
    assert counts(db, settings, flt(**span, hours="01-02"))[code] == 2
    assert counts(db, settings, flt(**span, hours="00-01"))[code] == 2
    assert counts(db, settings, flt(**span, day="sun"))[code] == 5
    assert counts(db, settings, flt(**span, day="6")).get(code, 0) == 0


def test_local_month_boundaries_for_range_and_trend(db, settings):
    p = SOHO
    # 2026-06-30 23:30 UTC is 1 July 00:30 in London: a July report.
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 6, 30, 23, 30))
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 6, 30, 22, 30))  # 23:30 BST: June
    code = ward_service.locate(db, lon=p[0], lat=p[1], settings=settings).code
    result = stats_service.ward_statistics(db, flt=flt(date_from="2026-06-01", date_to="2026-07-31"), settings=settings)
    assert result.row(code).trend == [1, 1]
    assert counts(db, settings, flt(date_from="2026-07-01", date_to="2026-07-31"))[code] == 1


def test_month_precision_records_are_left_out_of_time_of_day_filters_with_a_note(db, settings):
    p = SOHO
    make_map_report(
        db,
        lon=p[0],
        lat=p[1],
        occurred_at=at(2026, 9, 30, 23),
        time_precision="month",
        source="police",
        location_precision="exact",
    )
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 10, 2, 21))
    code = ward_service.locate(db, lon=p[0], lat=p[1], settings=settings).code
    month = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    assert counts(db, settings, flt(**month))[code] == 2
    result = stats_service.ward_statistics(db, flt=flt(**month, hours="18-06"), settings=settings)
    assert result.row(code).count == 1
    assert any("known only to the month" in note for note in result.notes)
    assert counts(db, settings, flt(**month, source="police"))[code] == 1
    assert counts(db, settings, flt(**month, source="public"))[code] == 1


def test_categories_match_any_category_of_a_report(db, settings):
    p = SOHO
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 10, 2), categories=["spiking", "following"])
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 10, 3), categories=["following"])
    make_map_report(db, lon=p[0], lat=p[1], occurred_at=at(2026, 10, 4), categories=["verbal_harassment"])
    code = ward_service.locate(db, lon=p[0], lat=p[1], settings=settings).code
    month = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    assert counts(db, settings, flt(**month, category="following"))[code] == 2
    assert counts(db, settings, flt(**month, category="spiking"))[code] == 1
    assert counts(db, settings, flt(**month, category="spiking,verbal_harassment"))[code] == 2


def _borough_edge(db, settings, a: str, b: str):
    """A point on the boundary shared by boroughs a and b, and the normal to step off it."""
    wards_a = ward_service.served_wards(db, settings=settings, borough=a)
    wards_b = ward_service.served_wards(db, settings=settings, borough=b)
    union_a = shapely.union_all([from_db(w.geom) for w in wards_a])
    union_b = shapely.union_all([from_db(w.geom) for w in wards_b])
    shared = shapely.line_merge(union_a.boundary.intersection(union_b.boundary))
    lines = [g for g in getattr(shared, "geoms", [shared]) if isinstance(g, LineString)]
    line = max(lines, key=lambda g: g.length)
    mid = line.interpolate(0.5, normalized=True)
    before, after = line.interpolate(0.49, normalized=True), line.interpolate(0.51, normalized=True)
    dx, dy = after.x - before.x, after.y - before.y
    norm = (dx * dx + dy * dy) ** 0.5
    return mid, (-dy / norm, dx / norm), union_a, union_b


def test_ward_assignment_at_a_borough_edge_counts_each_report_once_in_its_stored_ward(db, settings):
    mid, (nx, ny), union_a, union_b = _borough_edge(db, settings, "E09000033", "E09000020")
    step = 2e-5  # about 1.5 m
    placed = {}
    for sign in (1, -1):
        lon, lat = mid.x + sign * nx * step, mid.y + sign * ny * step
        report = make_map_report(db, lon=lon, lat=lat, occurred_at=at(2026, 10, 2))
        placed[report.borough_code] = report
    assert set(placed) == {"E09000033", "E09000020"}
    on_edge = make_map_report(db, lon=mid.x, lat=mid.y, occurred_at=at(2026, 10, 3))
    result = stats_service.ward_statistics(db, flt=flt(date_from="2026-10-01", date_to="2026-10-31"), settings=settings)
    assert result.total == 3  # the point on the edge is counted once, in the ward stored for it
    for report in (*placed.values(), on_edge):
        assert result.row(report.ward_code).count >= 1
    assert result.borough_totals["E09000033"] + result.borough_totals["E09000020"] == 3
    # The assigned wards agree with the geometry, in both vintages; a wrong assignment is found.
    for vintage in (None, "2013-12"):
        assert stats_service.ward_assignment_mismatches(db, settings=settings, vintage=vintage) == []
    wrong = placed["E09000033"]
    right_code = wrong.ward_code
    current = ward_service.placement(db, settings=settings).by_set[0][0]
    row = db.get(WardAssignment, ("report", current, wrong.id))
    row.ward_code = placed["E09000020"].ward_code
    db.flush()
    mismatches = stats_service.ward_assignment_mismatches(db, settings=settings)
    assert [(m[0], m[2]) for m in mismatches] == [(wrong.id, right_code)]
    assert stats_service.ward_assignment_mismatches(db, settings=settings, vintage="2013-12") == []


def test_hotspots_find_a_cluster(db, settings):
    import random

    rng = random.Random(7)
    for i in range(60):
        make_map_report(
            db,
            lon=SOHO[0] + rng.uniform(-0.0015, 0.0015),
            lat=SOHO[1] + rng.uniform(-0.001, 0.001),
            occurred_at=at(2026, 10, 1 + i % 28),
        )
    for i in range(40):
        make_map_report(
            db, lon=rng.uniform(-0.18, -0.13), lat=rng.uniform(51.495, 51.515), occurred_at=at(2026, 10, 1 + i % 28)
        )
    f = flt(date_from="2026-10-01", date_to="2026-10-31", borough="E09000033")
    result = stats_service.hotspots(db, flt=f, settings=settings, cell_size=250)
    assert result.count.sum() >= 60
    hottest = int(result.z.argmax())
    from nte.maps.grid import points_to_bng

    x, y = points_to_bng([SOHO[0]], [SOHO[1]])
    assert abs((result.ix[hottest] + 0.5) * 250 - x[0]) < 600 and abs((result.iy[hottest] + 0.5) * 250 - y[0]) < 600
    assert result.bin[hottest] == 3


def test_officer_map_cached_per_filter_and_rebuilt_when_reports_change(db, settings):
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 10, 2))
    f = flt(date_from="2026-10-01", date_to="2026-10-31")
    first, hit = stats_service.officer_map(db, flt=f, settings=settings, now=NOW)
    assert not hit and first["total"] == 1
    again, hit = stats_service.officer_map(db, flt=f, settings=settings, now=NOW)
    assert hit and again == first
    other, hit = stats_service.officer_map(
        db, flt=flt(date_from="2026-10-01", date_to="2026-10-30"), settings=settings, now=NOW
    )
    assert not hit
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 10, 3))
    rebuilt, hit = stats_service.officer_map(db, flt=f, settings=settings, now=NOW)
    assert not hit and rebuilt["total"] == 2
    report = make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 10, 4), status="new")
    stats_service.officer_map(db, flt=f, settings=settings, now=NOW)
    report.status, report.moderated_at = "spam", NOW
    db.flush()
    after_moderation, hit = stats_service.officer_map(db, flt=f, settings=settings, now=NOW)
    assert not hit and after_moderation["total"] == 2
    assert len(repo.list_cache(db, kind="officer")) == 2


def test_csv_neutralises_formulas():
    assert stats_service.neutralise_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert stats_service.neutralise_cell("@SUM(A1)") == "'@SUM(A1)"
    assert stats_service.neutralise_cell("-2+3") == "'-2+3"
    assert stats_service.neutralise_cell("Soho") == "Soho"
    assert stats_service.neutralise_cell(-3) == -3


def test_previous_period_has_equal_length():
    f = MapFilter(date(2026, 10, 1), date(2026, 10, 31))
    p = f.previous()
    assert p.date_to == date(2026, 9, 30) and p.n_days == f.n_days and p.date_from == date(2026, 8, 31)
    assert f.start_utc == datetime(2026, 9, 30, 23, tzinfo=UTC)  # London midnight in BST
    assert f.end_utc == datetime(2026, 11, 1, 0, tzinfo=UTC)
    assert f.end_utc - f.start_utc == timedelta(days=31, hours=1)


def test_locations_are_distinct_points_with_counts_read_as_arrays(db, settings):
    f = flt(date_from="2026-10-01", date_to="2026-10-31")
    placement = stats_service.placement_for(db, f, settings).by_set
    assert repo.locations_bng(db, flt=f, placement=placement).shape == (0, 3)
    for _ in range(3):
        make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=at(2026, 10, 2))
    make_map_report(db, lon=COVENT_GARDEN[0], lat=COVENT_GARDEN[1], occurred_at=at(2026, 10, 2))
    make_map_report(db, lon=COVENT_GARDEN[0], lat=COVENT_GARDEN[1], occurred_at=at(2026, 10, 2), status="spam")
    arr = repo.locations_bng(db, flt=f, placement=placement)
    assert arr.shape == (2, 3) and sorted(arr[:, 2].tolist()) == [1.0, 3.0]
    from nte.maps.grid import points_to_bng

    x, y = points_to_bng([SOHO[0]], [SOHO[1]])
    soho = arr[arr[:, 2] == 3][0]
    assert soho[0] == pytest.approx(x[0]) and soho[1] == pytest.approx(y[0])
