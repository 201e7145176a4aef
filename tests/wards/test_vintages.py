"""Ward vintages: May 2022 current and December 2013 kept; the current vintage chosen per borough;
every located record assigned in every vintage; figures in any vintage; switching and back changes
nothing. Each test names the defect of issue 17 it guards against."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from shapely.geometry import Point

from nte.maps import statistics as stats_service
from nte.maps.filters import parse_filter
from nte.reports import importer
from nte.reports.models import Report
from nte.spatial import from_db
from nte.wards import geojson
from nte.wards import repository as ward_repo
from nte.wards import service as ward_service
from nte.wards.exceptions import BoroughWithoutWards, UnknownVintage
from nte.wards.index import OUTSIDE
from nte.wards.models import WardAssignment
from nte.wards.shipped import DECEMBER_2013, MAY_2022
from tests.factories import make_map_report, make_report, make_safe_space, make_venue

WESTMINSTER, HACKNEY, KENSINGTON = "E09000033", "E09000012", "E09000020"
SOHO = (-0.1337, 51.5133)
DALSTON = (-0.0755, 51.5465)
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
CRIME = Path(importer.__file__).resolve().parents[2] / "data" / "crime"


def _flt(db, **kw):
    boroughs = [WESTMINSTER, KENSINGTON, HACKNEY, "E09000013", "E09000032", "E09000001"]
    return parse_filter(now=NOW, boroughs=boroughs, vintages=[s.vintage for s in ward_service.vintages(db)], **kw)


def _westminster_2022_as(db, vintage: str, *, current: bool | None):
    """The May 2022 Westminster wards imported again as a one-borough vintage (as a council would import its own)."""
    parsed = geojson.parse_wards(
        geojson.read_feature_collection(MAY_2022.path),
        code_property="WD22CD",
        name_property="WD22NM",
        borough_code_property="LAD22CD",
        borough_name_property="LAD22NM",
    )
    parsed.features[:] = [
        geojson.WardFeature(f"T{f.code[1:]}", f.name, f.borough_code, f.borough_name, f.geometry)
        for f in parsed.features
        if f.borough_code == WESTMINSTER
    ]
    return ward_service.import_wards(
        db,
        parsed=parsed,
        name=f"Test {vintage}",
        vintage=vintage,
        source="test",
        attribution="OGL",
        make_current=current,
    )


def test_shipped_vintages_may_2022_current_and_december_2013_kept(db, settings):
    sets = {s.vintage: s for s in ward_service.vintages(db)}
    assert {"2013-12", "2022-05"} <= set(sets)
    current = ward_service.placement(db, settings=settings)
    assert current.by_set == ((sets["2022-05"].id, tuple(sorted(settings.boroughs))),)
    assert len(ward_service.served_wards(db, settings=settings)) == 125
    assert len(ward_service.served_wards(db, settings=settings, vintage="2013-12")) == 118
    assert "2021" in current.attribution and "martinjc" not in current.attribution
    assert "martinjc" in ward_service.placement(db, settings=settings, vintage="2013-12").attribution
    with pytest.raises(UnknownVintage) as info:
        ward_service.placement(db, settings=settings, vintage="2019-05")
    assert info.value.field == "vintage" and "2013-12" in info.value.detail


def test_importing_one_boroughs_wards_changes_that_borough_only(db, settings):
    """Defect: importing Westminster's new wards made them the only active set, and points in the
    other five boroughs became 'outside the area'."""
    result = _westminster_2022_as(db, "2099-05", current=True)
    assert result.boroughs == [WESTMINSTER] and result.made_current == [WESTMINSTER]
    current = ward_service.placement(db, settings=settings)
    assert sorted(current.boroughs) == sorted(settings.boroughs)  # all six still served
    assert dict(current.by_set)[result.ward_set.id] == (WESTMINSTER,)
    assert ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings).code.startswith("T")
    dalston = ward_service.locate(db, lon=DALSTON[0], lat=DALSTON[1], settings=settings)
    assert dalston.borough_code == HACKNEY and dalston.code.startswith("E05")
    report, _code = make_report(db, lon=DALSTON[0], lat=DALSTON[1])
    assert report.borough_code == HACKNEY
    area = ward_service.service_area(db, settings=settings)
    assert area.contains(Point(*DALSTON)) and area.contains(Point(*SOHO))


def test_activate_a_vintage_per_borough_and_switch_back_audited(db, settings):
    """Defect: a set imported with --no-activate could never be activated, and there was no way back."""
    from nte.audit.models import AuditEvent

    result = _westminster_2022_as(db, "2098-05", current=False)
    assert result.made_current == []
    assert ward_service.placement(db, settings=settings).vintage_of(WESTMINSTER) == "2022-05"
    switched = ward_service.activate(db, vintage="2098-05", borough=WESTMINSTER)
    assert switched.changed == [(WESTMINSTER, "2022-05")]
    assert ward_service.placement(db, settings=settings).vintage_of(WESTMINSTER) == "2098-05"
    assert ward_service.placement(db, settings=settings).vintage_of(HACKNEY) == "2022-05"
    back = ward_service.activate(db, vintage="2022-05", borough=WESTMINSTER)
    assert back.changed == [(WESTMINSTER, "2098-05")]
    events = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "wards.activate").order_by(AuditEvent.id))
    assert [e.detail["boroughs"] for e in events][-2:] == [
        [{"borough": WESTMINSTER, "from": "2022-05"}],
        [{"borough": WESTMINSTER, "from": "2098-05"}],
    ]
    with pytest.raises(BoroughWithoutWards):
        ward_service.activate(db, vintage="2098-05", borough=HACKNEY)  # that vintage has no Hackney wards


def test_every_located_record_is_assigned_in_every_vintage_at_intake(db, settings):
    """Defect: a report carried one ward code, never both 2013 and 2022."""
    report, _code = make_report(db, lon=SOHO[0], lat=SOHO[1])
    venue = make_venue(db)
    space = make_safe_space(db)
    sets = ward_service.vintages(db)
    for subject, record_id, point in (
        ("report", report.id, Point(*SOHO)),
        ("venue", venue.id, from_db(venue.geom)),
        ("safe_space", space.id, from_db(space.geom)),
    ):
        rows = {r.ward_set_id: r for r in ward_repo.assignments_of(db, subject=subject, subject_id=record_id)}
        assert set(rows) == {s.id for s in sets}, subject
        for ward_set in sets:
            ward = ward_repo.get_ward(db, ward_set_id=ward_set.id, code=str(rows[ward_set.id].ward_code))
            assert ward is not None and from_db(ward.geom).covers(point), (subject, ward_set.vintage)
    # The 2013 and 2022 wards of one point differ (Westminster was redrawn in 2022).
    codes = {r.ward_code for r in ward_repo.assignments_of(db, subject="report", subject_id=report.id)}
    assert len(codes) == 2


def test_a_report_placed_by_choosing_a_ward_is_in_every_vintage_too(db, settings):
    chosen = ward_service.get_ward(db, code="E05013806")  # St James's, May 2022
    report, _code = make_report(db, lat=None, lon=None, ward=chosen.code)
    rows = {r.ward_set_id: r for r in ward_repo.assignments_of(db, subject="report", subject_id=report.id)}
    assert rows[chosen.ward_set_id].ward_code == "E05013806"
    old = ward_service.resolve_vintage(db, "2013-12")
    assert rows[old.id].ward_code is not None and rows[old.id].borough_code == WESTMINSTER


def test_a_new_vintage_assigns_what_is_stored_resumably_with_counts_outside(db, settings):
    """Defect: reports kept the ward code they got at ingestion and nothing re-assigned them."""
    inside = [make_map_report(db, lon=SOHO[0] + i * 1e-4, lat=SOHO[1], occurred_at=NOW) for i in range(7)]
    outside = [make_map_report(db, lon=DALSTON[0], lat=DALSTON[1] + i * 1e-4, occurred_at=NOW) for i in range(5)]
    result = _westminster_2022_as(db, "2097-05", current=False)
    located = ward_service.Located("report", "reports", Report.id, Report.geom)
    pending = ward_service.pending(db, ward_set=result.ward_set, located=located)
    assert pending >= 12

    class Interrupted(Exception):
        pass

    calls = []

    def stop_after_first(n: int) -> None:
        calls.append(n)
        if len(calls) == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        ward_service.assign_set(db, ward_set=result.ward_set, located=located, batch_size=5, progress=stop_after_first)
    assert ward_service.pending(db, ward_set=result.ward_set, located=located) == pending - 5
    again = ward_service.assign_set(db, ward_set=result.ward_set, located=located, batch_size=5)
    assert again.assigned + again.outside == pending - 5
    assert ward_service.pending(db, ward_set=result.ward_set, located=located) == 0
    for report in inside:
        row = db.get(WardAssignment, ("report", result.ward_set.id, report.id))
        assert row is not None and str(row.ward_code).startswith("T")
    for report in outside:  # Hackney: outside a Westminster-only vintage, recorded as such
        row = db.get(WardAssignment, ("report", result.ward_set.id, report.id))
        assert row is not None and row.ward_code is None


def test_statistics_for_a_borough_without_wards_in_a_vintage_is_an_error_not_empty(db, settings):
    """Defect: statistics for a served borough with no wards returned empty, exit 0."""
    _westminster_2022_as(db, "2096-05", current=False)
    with pytest.raises(BoroughWithoutWards) as info:
        stats_service.ward_statistics(db, flt=_flt(db, borough=HACKNEY, vintage="2096-05"), settings=settings)
    assert info.value.field == "borough" and HACKNEY in info.value.detail


@pytest.fixture()
def police_2016(db, settings):
    """The real 2016 police.uk records of Westminster and Kensington and Chelsea (they share a border),
    imported as the demo does."""
    total = 0
    for borough in ("westminster", "kensington-and-chelsea"):
        path = CRIME / f"2016-metropolitan-street-api-{borough}-violence-public-order.csv.gz"
        with gzip.open(path, "rb") as stream:
            summary, _errors = importer.import_stream(
                db, stream=stream, filename=path.name[:-3], settings=settings, now=NOW
            )
        total += summary.inserted
    assert total > 16_000
    return total


def _borough_totals(db, settings, vintage):
    flt = _flt(db, date_from="2016-01-01", date_to="2016-12-31", source="police", vintage=vintage)
    stats = stats_service.ward_statistics(db, flt=flt, settings=settings)
    return stats, {b: stats.borough_totals.get(b, 0) for b in (WESTMINSTER, KENSINGTON)}


def test_2016_police_figures_in_both_vintages_and_switching_back_changes_nothing(db, settings, police_2016):
    """Defect: after a boundary switch Westminster's 2016 records showed 0 in all 18 new wards, and
    activating a second vintage took the 2016 ward total to 0."""
    current, in_2022 = _borough_totals(db, settings, None)
    old, in_2013 = _borough_totals(db, settings, "2013-12")
    assert current.placement.vintage is None and old.placement.vintage == "2013-12"
    assert sum(r.count > 0 for r in current.rows if r.borough_code == WESTMINSTER) == 18
    assert sum(r.count > 0 for r in old.rows if r.borough_code == WESTMINSTER) == 20
    assert in_2022[WESTMINSTER] > 11_000 and in_2013[WESTMINSTER] > 11_000
    # Borough totals agree across vintages once the points in only one vintage's borough are set
    # aside (the two generalised boundary sets differ by a few metres along the borough line).
    unions = {
        v: {
            b: shapely.union_all(
                [from_db(w.geom) for w in ward_service.served_wards(db, settings=settings, vintage=v, borough=b)]
            )
            for b in (WESTMINSTER, KENSINGTON)
        }
        for v in ("2022-05", "2013-12")
    }
    points = db.execute(
        sa.select(sa.func.ST_X(Report.geom), sa.func.ST_Y(Report.geom)).where(
            Report.source == "police", Report.occurred_at < datetime(2017, 1, 1, tzinfo=UTC)
        )
    ).all()
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    for b in (WESTMINSTER, KENSINGTON):
        in_new = shapely.intersects_xy(unions["2022-05"][b], xs, ys)
        in_old = shapely.intersects_xy(unions["2013-12"][b], xs, ys)
        only_new, only_old = int((in_new & ~in_old).sum()), int((in_old & ~in_new).sum())
        assert in_2022[b] - only_new == in_2013[b] - only_old, b
    # Switch every borough to 2013 and back: each figure is as it was.
    ward_service.activate(db, vintage="2013-12")
    switched, switched_totals = _borough_totals(db, settings, None)
    assert switched_totals == in_2013
    assert [(r.code, r.count, r.trend) for r in switched.rows] == [(r.code, r.count, r.trend) for r in old.rows]
    ward_service.activate(db, vintage="2022-05")
    back, back_totals = _borough_totals(db, settings, None)
    assert back_totals == in_2022
    assert [(r.code, r.count, r.trend) for r in back.rows] == [(r.code, r.count, r.trend) for r in current.rows]
    assert stats_service.ward_assignment_mismatches(db, settings=settings) == []
    assert stats_service.ward_assignment_mismatches(db, settings=settings, vintage="2013-12") == []


def test_the_api_takes_a_vintage_and_says_which(client, db, settings, police_2016):
    from tests.factories import bearer, make_user

    headers = bearer(db, make_user(db, role="officer"))
    params = {"from": "2016-01-01", "to": "2016-12-31", "borough": WESTMINSTER}
    now = client.get("/api/maps/stats", params=params, headers=headers)
    then = client.get("/api/maps/stats", params=params | {"vintage": "2013-12"}, headers=headers)
    assert now.status_code == then.status_code == 200, then.text
    assert len(now.json()["wards"]) == 18 and len(then.json()["wards"]) == 20
    assert "May 2022" in " ".join(now.json()["notes"]) and "December 2013" in " ".join(then.json()["notes"])
    csv_then = client.get("/api/maps/stats.csv", params=params | {"vintage": "2013-12"}, headers=headers)
    assert csv_then.status_code == 200, csv_then.text
    rows = list(csv.DictReader(io.StringIO(csv_then.text)))
    assert rows and {row["ward_vintage"] for row in rows} == {"2013-12"}
    bad = client.get("/api/maps/stats", params=params | {"vintage": "1066-10"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "vintage"


# --- every vintage's ward for a point contains it (Shapely agrees) ----------------------------------


@pytest.fixture()
def shapely_wards(db):
    out = {}
    for ward_set in ward_service.vintages(db):
        if ward_set.vintage in (MAY_2022.vintage, DECEMBER_2013.vintage):
            out[ward_set.vintage] = (
                ward_service.set_index(db, ward_set),
                {w.code: from_db(w.geom) for w in ward_repo.wards_of_set(db, ward_set.id)},
            )
    return out


def _vertices(path) -> list[tuple[float, float]]:
    out = []
    for feature in geojson.read_feature_collection(path)["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        for poly in getattr(geom, "geoms", [geom]):
            out.extend(poly.exterior.coords[::7])
    return out


#: Ward vertices of both vintages: points on edges shared by two wards (or two boroughs) among them.
VERTICES = _vertices(MAY_2022.path) + _vertices(DECEMBER_2013.path)
POINTS = st.one_of(
    st.tuples(st.floats(-0.2600, -0.0200), st.floats(51.4200, 51.5800)).map(lambda p: (p, False)),
    st.sampled_from(VERTICES).map(lambda p: (p, True)),
    st.tuples(st.sampled_from(VERTICES), st.floats(-2e-4, 2e-4), st.floats(-2e-4, 2e-4)).map(
        lambda t: ((t[0][0] + t[1], t[0][1] + t[2]), False)
    ),
)


@hyp_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=POINTS)
def test_the_ward_found_in_each_vintage_contains_the_point(shapely_wards, case):
    (lon, lat), on_a_vertex = case
    assert set(shapely_wards) == {"2022-05", "2013-12"}
    point = Point(lon, lat)
    for vintage, (index, polygons) in shapely_wards.items():
        k = index.locate(lon, lat)
        holders = sorted(code for code, poly in polygons.items() if poly.covers(point))
        if k == OUTSIDE:
            assert holders == [], vintage
        else:
            assert holders and index.codes[k] == holders[0], vintage  # lowest code on a shared edge
    if on_a_vertex:  # a vertex of a ward in one vintage is found in that vintage at least
        assert any(index.locate(lon, lat) != OUTSIDE for index, _ in shapely_wards.values())


def test_a_receipt_names_todays_ward_and_keeps_updates_posted_before_a_boundary_change(db, settings):
    from nte.reports import service as report_service
    from tests.factories import make_user

    officer = make_user(db, role="officer")
    report, code = make_report(db, lon=SOHO[0], lat=SOHO[1])
    assert report.ward_code == "E05013808"  # West End, May 2022
    report_service.post_ward_update(
        db,
        ward_code="E05013808",
        title="More lighting",
        body="New lights on Old Compton Street.",
        actor=officer,
        now=NOW,
    )
    before = report_service.status_by_receipt(db, code=code)
    assert before.ward_name == "West End" and [u.title for u in before.updates] == ["More lighting"]
    ward_service.activate(db, vintage="2013-12", borough=WESTMINSTER)  # the council goes back to its 2013 wards
    report_service.post_ward_update(
        db, ward_code="E05000649", title="Taxi marshals", body="Marshals on Friday nights.", actor=officer, now=NOW
    )
    after = report_service.status_by_receipt(db, code=code)
    assert after.ward_code == "E05000649" and after.ward_name == "West End"  # the 2013 West End
    assert {u.title for u in after.updates} == {"More lighting", "Taxi marshals"}


def test_a_stored_report_placed_by_ward_is_assigned_to_a_new_vintage_by_its_wards_point(db, settings):
    chosen = ward_service.get_ward(db, code="E05013808")  # West End, May 2022
    report, _code = make_report(db, lat=None, lon=None, ward=chosen.code)
    assert report.geom is None and report.location_precision == "ward"
    result = _westminster_2022_as(db, "2095-05", current=False)
    located = ward_service.Located("report", "reports", Report.id, Report.geom)
    done = ward_service.assign_set(db, ward_set=result.ward_set, located=located)
    assert done.assigned >= 1
    row = db.get(WardAssignment, ("report", result.ward_set.id, report.id))
    assert row is not None and row.ward_code == "T05013808"  # the same West End, in the test vintage's codes
    assert ward_service.pending(db, ward_set=result.ward_set, located=located) == 0
