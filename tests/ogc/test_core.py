"""/ogc core on both databases: documents, paging to the end, CRS, bbox, datetime, CQL2 text and
JSON, queryables as parameters, ETags, and every mistake a 400 naming the parameter."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.factories import bearer, make_map_report, make_user
from tests.ogc.paging import all_pages

SOHO = (-0.1337, 51.5136)
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"


def _seed(db, n=30):
    made = []
    for i in range(n):
        made.append(
            make_map_report(
                db,
                lon=SOHO[0] + (i % 10) * 0.0004,
                lat=SOHO[1] + (i // 10) * 0.0004,
                occurred_at=datetime(2026, 10, 1 + i % 28, 22 if i % 2 else 12, tzinfo=UTC),
                main_category="followed" if i % 3 == 0 else "verbal_harassment",
                source="police" if i % 5 == 0 else "public",
            )
        )
    return made


def _officer(db):
    return bearer(db, make_user(db, role="officer"))


def test_landing_links_what_clients_follow(client):
    r = client.get("/ogc")
    assert r.status_code == 200
    rels = {link["rel"]: link for link in r.json()["links"]}
    for rel in ("self", "alternate", "service-desc", "service-doc", "conformance", "data"):
        assert rel in rels, rel
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    api = client.get("/ogc/api")
    assert api.status_code == 200 and api.json()["openapi"].startswith("3.0")
    assert "/collections/reports/items" in api.json()["paths"]


def test_conformance_declares_the_filter_classes(client):
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for suffix in (
        "features-1/1.0/conf/core",
        "features-3/1.0/conf/filter",
        "features-3/1.0/conf/features-filter",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/basic-cql2",
        "features-2/1.0/conf/crs",
    ):
        assert any(c.endswith(suffix) for c in classes), suffix


def test_collections_by_role(client, db):
    public = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert "wards-2022-05" in public and "reports" not in public
    officer = [c["id"] for c in client.get("/ogc/collections", headers=_officer(db)).json()["collections"]]
    assert "reports" in officer and "wards-2022-05" in officer
    assert client.get("/ogc/collections/reports/items").status_code == 401
    volunteer = bearer(db, make_user(db, role="volunteer"))
    assert client.get("/ogc/collections/reports/items", headers=volunteer).status_code == 403
    assert client.get("/ogc/collections/nope").status_code == 404
    assert client.get("/ogc/collections/nope/items").status_code == 404


def test_wards_page_to_the_end_with_stable_unique_ids(client):
    features, matched, pages = all_pages(client, "/ogc/collections/wards-2022-05/items", limit=40)
    assert matched == len(features) > 100 and pages > 2
    ids = [f["id"] for f in features]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    assert features[0]["geometry"]["type"] in ("MultiPolygon", "Polygon")
    one = client.get(f"/ogc/collections/wards-2022-05/items/{ids[0]}")
    assert one.status_code == 200 and one.json()["id"] == ids[0]
    assert client.get("/ogc/collections/wards-2022-05/items/NOPE").status_code == 404


def test_reports_filter_text_json_and_params_agree(client, db):
    made = _seed(db)
    h = _officer(db)
    followed = sum(1 for r in made if r.main_category == "followed")
    text = client.get("/ogc/collections/reports/items", params={"filter": "category = 'followed'"}, headers=h).json()
    assert text["numberMatched"] == followed > 0
    cql_json = json.dumps({"op": "=", "args": [{"property": "category"}, "followed"]})
    as_json = client.get(
        "/ogc/collections/reports/items", params={"filter": cql_json, "filter-lang": "cql2-json"}, headers=h
    ).json()
    assert as_json["numberMatched"] == followed
    param = client.get("/ogc/collections/reports/items", params={"category": "followed"}, headers=h).json()
    assert param["numberMatched"] == followed
    night = client.get("/ogc/collections/reports/items", params={"filter": "hour >= 22 OR hour < 4"}, headers=h).json()
    assert night["numberMatched"] == sum(
        1 for r in made if r.occurred_at.hour == 22
    )  # 22:00 UTC is 23:00 (BST) or 22:00 (GMT) in London


def test_paging_reports_counts_every_feature_once(client, db):
    made = _seed(db)
    h = _officer(db)
    features, matched, pages = all_pages(client, "/ogc/collections/reports/items", headers=h, limit=7)
    assert matched == len(made) == len(features) and pages == 5
    assert sorted(f["id"] for f in features) == sorted(r.id for r in made)


def test_bbox_in_both_crs_and_output_in_bng(client, db):
    made = _seed(db)
    h = _officer(db)
    assert len(made) == 30
    box84 = f"{SOHO[0] - 0.0001},{SOHO[1] - 0.0001},{SOHO[0] + 0.0037},{SOHO[1] + 0.0001}"
    in84 = client.get("/ogc/collections/reports/items", params={"bbox": box84}, headers=h).json()
    assert in84["numberMatched"] == 10  # the first row of ten points
    # The same box in British National Grid metres
    from shapely.geometry import box

    from nte.spatial.geometry import to_bng

    b = to_bng(box(SOHO[0] - 0.0001, SOHO[1] - 0.0001, SOHO[0] + 0.0037, SOHO[1] + 0.0001)).bounds
    inbng = client.get(
        "/ogc/collections/reports/items",
        params={"bbox": ",".join(str(v) for v in b), "bbox-crs": BNG, "crs": BNG},
        headers=h,
    )
    assert inbng.status_code == 200
    assert inbng.headers["content-crs"] == f"<{BNG}>"
    body = inbng.json()
    assert body["numberMatched"] >= 10
    x, y = body["features"][0]["geometry"]["coordinates"]
    assert 500_000 < x < 550_000 and 170_000 < y < 190_000


def test_datetime_interval(client, db):
    _seed(db)
    h = _officer(db)
    r = client.get(
        "/ogc/collections/reports/items", params={"datetime": "2026-10-01T00:00:00Z/2026-10-02T00:00:00Z"}, headers=h
    ).json()
    assert r["numberMatched"] == 2  # i = 0 and i = 28 fall on the 1st
    open_end = client.get("/ogc/collections/reports/items", params={"datetime": "2026-10-27/.."}, headers=h).json()
    assert open_end["numberMatched"] == 2  # days 27 and 28


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "x"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox-crs": "EPSG:9999", "bbox": "1,2,3,4"}, "bbox-crs"),
        ({"crs": "EPSG:4269"}, "crs"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"filter": "category = "}, "filter"),
        ({"filter": "description = 'x'"}, "filter"),
        ({"filter": "{", "filter-lang": "cql2-json"}, "filter"),
        ({"filter-lang": "ecql"}, "filter-lang"),
        ({"cursor": "not-a-cursor!"}, "cursor"),
        ({"fliter": "x"}, "fliter"),
        ({"hour": "late"}, "hour"),
        ({"category": "nonsense"}, "category"),
    ],
)
def test_mistakes_are_400_naming_the_parameter(client, db, params, field):
    r = client.get("/ogc/collections/reports/items", params=params, headers=_officer(db))
    assert r.status_code == 400, (params, r.status_code, r.text)
    assert r.json()["field"] == field


def test_etag_and_last_modified(client, db):
    _seed(db, n=3)
    h = _officer(db)
    first = client.get("/ogc/collections/reports/items", headers=h)
    tag = first.headers["etag"]
    assert first.headers.get("last-modified")
    again = client.get("/ogc/collections/reports/items", headers={**h, "If-None-Match": tag})
    assert again.status_code == 304
    _seed(db, n=1)
    changed = client.get("/ogc/collections/reports/items", headers={**h, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_spatial_filter_on_both_databases(client, db):
    _seed(db)
    h = _officer(db)
    poly = (
        f"POLYGON(({SOHO[0] - 0.0001} {SOHO[1] - 0.0001},{SOHO[0] + 0.0037} {SOHO[1] - 0.0001},"
        f"{SOHO[0] + 0.0037} {SOHO[1] + 0.0001},{SOHO[0] - 0.0001} {SOHO[1] + 0.0001},"
        f"{SOHO[0] - 0.0001} {SOHO[1] - 0.0001}))"
    )
    r = client.get("/ogc/collections/reports/items", params={"filter": f"S_INTERSECTS(geometry, {poly})"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == 10


def test_api_definition_gives_qgis_the_page_size_and_simple_queryables(client):
    api = client.get("/ogc/api").json()
    limit = api["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == 10_000 and limit["default"] == 100
    items = api["paths"]["/collections/wards-2022-05/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/limit"} in items
    simple = [p for p in items if p.get("style") == "form" and p.get("explode") is False and "type" in p["schema"]]
    assert {p["name"] for p in simple} >= {"code", "borough_code"}
    geometry = client.get("/ogc/collections/wards-2022-05/queryables").json()["properties"]["geometry"]
    assert geometry["$ref"] == "https://geojson.org/schema/MultiPolygon.json"


def test_filters_as_qgis_writes_them(client, db):
    made = _seed(db)
    h = _officer(db)
    qgis = "((category = 'followed') AND (\"occurred_at\" >= TIMESTAMP('2026-10-15T00:00:00.000Z')))"
    r = client.get("/ogc/collections/reports/items", params={"filter": qgis, "filter-lang": "cql2-text"}, headers=h)
    assert r.status_code == 200, r.text
    expected = sum(
        1 for m in made if m.main_category == "followed" and m.occurred_at >= datetime(2026, 10, 15, tzinfo=UTC)
    )
    assert r.json()["numberMatched"] == expected > 0
    box = f"S_INTERSECTS(geometry,BBOX({SOHO[0] - 0.0001},{SOHO[1] - 0.0001},{SOHO[0] + 0.0037},{SOHO[1] + 0.0001}))"
    r = client.get("/ogc/collections/reports/items", params={"filter": box}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == 10
    r = client.get(
        "/ogc/collections/reports/items", params={"filter": "CASEI(category) LIKE CASEI('FOLL%')"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == sum(1 for m in made if m.main_category == "followed")
    bad = client.get("/ogc/collections/reports/items", params={"filter": "S_INTERSECTS(geometry,BBOX(1,2))"}, headers=h)
    assert bad.status_code == 400 and bad.json()["field"] == "filter"


def test_collections_carry_their_extent_and_reports_their_time(client, db):
    made = _seed(db)
    wards = client.get("/ogc/collections/wards-2022-05").json()
    minx, miny, maxx, maxy = wards["extent"]["spatial"]["bbox"][0]
    assert -0.6 < minx < maxx < 0.4 and 51.2 < miny < maxy < 51.8  # London
    reports = client.get("/ogc/collections/reports", headers=_officer(db)).json()
    first, last = reports["extent"]["temporal"]["interval"][0]
    assert first.startswith(min(m.occurred_at for m in made).date().isoformat())
    assert last.startswith(max(m.occurred_at for m in made).date().isoformat())
    page = client.get("/ogc/collections/reports/items", params={"limit": 1}, headers=_officer(db)).json()
    props = page["features"][0]["properties"]
    assert 0 <= props["hour"] <= 23 and 1 <= props["weekday"] <= 7


def test_restricted_reads_are_audited_once_a_day_per_person_and_collection(client, db):
    from nte.audit import service as audit

    _seed(db, n=3)
    officer = make_user(db, role="officer")
    h = bearer(db, officer)
    before = len(audit.list_events(db, action_prefix="ogc.read"))
    for params in ({"limit": 1}, {"limit": 2, "category": "followed"}, {}):
        assert client.get("/ogc/collections/reports/items", params=params, headers=h).status_code == 200
    client.get("/ogc/collections/wards-2022-05/items", params={"limit": 1})  # public: not recorded
    events = [e for e in audit.list_events(db, action_prefix="ogc.read") if e.actor_user_id == officer.id]
    assert len(events) == 1 and len(audit.list_events(db, action_prefix="ogc.read")) == before + 1
    assert events[0].target_id == "reports" and events[0].detail == {"limit": "1"}
    other = make_user(db, role="officer")
    client.get("/ogc/collections/reports/items", headers=bearer(db, other))
    assert len(audit.list_events(db, action_prefix="ogc.read")) == before + 2
