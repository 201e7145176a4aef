"""nte.wards.geojson: ward GeoJSON in, valid WGS84 MultiPolygons out, or one refusal naming the fault.

Pure: no database. Real files from shared/data (sections 1 and 1b of SOURCES.md), and copies of them
changed in the test (reprojected, reversed, broken)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, mapping, shape

from nte.wards.exceptions import InvalidWardFile
from nte.wards.geojson import ParsedWards, detect_properties, parse_wards, read_feature_collection

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
if not DATA.is_dir():  # the checkout's sibling, or the machine-wide copy
    DATA = Path("/work/shared/data")
WARDS_2013 = DATA / "wards" / "six-boroughs-wards-dec2013.geojson"
WESTMINSTER_2013 = DATA / "wards" / "E09000033.geojson"
WARDS_2022 = DATA / "wards-2022" / "six-boroughs-wards-may2022.geojson"

pytestmark = pytest.mark.skipif(not WARDS_2013.is_file(), reason="shared/data ward files not present")

TO_BNG = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:27700", always_xy=True)


def westminster() -> dict[str, Any]:
    return read_feature_collection(WESTMINSTER_2013)


def parse_westminster(collection: dict[str, Any], **kw: Any) -> ParsedWards:
    return parse_wards(collection, borough_code="E09000033", borough_name="Westminster", **kw)


def refusal(collection: dict[str, Any], **kw: Any) -> InvalidWardFile:
    with pytest.raises(InvalidWardFile) as info:
        parse_westminster(collection, **kw)
    detail = info.value.detail
    assert "\n" not in detail, "a refusal is one line"
    return info.value


def to_bng(collection: dict[str, Any]) -> dict[str, Any]:
    """A copy with every coordinate in British National Grid metres and no ``crs`` member."""
    out = copy.deepcopy(collection)
    out.pop("crs", None)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = TO_BNG.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    for feature in out["features"]:
        feature["geometry"] = mapping(shapely.transform(shape(feature["geometry"]), project))
    return out


def legacy_crs(name: str) -> dict[str, Any]:
    return {"type": "name", "properties": {"name": name}}


def square(x0: float, y0: float, size: float = 0.001, *, clockwise: bool = False) -> list[list[float]]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return ring[::-1] if clockwise else ring


def assert_rfc7946(geom: MultiPolygon) -> None:
    assert isinstance(geom, MultiPolygon)
    assert geom.is_valid, shapely.is_valid_reason(geom)
    for poly in geom.geoms:
        assert shapely.is_ccw(poly.exterior), "exterior rings counter-clockwise"
        for hole in poly.interiors:
            assert not shapely.is_ccw(hole), "holes clockwise"
    minx, miny, maxx, maxy = geom.bounds
    assert -0.6 < minx < maxx < 0.2 and 51.3 < miny < maxy < 51.7, "London, in degrees"


# --- the real files --------------------------------------------------------------------------------


def test_2022_merged_file_parses_with_detected_properties() -> None:
    collection = read_feature_collection(WARDS_2022)
    detected = detect_properties(collection)
    assert detected == {
        "code_property": "WD22CD",
        "name_property": "WD22NM",
        "borough_code_property": "LAD22CD",
        "borough_name_property": "LAD22NM",
    }
    parsed = parse_wards(collection, **detected)  # type: ignore[arg-type]
    assert len(parsed.features) == 125
    assert len({f.code for f in parsed.features}) == 125
    boroughs = {f.borough_code: f.borough_name for f in parsed.features}
    assert len(boroughs) == 6 and boroughs["E09000033"] == "Westminster"
    for feature in parsed.features:
        assert_rfc7946(feature.geometry)
    by_code = {f.code: f for f in parsed.features}
    assert len(by_code["E05014018"].geometry.geoms) == 2  # St Mary's keeps its 17 m2 second part
    assert len(by_code["E05009297"].geometry.geoms) == 2  # Castle Baynard keeps its part in the Thames
    assert parsed.attribution is not None and parsed.attribution.startswith("Source: Office for National Statistics")
    assert parsed.source_crs == "OGC:CRS84" and parsed.reprojected is False
    assert "125 features had clockwise exterior rings; normalised" in " ".join(parsed.notes)


def test_2013_merged_file_parses_with_the_defaults() -> None:
    collection = read_feature_collection(WARDS_2013)
    assert collection["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"  # legacy member kept
    parsed = parse_wards(collection)
    assert len(parsed.features) == 118
    assert len({f.borough_code for f in parsed.features}) == 6
    assert all(f.geometry.is_valid and shapely.is_ccw(f.geometry.geoms[0].exterior) for f in parsed.features)
    assert parsed.source_crs == "OGC:CRS84" and parsed.reprojected is False and parsed.attribution is None
    assert detect_properties(collection)["code_property"] == "WD13CD"


def test_detect_properties_without_borough_properties() -> None:
    assert detect_properties(westminster()) == {
        "code_property": "WD13CD",
        "name_property": "WD13NM",
        "borough_code_property": None,
        "borough_name_property": None,
    }
    assert detect_properties({"type": "FeatureCollection", "features": []})["code_property"] is None


# --- CRS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "argument"),
    [
        ("urn:ogc:def:crs:EPSG::27700", None),
        ("EPSG:27700", None),
        (None, "EPSG:27700"),
        ("urn:ogc:def:crs:EPSG::27700", "EPSG:27700"),  # both given, the same CRS
    ],
)
def test_british_national_grid_is_reprojected_to_the_original_degrees(member: str | None, argument: str | None) -> None:
    original = parse_westminster(westminster())
    metres = to_bng(westminster())
    x, y = metres["features"][0]["geometry"]["coordinates"][0][0]
    assert 520_000 < x < 535_000 and 175_000 < y < 185_000, "the copy really is in metres"
    if member:
        metres["crs"] = legacy_crs(member)
    parsed = parse_westminster(metres, crs=argument)
    assert parsed.reprojected is True
    assert parsed.source_crs == "EPSG:27700"
    assert [f.code for f in parsed.features] == [f.code for f in original.features]
    for got, want in zip(parsed.features, original.features, strict=True):
        assert_rfc7946(got.geometry)
        assert got.geometry.hausdorff_distance(want.geometry) < 1e-6
        assert shapely.get_num_coordinates(got.geometry) == shapely.get_num_coordinates(want.geometry)
    assert any("reprojected from EPSG:27700" in note for note in parsed.notes)


def test_metres_without_a_crs_are_refused_not_taken_as_degrees() -> None:
    exc = refusal(to_bng(westminster()))
    assert exc.field == "crs"
    assert "EPSG:27700" in exc.detail and "metres" in exc.detail
    assert exc.detail.startswith("feature 0 (E05000630)")


def test_metres_under_a_crs84_member_are_refused() -> None:
    metres = to_bng(westminster())
    metres["crs"] = legacy_crs("urn:ogc:def:crs:OGC:1.3:CRS84")
    exc = refusal(metres)
    assert exc.field == "crs" and "EPSG:27700" in exc.detail and "declares OGC:CRS84" in exc.detail


def test_degrees_said_to_be_british_national_grid_are_refused() -> None:
    exc = refusal(westminster(), crs="EPSG:27700")  # the file's own member says CRS84: a conflict
    assert exc.field == "crs" and "differ" in exc.detail
    degrees = westminster()
    del degrees["crs"]
    exc = refusal(degrees, crs="EPSG:27700")
    assert exc.field == "crs" and "degrees" in exc.detail and "feature 0 (E05000630)" in exc.detail


@pytest.mark.parametrize("where", ["argument", "member"])
def test_unknown_crs_is_refused_naming_it(where: str) -> None:
    metres = to_bng(westminster())
    if where == "member":
        metres["crs"] = legacy_crs("EPSG:999999")
        exc = refusal(metres)
    else:
        exc = refusal(metres, crs="EPSG:999999")
    assert exc.field == "crs"
    assert "Unknown CRS 'EPSG:999999'" in exc.detail


def test_crs_member_and_argument_that_differ_are_refused() -> None:
    metres = to_bng(westminster())
    metres["crs"] = legacy_crs("urn:ogc:def:crs:EPSG::27700")
    exc = refusal(metres, crs="EPSG:3857")
    assert exc.field == "crs"
    assert "urn:ogc:def:crs:EPSG::27700" in exc.detail and "EPSG:3857" in exc.detail


def test_epsg_4326_means_lon_lat_in_geojson() -> None:
    collection = westminster()
    parsed = parse_westminster(collection, crs="EPSG:4326")  # same as the member's CRS84, axis order aside
    assert parsed.reprojected is False and parsed.source_crs == "EPSG:4326"
    assert parsed.features[0].geometry.equals(parse_westminster(westminster()).features[0].geometry)


# --- geometry ----------------------------------------------------------------------------------------


def test_clockwise_exteriors_are_normalised_with_one_summary_note() -> None:
    collection = westminster()
    for feature in collection["features"]:  # the file is clockwise; make sure of it
        ring = feature["geometry"]["coordinates"][0]
        if shapely.is_ccw(shapely.LinearRing(ring)):
            feature["geometry"]["coordinates"][0] = ring[::-1]
    # and one feature with a hole, exterior clockwise and the hole counter-clockwise
    collection["features"][0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [square(-0.15, 51.50, 0.01, clockwise=True), square(-0.146, 51.504, 0.002)],
    }
    parsed = parse_westminster(collection)
    summary = [n for n in parsed.notes if "clockwise exterior rings" in n]
    assert summary == ["20 features had clockwise exterior rings; normalised to counter-clockwise (RFC 7946)."]
    for feature in parsed.features:
        assert_rfc7946(feature.geometry)
    holed = parsed.features[0].geometry.geoms[0]
    assert len(holed.interiors) == 1 and not shapely.is_ccw(holed.interiors[0])


def test_counter_clockwise_input_needs_no_note() -> None:
    collection = westminster()
    for feature in collection["features"]:
        feature["geometry"]["coordinates"][0] = feature["geometry"]["coordinates"][0][::-1]
    parsed = parse_westminster(collection)
    assert not any("clockwise" in n for n in parsed.notes)


def test_bow_tie_is_repaired_with_a_note_naming_the_feature() -> None:
    collection = westminster()
    x0, y0, u = -0.14, 51.50, 0.001
    # a lopsided bow-tie: the edges cross at (0.8, 0.8); lobes of 0.4 and 6.4 square units
    ring = [[x0, y0], [x0 + 4 * u, y0 + 4 * u], [x0 + 4 * u, y0], [x0, y0 + u], [x0, y0]]
    collection["features"][1]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    parsed = parse_westminster(collection)
    repaired = [n for n in parsed.notes if n.startswith("feature 1 (E05000631)")]
    assert len(repaired) == 1 and "Self-intersection" in repaired[0]
    geom = parsed.features[1].geometry
    assert_rfc7946(geom)
    assert len(geom.geoms) == 2
    assert math.isclose(geom.area, 6.8 * u * u, rel_tol=1e-6)


def test_bow_tie_whose_repair_changes_its_area_is_refused() -> None:
    collection = westminster()
    x0, y0, u = -0.14, 51.50, 0.001
    ring = [[x0, y0], [x0 + u, y0 + u], [x0 + u, y0], [x0, y0 + u], [x0, y0]]  # symmetric: stated area 0
    collection["features"][4]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    exc = refusal(collection)
    assert exc.field == "geometry"
    assert exc.detail.startswith("feature 4 (E05000634)") and "area" in exc.detail


def test_polygon_with_nothing_polygonal_after_repair_is_refused() -> None:
    collection = westminster()
    line = [[-0.14, 51.5], [-0.14, 51.51], [-0.14, 51.52], [-0.14, 51.5]]  # all on one meridian
    collection["features"][5]["geometry"] = {"type": "Polygon", "coordinates": [line]}
    exc = refusal(collection)
    assert exc.field == "geometry" and exc.detail.startswith("feature 5 (E05000635)")
    assert "nothing polygonal" in exc.detail


@pytest.mark.parametrize(
    ("geometry", "says"),
    [
        (None, "missing"),
        ("absent", "missing"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "MultiPolygon", "coordinates": []}, "empty"),
        ({"type": "Point", "coordinates": [-0.14, 51.5]}, "Point"),
        ({"type": "LineString", "coordinates": [[-0.14, 51.5], [-0.13, 51.5]]}, "LineString"),
        ({"type": "Polygon", "coordinates": [[[-0.14, 51.5], [-0.13, 51.5]]]}, "malformed"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "malformed"),
        (
            {"type": "Polygon", "coordinates": [[[-0.14, 51.5], [-0.13, float("nan")], [-0.13, 51.6], [-0.14, 51.5]]]},
            "finite",
        ),
        ([1, 2], "malformed"),
    ],
)
def test_unusable_geometry_is_refused_naming_the_feature(geometry: Any, says: str) -> None:
    collection = westminster()
    if geometry == "absent":
        del collection["features"][2]["geometry"]
    else:
        collection["features"][2]["geometry"] = geometry
    exc = refusal(collection)
    assert exc.field == "geometry"
    assert exc.detail.startswith("feature 2 (E05000632): ")
    assert says in exc.detail


def test_a_fault_in_the_last_feature_refuses_the_whole_file() -> None:
    collection = westminster()
    collection["features"][-1]["geometry"] = None
    exc = refusal(collection)
    assert exc.detail.startswith("feature 19 (E05000649)")


# --- properties ------------------------------------------------------------------------------------


def test_duplicate_code_is_refused_naming_both_features() -> None:
    collection = westminster()
    collection["features"][7]["properties"]["WD13CD"] = "  E05000632 "  # stripped, then equal to feature 2's
    exc = refusal(collection)
    assert exc.field == "WD13CD"
    assert exc.detail.startswith("feature 7 (E05000632)")
    assert "features 2 and 7" in exc.detail


@pytest.mark.parametrize("prop", ["WD13CD", "WD13NM"])
def test_missing_code_or_name_is_refused_naming_the_property(prop: str) -> None:
    collection = westminster()
    del collection["features"][3]["properties"][prop]
    exc = refusal(collection)
    assert exc.field == prop
    assert exc.detail.startswith("feature 3 (")
    assert repr(prop) in exc.detail
    if prop == "WD13NM":
        assert exc.detail.startswith("feature 3 (E05000633)")


def test_borough_code_comes_from_the_argument_or_the_property() -> None:
    with pytest.raises(InvalidWardFile) as info:
        parse_wards(westminster())  # no LAD13CD in a single-borough file, no --borough-code
    assert info.value.field == "borough_code" and info.value.detail.startswith("feature 0 (E05000630)")
    parsed = parse_wards(westminster(), borough_code=" E09000033 ")
    assert {(f.borough_code, f.borough_name) for f in parsed.features} == {("E09000033", "E09000033")}


def test_codes_are_stripped_and_long_values_cut() -> None:
    collection = westminster()
    props = collection["features"][0]["properties"]
    props["WD13CD"] = "\tE05000630 "
    props["WD13NM"] = "N" * 300
    collection["features"][1]["properties"]["WD13CD"] = "X" * 30
    parsed = parse_westminster(collection)
    assert parsed.features[0].code == "E05000630"
    assert parsed.features[0].name == "N" * 120
    assert parsed.features[1].code == "X" * 20
    assert any(n.startswith("feature 0 (E05000630): ward name cut to 120") for n in parsed.notes)


# --- the file itself -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b"\xff\xfe\x00garbage",
        json.dumps({"type": "Feature", "geometry": None, "properties": {}}).encode(),
        json.dumps({"type": "FeatureCollection", "features": []}).encode(),
        json.dumps({"type": "FeatureCollection"}).encode(),
        json.dumps([1, 2, 3]).encode(),
    ],
)
def test_unreadable_or_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "wards.geojson"
    path.write_bytes(content)
    with pytest.raises(InvalidWardFile) as info:
        read_feature_collection(path)
    assert info.value.field == "file" and "wards.geojson" in info.value.detail
    assert "\n" not in info.value.detail


def test_parse_refuses_a_collection_that_is_not_one() -> None:
    for bad in ({"type": "FeatureCollection", "features": []}, {"type": "Topology"}, {}):
        with pytest.raises(InvalidWardFile) as info:
            parse_wards(bad)
        assert info.value.field == "file"
    collection = westminster()
    collection["features"][6] = "a string"
    assert refusal(collection).detail.startswith("feature 6")
