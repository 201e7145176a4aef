"""Hostile or malformed report imports (API and officer page) get a clear 4xx naming the field,
never a 500, and a refused file leaves nothing stored: GeoJSON nested too deeply, codecs that are
not text encodings, a file refused after a whole batch was written (issue 14)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from nte.reports.importer import BATCH_SIZE, MAX_FEATURE_CHARS
from nte.reports.models import Report, ReportImport
from tests.factories import bearer, login, make_user
from tests.support.hostile import DEEP, nested_geojson_text

POINT = {"type": "Point", "coordinates": [-0.1337, 51.5132]}  # Soho, inside the served wards
GOOD_FEATURE = json.dumps(
    {
        "type": "Feature",
        "geometry": POINT,
        "properties": {"occurred_at": "2026-11-20T23:10:00Z", "main_category": "verbal_harassment"},
    }
)


def _feature_collection(*features: str) -> bytes:
    return ('{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}").encode()


#: Each a feature whose nesting no report needs: a FeatureCollection of FeatureCollections, a
#: Feature whose geometry is a deep GeometryCollection, a Feature with a property nested deeply.
NESTED_FEATURES = {
    "feature_collections": nested_geojson_text(DEEP, "feature_collections"),
    "geometry_collections": '{"type": "Feature", "properties": {}, "geometry": '
    + nested_geojson_text(DEEP, "geometry_collections")
    + "}",
    "nested_properties": '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-0.1337, 51.5132]}, '
    '"properties": {"occurred_at": "2026-11-20", "main_category": "verbal_harassment", "description": '
    + nested_geojson_text(DEEP, "object")
    + "}}",
    # Not past the recursion limit, but no report has any use for 200 levels: refused the same way.
    "moderately_nested_properties": '{"type": "Feature", "geometry": {"type": "Point", "coordinates": '
    '[-0.1337, 51.5132]}, "properties": {"occurred_at": "2026-11-20", "main_category": "verbal_harassment", '
    '"description": ' + nested_geojson_text(200, "object") + "}}",
}


def _report_counts(db) -> tuple[int, int]:
    return (
        db.scalar(sa.select(sa.func.count()).select_from(Report)),
        db.scalar(sa.select(sa.func.count()).select_from(ReportImport)),
    )


# --- reports import: nested GeoJSON -----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(NESTED_FEATURES))
def test_reports_import_api_refuses_nested_geojson_naming_the_file(client, db, kind):
    headers = bearer(db, make_user(db, role="officer"))
    before = _report_counts(db)
    data = _feature_collection(GOOD_FEATURE, NESTED_FEATURES[kind])
    r = client.post(
        "/api/reports/imports", headers=headers, files={"file": ("nested.geojson", data, "application/geo+json")}
    )
    assert r.status_code == 422, r.text[:300]
    body = r.json()
    assert body["field"] == "file" and body["error"] == "invalid_import"
    assert "Feature 2" in body["detail"] and "nested" in body["detail"]
    assert _report_counts(db) == before


def test_reports_import_api_refuses_a_feature_with_huge_properties(client, db):
    """Shallow but huge (over a million characters): refused, not parsed for seconds and stored."""
    headers = bearer(db, make_user(db, role="officer"))
    before = _report_counts(db)
    huge = {f"k{i}": {"a": [i, {"b": "x" * 10}]} for i in range(40_000)}
    feature = json.dumps(
        {
            "type": "Feature",
            "geometry": POINT,
            "properties": {"occurred_at": "2026-11-20", "main_category": "verbal_harassment", "description": huge},
        }
    )
    assert len(feature) > MAX_FEATURE_CHARS
    r = client.post(
        "/api/reports/imports",
        headers=headers,
        files={"file": ("huge.geojson", _feature_collection(GOOD_FEATURE, feature), "application/geo+json")},
    )
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == "file" and f"Feature 2 is longer than {MAX_FEATURE_CHARS:,}" in r.json()["detail"]
    assert _report_counts(db) == before


def test_reports_import_page_refuses_nested_geojson_and_keeps_no_batch(client, db):
    """A full batch (written to the database before the bad feature is read) and the import record
    are not kept either, although the page answers normally (and so its session commits)."""
    csrf = login(client, db, make_user(db, role="officer"))
    before = _report_counts(db)
    data = _feature_collection(*[GOOD_FEATURE] * (BATCH_SIZE + 1), NESTED_FEATURES["feature_collections"])
    r = client.post(
        "/officer/reports/import",
        data={"csrf_token": csrf, "file_format": "geojson"},
        files={"file": ("nested.geojson", data, "application/geo+json")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422, r.text[:300]
    assert f"Feature {BATCH_SIZE + 2}" in r.text and "nested" in r.text and 'href="#file"' in r.text
    assert _report_counts(db) == before


def test_reports_import_page_keeps_no_batch_of_a_file_refused_after_it(client, db):
    """Refused for a reason the importer always knew (a feature that is not JSON), after a full
    batch was written: the page's 422 leaves neither the batch nor the import record behind."""
    csrf = login(client, db, make_user(db, role="officer"))
    before = _report_counts(db)
    data = _feature_collection(*[GOOD_FEATURE] * (BATCH_SIZE + 1), '{"type": "Feature", oops}')
    r = client.post(
        "/officer/reports/import",
        data={"csrf_token": csrf, "file_format": "geojson"},
        files={"file": ("broken.geojson", data, "application/geo+json")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and f"Feature {BATCH_SIZE + 2} is not valid JSON" in r.text, r.text[:300]
    assert _report_counts(db) == before


def test_reports_import_still_takes_ordinary_features(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    data = _feature_collection(GOOD_FEATURE)
    r = client.post(
        "/api/reports/imports", headers=headers, files={"file": ("ok.geojson", data, "application/geo+json")}
    )
    assert r.status_code == 201 and r.json()["inserted"] + r.json()["already_present"] == 1, r.text


# --- reports import: encodings ----------------------------------------------------------------------

CSV = b"occurred_at,lat,lon,main_category\n2026-11-20T23:10:00Z,51.5132,-0.1337,verbal_harassment\n"


@pytest.mark.parametrize("encoding", ["rot13", "zlib_codec", "base64_codec", "hex", "uu_codec", "utf-16", "nonsense"])
def test_reports_import_api_refuses_codecs_that_are_not_supported_text_encodings(client, db, encoding):
    headers = bearer(db, make_user(db, role="officer"))
    before = _report_counts(db)
    r = client.post(
        "/api/reports/imports",
        headers=headers,
        data={"encoding": encoding},
        files={"file": ("reports.csv", CSV, "text/csv")},
    )
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == "encoding" and "utf-8" in r.json()["detail"]
    assert _report_counts(db) == before


def test_reports_import_page_refuses_rot13_naming_the_encoding(client, db):
    csrf = login(client, db, make_user(db, role="officer"))
    before = _report_counts(db)
    r = client.post(
        "/officer/reports/import",
        data={"csrf_token": csrf, "encoding": "rot13"},
        files={"file": ("reports.csv", CSV, "text/csv")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422, r.text[:300]
    assert 'href="#encoding"' in r.text
    assert _report_counts(db) == before


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf-8-sig", "cp1252", "windows-1252", "latin-1", "iso-8859-15"])
def test_reports_import_takes_real_text_encodings_and_their_aliases(client, db, encoding):
    headers = bearer(db, make_user(db, role="officer"))
    r = client.post(
        "/api/reports/imports",
        headers=headers,
        data={"encoding": encoding},
        files={"file": ("reports.csv", CSV, "text/csv")},
    )
    assert r.status_code == 201, r.text[:300]
    assert r.json()["inserted"] + r.json()["already_present"] == 1
