"""Maps JSON API and pages: access, bad input, exports (CSV injection, RFC 7946 GeoJSON that GDAL
reads, the standalone HTML file), the ward panel and the monthly report."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from nte.wards import service as ward_service
from tests.factories import bearer, login, make_map_report, make_user

SOHO = (-0.1337, 51.5136)
MONTH = {"from": "2026-10-01", "to": "2026-10-31"}
#: Features in the GeoJSON exports of ``_seed``'s month today: every served ward (six boroughs),
#: and the Westminster grid at 250 m.
# In the current (May 2022) wards: 125 wards; 407 cells of 250 m over Westminster (408 over its 2013 wards).
GEOJSON_FEATURES_TODAY = {"wards": 125, "cells": 407}


def _seed(db, n=40):
    import random

    rng = random.Random(3)
    for i in range(n):
        make_map_report(
            db,
            lon=SOHO[0] + rng.uniform(-0.002, 0.002),
            lat=SOHO[1] + rng.uniform(-0.001, 0.001),
            occurred_at=datetime(2026, 10, 1 + i % 28, 22, tzinfo=UTC),
        )
    for i in range(40):
        make_map_report(
            db,
            lon=rng.uniform(-0.18, -0.13),
            lat=rng.uniform(51.495, 51.515),
            occurred_at=datetime(2026, 10, 1 + i % 28, 12, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    "path",
    [
        "/api/maps/stats",
        "/api/maps/stats.csv",
        "/api/maps/stats.geojson",
        "/api/maps/hotspots.geojson",
        "/api/maps/officer-map",
    ],
)
def test_officer_api_needs_an_officer(client, db, path):
    assert client.get(path).status_code == 401
    volunteer = bearer(db, make_user(db, role="volunteer"))
    assert client.get(path, headers=volunteer).status_code == 403
    coordinator = bearer(db, make_user(db, role="coordinator"))
    assert client.get(path, headers=coordinator).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"hours": "18-18"}, "hours"),
        ({"status": "spam"}, "status"),
        ({"day": "funday"}, "day"),
        ({"source": "x"}, "source"),
        ({"borough": "E09000999"}, "borough"),
        ({"cell_size": "10"}, "cell_size"),
        ({"cell_size": "nan"}, "cell_size"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, db, params, field):
    headers = bearer(db, make_user(db, role="officer"))
    path = "/api/maps/hotspots.geojson" if "cell_size" in params else "/api/maps/stats"
    r = client.get(path, params=params, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_stats_json_and_csv_export_with_injection_neutralised(client, db, settings):
    _seed(db)
    ward = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    ward.name = '=HYPERLINK("http://evil")'
    db.flush()
    headers = bearer(db, make_user(db, role="officer"))
    body = client.get("/api/maps/stats", params=MONTH | {"hours": "18-06"}, headers=headers).json()
    row = next(w for w in body["wards"] if w["code"] == ward.code)
    assert row["count"] >= 30 and row["rank_in_borough"] == 1 and body["months"] == ["2026-10"]
    r = client.get("/api/maps/stats.csv", params=MONTH, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    evil = next(x for x in rows if x["ward_code"] == ward.code)
    assert evil["ward_name"].startswith("'=")
    assert int(evil["count"]) >= row["count"]  # the CSV has no hour filter
    assert all(not v.startswith(("=", "+", "@")) for x in rows for v in x.values())


def test_geojson_exports_are_rfc7946_and_load_with_gdal(client, db, tmp_path):
    _seed(db)
    headers = bearer(db, make_user(db, role="officer"))
    wards = client.get("/api/maps/stats.geojson", params=MONTH, headers=headers)
    cells = client.get(
        "/api/maps/hotspots.geojson", params=MONTH | {"borough": "E09000033", "cell_size": "250"}, headers=headers
    )
    assert wards.status_code == 200 and cells.status_code == 200, cells.text
    assert cells.headers["content-type"].startswith("application/geo+json")
    import geopandas
    import shapely
    from shapely.geometry import shape

    for name, response in (("wards", wards), ("cells", cells)):
        data = response.json()
        assert "crs" not in data  # RFC 7946: WGS84 lon/lat, no crs member
        found, today = len(data["features"]), GEOJSON_FEATURES_TODAY[name]
        assert found >= today, f"the {name} GeoJSON export has {found} features to check; it had {today}"
        for f in data["features"][:50]:
            geom = shape(f["geometry"])
            assert geom.is_valid
            lon, lat = geom.representative_point().coords[0]
            assert -1 < lon < 1 and 51 < lat < 52
            polys = getattr(geom, "geoms", [geom])
            assert all(p.exterior.is_ccw for p in polys)  # exterior rings anticlockwise
        path = tmp_path / f"{name}.geojson"
        path.write_bytes(response.content)
        frame = geopandas.read_file(path)  # GDAL/OGR, as QGIS reads it
        assert len(frame) == len(data["features"]) and frame.crs.to_epsg() == 4326
    props = cells.json()["features"][0]["properties"]
    assert {"count", "z", "p", "p_fdr", "bin"} <= set(props)
    assert cells.json()["hotspot_analysis"]["cell_size_m"] == 250
    assert shapely.area(shape(cells.json()["features"][0]["geometry"])) > 0


def test_hotspots_unavailable_is_a_clear_422(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    r = client.get("/api/maps/hotspots.geojson", params={"from": "2001-01-01", "to": "2001-01-31"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"] == "hotspots_unavailable"


def test_officer_map_bundle_is_cached(client, db):
    _seed(db, 35)
    headers = bearer(db, make_user(db, role="officer"))
    first = client.get("/api/maps/officer-map", params=MONTH, headers=headers)
    second = client.get("/api/maps/officer-map", params=MONTH, headers=headers)
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
    assert first.json() == second.json()
    bundle = first.json()
    assert bundle["hotspots"]["features"] and all(f["properties"]["bin"] != 0 for f in bundle["hotspots"]["features"])


def test_officer_pages(client, db, settings):
    _seed(db)
    officer = make_user(db, role="officer")
    login(client, db, officer)
    page = client.get("/officer/maps", params=MONTH | {"hours": "18-06"})
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers and "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script on the page
    assert "data-layers" in page.text and "/api/venues.geojson" in page.text
    bad = client.get("/officer/maps", params={"hours": "nonsense"})
    assert bad.status_code == 422 and "hour band" in bad.text
    ward = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    panel = client.get(f"/officer/maps/wards/{ward.code}", params=MONTH)
    assert panel.status_code == 200 and "<svg" in panel.text and ward.name in panel.text
    assert client.get("/officer/maps/wards/E05999999", params=MONTH).status_code == 404
    report = client.get("/officer/maps/report", params={"month": "2026-10"})
    assert report.status_code == 200 and "@media print" in report.text and ward.name in report.text
    assert client.get("/officer/maps/report", params={"month": "2026-13"}).status_code == 422


def test_standalone_html_is_self_contained(client, db):
    _seed(db)
    login(client, db, make_user(db, role="officer"))
    r = client.get("/officer/maps/export.html", params=MONTH)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    csp = r.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    html = r.text
    assert "L.map(" in html or "L.map (" in html or "L.map" in html
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources == []  # every script and style is inline
    assert not re.search(r"(?:cdn\.jsdelivr|cdnjs|code\.jquery|bootstrapcdn)", html)
    assert len(r.content) < 2_000_000


def test_page_access(client, db):
    assert client.get("/officer/maps", follow_redirects=False).status_code == 303
    login(client, db, make_user(db, role="volunteer"))
    assert client.get("/officer/maps", follow_redirects=False).status_code == 403
    assert client.get("/coordinator/maps", follow_redirects=False).status_code == 403
    assert client.get("/map").status_code == 200
