from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from nte.spatial import area_km2
from nte.wards import geojson
from nte.wards import service as ward_service
from nte.wards.exceptions import InvalidWardFile, LocationOutsideServiceArea
from nte.wards.shipped import DECEMBER_2013

WEST_END = (-0.1337, 51.5132)  # Soho, Westminster


def _shipped():
    return json.loads(DECEMBER_2013.path.read_text())["features"]


def test_lookup_api_finds_the_ward(client):
    r = client.get("/api/wards/lookup", params={"lon": WEST_END[0], "lat": WEST_END[1]})
    assert r.status_code == 200
    assert r.json()["name"] == "West End" and r.json()["borough_code"] == "E09000033"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"lon": 181, "lat": 51.5}, "lon"),
        ({"lon": -0.1, "lat": 91}, "lat"),
        ({"lon": "nan", "lat": 51.5}, "lon"),
        ({"lon": "abc", "lat": 51.5}, "lon"),
        ({"lat": 51.5}, "lon"),
    ],
)
def test_lookup_rejects_bad_coordinates_naming_the_field(client, params, field):
    r = client.get("/api/wards/lookup", params=params)
    assert r.status_code == 422
    assert r.json()["field"] == field


def test_lookup_outside_the_served_boroughs(client):
    r = client.get("/api/wards/lookup", params={"lon": -0.1426, "lat": 51.5390})  # Camden Town
    assert r.status_code == 422
    assert r.json()["error"] == "outside_service_area"
    assert "outside the area this council covers" in r.json()["detail"]


def test_served_boroughs_come_from_configuration(db, settings):
    only_city = settings.model_copy(update={"boroughs": ["E09000001"]})
    with pytest.raises(LocationOutsideServiceArea):
        ward_service.locate(db, lon=WEST_END[0], lat=WEST_END[1], settings=only_city)
    assert ward_service.locate(db, lon=-0.0915, lat=51.5155, settings=only_city).borough_code == "E09000001"
    area = ward_service.service_area(db, settings=only_city)
    assert 2.5 < area_km2(area) < 3.5  # the Square Mile, about 2.9 km2


def test_borough_edge_points_get_exactly_one_ward(db, settings):
    """A vertex shared by wards of two boroughs is assigned to exactly one ward, deterministically."""
    features = _shipped()
    westminster = [shape(f["geometry"]) for f in features if f["properties"]["LAD13CD"] == "E09000033"]
    kensington = [shape(f["geometry"]) for f in features if f["properties"]["LAD13CD"] == "E09000020"]
    shared = None
    for w in westminster:
        for k in kensington:
            inter = w.boundary.intersection(k.boundary)
            if not inter.is_empty:
                shared = inter
                break
        if shared:
            break
    assert shared is not None
    point = shared.representative_point() if shared.geom_type != "Point" else shared
    first = ward_service.locate(db, lon=point.x, lat=point.y, settings=settings)
    again = ward_service.locate(db, lon=point.x, lat=point.y, settings=settings)
    assert first.code == again.code
    assert first.borough_code in ("E09000033", "E09000020")


def test_wards_geojson_is_rfc7946(client):
    r = client.get("/api/wards", params={"borough": "E09000001"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 25
    assert "Crown copyright" in body["attribution"]
    ring = body["features"][0]["geometry"]["coordinates"][0][0]
    lon, lat = ring[0]
    assert -0.2 < lon < 0 and 51.4 < lat < 51.6  # lon/lat order
    # exterior ring counter-clockwise (positive signed area)
    area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False))
    assert area > 0


def test_one_ward_and_unknown_code(client):
    current = client.get("/api/wards/E05013806").json()
    assert current["properties"]["name"] == "St James's" and current["vintage"] == "2022-05"
    # The 2013 ward is not current any more, but its vintage still has it.
    assert client.get("/api/wards/E05000644").status_code == 404
    old = client.get("/api/wards/E05000644", params={"vintage": "2013-12"}).json()
    assert old["properties"]["name"] == "St James's" and old["vintage"] == "2013-12"
    assert "martinjc" in old["attribution"]
    for path in ("/api/wards/E05000644", "/api/wards", "/api/boroughs", "/api/wards/lookup"):
        r = client.get(path, params={"vintage": "1999-01", "lon": -0.1337, "lat": 51.5132})
        assert r.status_code == 422, (path, r.text)
        assert r.json()["field"] == "vintage" and "2013-12" in r.json()["detail"], path
    r = client.get("/api/wards/lookup", params={"vintage": "2013-12", "lon": -0.1337, "lat": 51.5132})
    assert r.status_code == 200 and r.json()["vintage"] == "2013-12" and r.json()["code"] == "E05000649"
    r = client.get("/api/wards/E99999999")
    assert r.status_code == 404 and r.json()["field"] == "code"
    r = client.get("/api/wards", params={"borough": "E09000007"})  # Camden: not served
    assert r.status_code == 404 and r.json()["field"] == "borough"


def test_boroughs_listed_in_the_current_wards_and_in_2013(client):
    current = {b["code"]: (b["wards"], b["vintage"]) for b in client.get("/api/boroughs").json()}
    assert current == {
        "E09000033": (18, "2022-05"),
        "E09000020": (18, "2022-05"),
        "E09000013": (21, "2022-05"),
        "E09000032": (22, "2022-05"),
        "E09000001": (25, "2022-05"),
        "E09000012": (21, "2022-05"),
    }
    old = {b["code"]: b["wards"] for b in client.get("/api/boroughs", params={"vintage": "2013-12"}).json()}
    assert old == {
        "E09000033": 20,
        "E09000020": 18,
        "E09000013": 16,
        "E09000032": 20,
        "E09000001": 25,
        "E09000012": 19,
    }
    vintages = {v["vintage"]: v for v in client.get("/api/ward-vintages").json()}
    assert set(vintages) == {"2013-12", "2022-05"}
    assert len(vintages["2022-05"]["current_in"]) == 6 and vintages["2013-12"]["current_in"] == []


def _feature(code, coords, **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Ward {code}", **props},
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }


SQUARE = [[-0.10, 51.50], [-0.09, 51.50], [-0.09, 51.51], [-0.10, 51.51], [-0.10, 51.50]]
# A bow-tie with lobes of different sizes (a symmetric one has no stated area and is refused).
BOWTIE_LOPSIDED = [[-0.10, 51.50], [-0.06, 51.51], [-0.06, 51.50], [-0.10, 51.502], [-0.10, 51.50]]


def _parsed(features, **kwargs):
    return geojson.parse_wards(
        {"type": "FeatureCollection", "features": features},
        code_property="code",
        name_property="name",
        borough_code_property=None,
        borough_name_property=None,
        **kwargs,
    )


def test_import_repairs_invalid_polygon_and_records_vintage(db):
    result = ward_service.import_wards(
        db,
        parsed=_parsed([_feature("X1", SQUARE), _feature("X2", BOWTIE_LOPSIDED)], borough_code="E09000001"),
        name="Test 2030",
        vintage="2030-05",
        source="unit test",
        attribution="Test attribution",
        make_current=False,
    )
    assert result.count == 2 and any("X2" in n for n in result.notes)
    assert result.ward_set.attribution == "Test attribution" and not result.ward_set.is_active
    assert result.made_current == [] and result.ward_set.vintage == "2030-05"


@pytest.mark.parametrize(
    "features,field,needle",
    [
        ([_feature("", SQUARE)], "code", "feature 0"),
        (
            [
                {
                    "type": "Feature",
                    "properties": {"code": "P1", "name": "p"},
                    "geometry": {"type": "Point", "coordinates": [0, 51]},
                }
            ],
            "geometry",
            "P1",
        ),
        (
            [{"type": "Feature", "properties": {"code": "G1", "name": "g"}, "geometry": {"type": "Polygon"}}],
            "geometry",
            "G1",
        ),
        ([_feature("Z1", SQUARE), _feature("Z1", SQUARE)], "code", "Z1"),
        (
            [_feature("B1", [[500000, 180000], [500100, 180000], [500100, 180100], [500000, 180000]])],
            "crs",
            "EPSG:27700",
        ),
    ],
)
def test_import_errors_name_the_feature(db, features, field, needle):
    with pytest.raises(InvalidWardFile) as info:
        ward_service.import_wards(
            db,
            parsed=_parsed(features, borough_code="E09000001"),
            name="Broken",
            vintage="2031-01",
            source="t",
            attribution="a",
        )
    assert needle in info.value.detail
    assert info.value.field == field


def test_cli_imports_a_geojson_file(tmp_path, engine, monkeypatch):
    from typer.testing import CliRunner

    from nte import cli
    from nte.config import get_settings

    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature("C1", SQUARE, lad="E09000001")]}))
    monkeypatch.setenv("NTE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        name = f"CLI test {engine.dialect.name}"
        result = runner.invoke(
            cli.app,
            [
                "wards",
                "import",
                str(path),
                "--name",
                name,
                "--vintage",
                f"cli-{engine.dialect.name}",
                "--attribution",
                "OGL test",
                "--code-property",
                "code",
                "--name-property",
                "name",
                "--borough-code-property",
                "lad",
                "--no-current",
            ],
        )
        assert result.exit_code == 0, result.output
        assert "Imported 1 wards of E09000001" in result.output
        bad = runner.invoke(
            cli.app,
            [
                "wards",
                "import",
                str(path),
                "--name",
                name,
                "--vintage",
                f"cli-{engine.dialect.name}",
                "--attribution",
                "x",
                "--code-property",
                "code",
                "--name-property",
                "name",
                "--borough-code-property",
                "lad",
                "--no-current",
            ],
        )
        assert bad.exit_code == 2 and "already holds the wards of E09000001" in bad.output
    finally:
        from sqlalchemy.orm import Session

        from nte.wards.models import WardSet

        with Session(engine) as s, s.begin():
            for ws in s.query(WardSet).filter(WardSet.name.like("CLI test%")):
                s.delete(ws)
        get_settings.cache_clear()
