"""Patrol area GeoJSON (API, pasted into the coordinator's page, uploaded as a file): nested too
deeply, or with a ring that is not closed, is a 422 naming the field, never a 500 or a silently
mended polygon, and stores nothing (issue 14)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from nte.patrols.models import PatrolArea
from tests.factories import SOHO_POLYGON, bearer, login, make_user
from tests.support.hostile import DEEP, nested_geojson_text

# --- patrol areas: nested GeoJSON -------------------------------------------------------------------


def _areas(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(PatrolArea))


NESTED_AREAS = {
    "feature_collections": nested_geojson_text(DEEP, "feature_collections"),
    "geometry_collections": nested_geojson_text(DEEP, "geometry_collections"),
    "nested_properties": '{"type": "Feature", "geometry": '
    + json.dumps(SOHO_POLYGON)
    + ', "properties": {"note": '
    + nested_geojson_text(DEEP, "object")
    + "}}",
    "moderately_nested_properties": '{"type": "Feature", "geometry": '
    + json.dumps(SOHO_POLYGON)
    + ', "properties": {"note": '
    + nested_geojson_text(200, "object")
    + "}}",
}


@pytest.mark.parametrize("kind", sorted(NESTED_AREAS))
def test_patrol_area_api_refuses_nested_geojson_naming_the_field(client, db, kind):
    headers = {**bearer(db, make_user(db, role="coordinator")), "content-type": "application/json"}
    before = _areas(db)
    body = '{"name": "Nested", "geometry": ' + NESTED_AREAS[kind] + "}"
    r = client.post("/api/patrols/areas", headers=headers, content=body.encode())
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] in ("body", "geometry") and "nested" in r.json()["detail"]
    assert _areas(db) == before


@pytest.mark.parametrize("kind", sorted(NESTED_AREAS))
def test_patrol_area_page_refuses_nested_geojson_pasted_or_uploaded(client, db, kind):
    csrf = login(client, db, make_user(db, role="coordinator"))
    before = _areas(db)
    r = client.post(
        "/coordinator/areas",
        data={"csrf_token": csrf, "name": "Nested paste", "geometry": NESTED_AREAS[kind]},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422, r.text[:300]
    assert 'id="geometry-error"' in r.text and "nested" in r.text
    r = client.post(
        "/coordinator/areas",
        data={"csrf_token": csrf, "name": "Nested file"},
        files={"file": ("area.geojson", NESTED_AREAS[kind].encode(), "application/geo+json")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422, r.text[:300]
    assert 'id="file-error"' in r.text and "nested" in r.text
    assert _areas(db) == before


# --- patrol areas: unclosed rings -------------------------------------------------------------------

UNCLOSED = {"type": "Polygon", "coordinates": [SOHO_POLYGON["coordinates"][0][:-1]]}  # type: ignore[index]


def test_patrol_area_api_refuses_an_unclosed_ring_naming_the_geometry(client, db):
    ring: list[list[float]] = UNCLOSED["coordinates"][0]  # type: ignore[index]
    assert ring[0] != ring[-1]
    headers = bearer(db, make_user(db, role="coordinator"))
    before = _areas(db)
    for geometry in (
        UNCLOSED,
        {"type": "Feature", "properties": {}, "geometry": UNCLOSED},
        {"type": "MultiPolygon", "coordinates": [UNCLOSED["coordinates"]]},
    ):
        r = client.post("/api/patrols/areas", headers=headers, json={"name": "Open ring", "geometry": geometry})
        assert r.status_code == 422, r.text[:300]
        assert r.json()["field"] == "geometry" and "not closed" in r.json()["detail"]
    assert _areas(db) == before
    r = client.post("/api/patrols/areas", headers=headers, json={"name": "Closed ring", "geometry": SOHO_POLYGON})
    assert r.status_code == 201, r.text


def test_patrol_area_page_refuses_an_unclosed_ring_uploaded_as_a_file(client, db):
    csrf = login(client, db, make_user(db, role="coordinator"))
    before = _areas(db)
    r = client.post(
        "/coordinator/areas",
        data={"csrf_token": csrf, "name": "Open ring file"},
        files={"file": ("area.geojson", json.dumps(UNCLOSED).encode(), "application/geo+json")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and 'id="file-error"' in r.text and "not closed" in r.text
    assert _areas(db) == before
