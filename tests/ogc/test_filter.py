"""Each CQL2 conformance class /ogc declares, shown to hold on both databases, on a collection
filtered in SQL (reports) and one filtered in Python (safe spaces): the server's answer equals what
Shapely and plain Python say the filter selects from the same seeded features.

Every literal is written with ``repr`` of the seeded coordinates, so "touches" and "equals" are
exact, not a matter of rounding."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from shapely import wkt
from shapely.geometry import Point

from nte.ogc import conformance
from tests.factories import bearer, make_map_report, make_safe_space, make_user

LON, LAT = -0.1337, 51.5136
STEP = 0.0004
#: 4 x 3 report points on a grid.
GRID = [(LON + i * STEP, LAT + j * STEP) for j in range(3) for i in range(4)]


def _seed_reports(db):
    made = []
    for n, (lon, lat) in enumerate(GRID):
        r = make_map_report(
            db,
            lon=lon,
            lat=lat,
            occurred_at=datetime(2026, 10, 1 + n, 20 + n % 4, tzinfo=UTC),
            main_category=("followed", "verbal_harassment", "spiking")[n % 3],
            source="police" if n % 4 == 0 else "public",
        )
        made.append((r.id, Point(lon, lat), {"category": r.main_category, "source": r.source, "hour": None}))
    return made


def _ids(client, params, headers=None, collection="reports"):
    r = client.get(f"/ogc/collections/{collection}/items", params={"limit": 1000, **params}, headers=headers)
    assert r.status_code == 200, (params, r.text)
    return sorted(f["id"] for f in r.json()["features"]), r.json()["features"]


def _box(i0, j0, i1, j1):
    """A polygon with corners exactly on grid points (i, j)."""
    x0, y0 = LON + i0 * STEP, LAT + j0 * STEP
    x1, y1 = LON + i1 * STEP, LAT + j1 * STEP
    return f"POLYGON(({x0!r} {y0!r},{x1!r} {y0!r},{x1!r} {y1!r},{x0!r} {y1!r},{x0!r} {y0!r}))"


def _around(i0, j0, i1, j1):
    """A polygon strictly around grid points i0..i1, j0..j1 (half a step out)."""
    h = STEP / 2
    x0, y0 = LON + i0 * STEP - h, LAT + j0 * STEP - h
    x1, y1 = LON + i1 * STEP + h, LAT + j1 * STEP + h
    return f"POLYGON(({x0!r} {y0!r},{x1!r} {y0!r},{x1!r} {y1!r},{x0!r} {y1!r},{x0!r} {y0!r}))"


def test_every_cql2_class_is_declared(client):
    declared = set(client.get("/ogc/conformance").json()["conformsTo"])
    for uri in (
        conformance.BASIC_CQL2,
        conformance.ADVANCED_COMPARISON,
        conformance.BASIC_SPATIAL_FUNCTIONS,
        conformance.BASIC_SPATIAL_FUNCTIONS_PLUS,
        conformance.SPATIAL_FUNCTIONS,
        conformance.ARITHMETIC,
        conformance.CQL2_TEXT,
        conformance.CQL2_JSON,
    ):
        assert uri in declared, uri


SPATIAL = [
    # (cql2 text, shapely test on a report point)
    (f"S_INTERSECTS(geometry, {_around(0, 0, 1, 1)})", lambda p, g: p.intersects(g), _around(0, 0, 1, 1)),
    (f"S_WITHIN(geometry, {_around(1, 0, 3, 2)})", lambda p, g: p.within(g), _around(1, 0, 3, 2)),
    (f"S_DISJOINT(geometry, {_around(0, 0, 1, 1)})", lambda p, g: p.disjoint(g), _around(0, 0, 1, 1)),
    # The corner points of a box touch it; the inner ones are within.
    (f"S_TOUCHES(geometry, {_box(0, 0, 2, 2)})", lambda p, g: p.touches(g), _box(0, 0, 2, 2)),
    (
        f"S_EQUALS(geometry, POINT({GRID[5][0]!r} {GRID[5][1]!r}))",
        lambda p, g: p.equals(g),
        f"POINT({GRID[5][0]!r} {GRID[5][1]!r})",
    ),
    # basic-spatial-functions-plus: every geometry type as the literal.
    (
        f"S_INTERSECTS(geometry, LINESTRING({GRID[0][0]!r} {GRID[0][1]!r},{GRID[3][0]!r} {GRID[3][1]!r}))",
        lambda p, g: p.intersects(g),
        f"LINESTRING({GRID[0][0]!r} {GRID[0][1]!r},{GRID[3][0]!r} {GRID[3][1]!r})",
    ),
    (
        f"S_INTERSECTS(geometry, MULTIPOINT(({GRID[1][0]!r} {GRID[1][1]!r}),({GRID[7][0]!r} {GRID[7][1]!r})))",
        lambda p, g: p.intersects(g),
        f"MULTIPOINT(({GRID[1][0]!r} {GRID[1][1]!r}),({GRID[7][0]!r} {GRID[7][1]!r}))",
    ),
    (
        f"S_INTERSECTS(geometry, MULTIPOLYGON(({_around(0, 0, 0, 0)[8:-1]}),({_around(3, 2, 3, 2)[8:-1]})))",
        lambda p, g: p.intersects(g),
        f"MULTIPOLYGON(({_around(0, 0, 0, 0)[8:-1]}),({_around(3, 2, 3, 2)[8:-1]}))",
    ),
    (
        f"S_INTERSECTS(geometry, MULTILINESTRING(({GRID[4][0]!r} {GRID[4][1]!r},{GRID[7][0]!r} {GRID[7][1]!r})))",
        lambda p, g: p.intersects(g),
        f"MULTILINESTRING(({GRID[4][0]!r} {GRID[4][1]!r},{GRID[7][0]!r} {GRID[7][1]!r}))",
    ),
]


@pytest.mark.parametrize(
    ("text", "test", "literal"), SPATIAL, ids=[s[0].split("(")[0] + str(i) for i, s in enumerate(SPATIAL)]
)
def test_spatial_functions_on_report_points_match_shapely(client, db, text, test, literal):
    made = _seed_reports(db)
    h = bearer(db, make_user(db, role="officer"))
    geom = wkt.loads(literal)
    expected = sorted(i for i, p, _ in made if test(p, geom))
    got, _ = _ids(client, {"filter": text}, h)
    assert got == expected and 0 < len(expected) < len(made), (text, got, expected)


def test_spatial_in_cql2_json_and_in_british_national_grid(client, db):
    made = _seed_reports(db)
    h = bearer(db, make_user(db, role="officer"))
    area = wkt.loads(_around(0, 0, 1, 1))
    expected = sorted(i for i, p, _ in made if p.intersects(area))
    as_json = {"op": "s_intersects", "args": [{"property": "geometry"}, json.loads(json.dumps(area.__geo_interface__))]}
    got, _ = _ids(client, {"filter": json.dumps(as_json), "filter-lang": "cql2-json"}, h)
    assert got == expected and expected
    from nte.spatial.geometry import to_bng

    bng = to_bng(area.buffer(STEP / 10))  # a hair larger: the transform is not exact at the edge
    got, _ = _ids(
        client,
        {"filter": f"S_INTERSECTS(geometry, {bng.wkt})", "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/27700"},
        h,
    )
    assert got == expected


def test_basic_cql2_advanced_comparison_and_arithmetic_on_reports(client, db):
    made = _seed_reports(db)
    h = bearer(db, make_user(db, role="officer"))
    by_id = {i: props for i, _, props in made}
    features = _ids(client, {}, h)[1]
    hours = {f["id"]: f["properties"]["hour"] for f in features}
    assert len(hours) == len(made) and all(h_ is not None for h_ in hours.values())
    cases = {
        "category = 'followed'": lambda i: by_id[i]["category"] == "followed",
        "category <> 'followed' AND source = 'public'": lambda i: (
            by_id[i]["category"] != "followed" and by_id[i]["source"] == "public"
        ),
        "NOT (source = 'police') OR hour > 22": lambda i: by_id[i]["source"] != "police" or hours[i] > 22,
        "hour >= 21 AND hour <= 22": lambda i: 21 <= hours[i] <= 22,
        "hour < 21": lambda i: hours[i] < 21,
        "category LIKE 'spik%'": lambda i: by_id[i]["category"] == "spiking",
        "category NOT LIKE '%ing'": lambda i: not by_id[i]["category"].endswith("ing"),
        "hour BETWEEN 21 AND 22": lambda i: 21 <= hours[i] <= 22,
        "hour NOT BETWEEN 21 AND 22": lambda i: not 21 <= hours[i] <= 22,
        "category IN ('followed','spiking')": lambda i: by_id[i]["category"] in ("followed", "spiking"),
        "category NOT IN ('followed','spiking')": lambda i: by_id[i]["category"] not in ("followed", "spiking"),
        "hour + 1 > 22": lambda i: hours[i] + 1 > 22,
        "hour * 2 = 44": lambda i: hours[i] * 2 == 44,
        "hour - 20 < 1": lambda i: hours[i] - 20 < 1,
        "hour / 2 >= 11": lambda i: hours[i] / 2 >= 11,
        "occurred_at >= TIMESTAMP('2026-10-06T00:00:00Z')": lambda i: i in {m for m, *_ in made[5:]},
    }
    for text, keep in cases.items():
        got, _ = _ids(client, {"filter": text}, h)
        expected = sorted(i for i in by_id if keep(i))
        assert got == expected, (text, got, expected)
        assert 0 < len(expected) < len(made) or text.startswith("NOT"), text
    # IS NULL on a queryable that can be empty (hour, for records known only to the month: none here)
    assert _ids(client, {"filter": "hour IS NULL"}, h)[0] == []
    assert len(_ids(client, {"filter": "hour IS NOT NULL"}, h)[0]) == len(made)
    # A property that is not a queryable is refused, never ignored.
    bad = client.get("/ogc/collections/reports/items", params={"filter": "time_band IS NULL"}, headers=h)
    assert bad.status_code == 400 and bad.json()["field"] == "filter"


def test_the_same_classes_on_a_collection_filtered_in_python(client, db):
    spaces = [
        make_safe_space(
            db, name=f"Space {k}", lon=lon, lat=lat, kind=("safe_haven", "pharmacy")[k % 2], status="verified"
        )
        for k, (lon, lat) in enumerate(GRID[:6])
    ]
    all_features = _ids(client, {}, collection="safe-spaces")[1]
    ours = {f["id"]: f for f in all_features if f["properties"]["name"].startswith("Space ")}
    assert len(ours) == len(spaces)
    cases = {
        "kind = 'pharmacy'": lambda f: f["properties"]["kind"] == "pharmacy",
        "kind <> 'pharmacy' AND verified = TRUE": lambda f: f["properties"]["kind"] != "pharmacy",
        "name LIKE 'Space %'": lambda f: True,
        "name IN ('Space 1','Space 4')": lambda f: f["properties"]["name"] in ("Space 1", "Space 4"),
        "NOT (name = 'Space 0')": lambda f: f["properties"]["name"] != "Space 0",
        f"S_INTERSECTS(geometry, {_around(0, 0, 1, 0)})": lambda f: f["properties"]["name"] in ("Space 0", "Space 1"),
        f"S_WITHIN(geometry, {_around(0, 0, 3, 1)})": lambda f: True,
    }
    for text, keep in cases.items():
        got, features = _ids(client, {"filter": text}, collection="safe-spaces")
        got_ours = sorted(f["id"] for f in features if f["id"] in ours)
        assert got_ours == sorted(i for i, f in ours.items() if keep(f)), text
