"""The JSON API: anonymous submission for partner apps, receipts, and the officers' endpoints."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.db import utcnow
from nte.reports.models import Report
from tests.factories import bearer, make_report, make_user

SOHO = {"lat": 51.5132, "lon": -0.1337}


def _body(**kw):
    when = utcnow() - timedelta(hours=3)
    body = {**SOHO, "date": when.date().isoformat(), "time": when.strftime("%H:%M"), "categories": ["followed"]}
    body.update(kw)
    return body


def _count(db) -> int:
    return db.scalar(sa.select(sa.func.count(Report.id)))


def test_submit_and_look_up_by_receipt(client, db):
    r = client.post("/api/reports", json=_body(factors=["isolated"], description="scary", age_band="18_24"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"receipt_code", "status", "ward_code", "ward_name", "location_precision"}
    assert (
        body["status"] == "new" and body["location_precision"] == "exact" and r.headers["cache-control"] == "no-store"
    )
    assert "set-cookie" not in r.headers
    status = client.get(f"/api/reports/receipts/{body['receipt_code']}")
    assert status.status_code == 200 and status.json()["status"] == "new" and status.json()["updates"] == []
    assert client.get("/api/reports/receipts/ZZZZ-ZZZZ-ZZZZ-ZZZZ").json()["error"] == "receipt_not_found"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (_body(lat=91), "lat"),
        (_body(lon=181), "lon"),
        (_body(lat=53.48, lon=-2.24), "location"),
        (_body(date="2099-01-01"), "time"),
        (_body(categories=["burglary"]), "categories"),
        (_body(description="x" * 2001), "description"),
        (_body(language="ar"), "language"),  # extra fields (e.g. a language) are refused, never stored
        ({**_body(), "categories": "followed"}, "categories"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(client, db, raw, field):
    before = _count(db)
    r = client.post("/api/reports", json=raw)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field or field in [f["field"] for f in r.json().get("fields", [])]
    assert _count(db) == before


def test_nan_coordinates_are_refused(client, db):
    raw = json.dumps(_body()).replace("51.5132", "NaN")
    r = client.post("/api/reports", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "lat"


def test_outside_area_message_is_clear(client):
    r = client.post("/api/reports", json=_body(lat=53.4808, lon=-2.2426))
    assert r.json()["error"] == "invalid_report" and "outside the area" in r.json()["detail"]


def test_oversized_body_is_refused(client, db):
    before = _count(db)
    r = client.post(
        "/api/reports",
        content=b'{"description": "' + b"x" * 1_100_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and _count(db) == before


def test_rate_limit_by_keyed_address(client, db):
    codes = [client.post("/api/reports", json=_body(categories=["other"])).status_code for _ in range(11)]
    assert codes[:10] == [201] * 10 and codes[10] == 429
    r = client.post("/api/reports", json=_body())
    assert r.status_code == 429 and r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) > 0


def test_reports_with_mistakes_do_not_count_toward_the_limit(client, db):
    """On a shared Wi-Fi, people correcting a form must not lock each other out: only stored
    reports count (ten mistakes, then ten reports, all answered as such)."""
    mistakes = [client.post("/api/reports", json=_body(lat=51.9)).status_code for _ in range(10)]
    assert mistakes == [422] * 10
    stored = [client.post("/api/reports", json=_body()).status_code for _ in range(10)]
    assert stored == [201] * 10
    assert client.post("/api/reports", json=_body()).status_code == 429


def test_officer_list_moderate_and_read(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    a, _ = make_report(db)
    b, _ = make_report(db, categories=["spiking"], lat=51.5155, lon=-0.0925)
    listed = client.get("/api/reports?status=new&category=spiking", headers=headers).json()
    assert [i["id"] for i in listed["items"]] == [b.id] and listed["total"] == 1
    assert listed["items"][0]["lat"] == pytest.approx(51.5155)
    r = client.post(
        "/api/reports/moderation",
        json={"ids": [a.id, b.id], "status": "spam", "expected_status": "new"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["changed"] == sorted([a.id, b.id])
    assert client.get(f"/api/reports/{a.id}", headers=headers).json()["status"] == "spam"
    again = client.post(
        "/api/reports/moderation", json={"ids": [a.id], "status": "accepted", "expected_status": "new"}, headers=headers
    )
    assert again.status_code == 409
    assert client.get("/api/reports?status=bogus", headers=headers).json()["field"] == "status"
    assert client.get("/api/reports?date_from=2026-13-01", headers=headers).json()["field"] == "date_from"


def test_public_and_other_roles_cannot_read_reports(client, db):
    make_report(db)
    assert client.get("/api/reports").status_code == 401
    assert client.get("/api/reports/export.csv").status_code == 401
    assert client.get("/api/reports/points").status_code == 401
    volunteer = bearer(db, make_user(db, role="volunteer"))
    assert client.get("/api/reports", headers=volunteer).status_code == 403


def test_exports_respect_filters_and_neutralise_formulas(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    evil, _ = make_report(db, description='=HYPERLINK("http://x")', categories=["cyberflashing"])
    make_report(db, categories=["spiking"])
    r = client.get("/api/reports/export.csv?category=cyberflashing", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(row["id"]) for row in rows] == [evil.id]
    assert rows[0]["description"].startswith("'=HYPERLINK")
    assert rows[0]["lat"] == "51.5132" and rows[0]["categories"] == "cyberflashing"
    g = client.get("/api/reports/export.geojson?category=cyberflashing", headers=headers).json()
    assert g["type"] == "FeatureCollection" and [f["id"] for f in g["features"]] == [evil.id]
    assert g["features"][0]["geometry"]["coordinates"] == [-0.1337, 51.5132]
    pts = client.get("/api/reports/points?category=cyberflashing", headers=headers).json()
    assert len(pts["features"]) == 1


def test_ward_updates_api(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    report, code = make_report(db)
    r = client.post(
        "/api/reports/ward-updates",
        json={
            "ward": report.ward_code,
            "title": "Patrols on Fridays",
            "body": "Soho Angels now walk Old Compton Street.",
        },
        headers=headers,
    )
    assert r.status_code == 201
    assert client.get(f"/api/reports/receipts/{code}").json()["updates"][0]["title"] == "Patrols on Fridays"
    bad = client.post("/api/reports/ward-updates", json={"ward": "X", "title": "", "body": "b"}, headers=headers)
    assert bad.status_code == 422 and {f["field"] for f in bad.json()["fields"]} == {"ward", "title"}


def test_upload_import_api(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    data = (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
        "Last outcome category,Context\r\n"
        "abc123,2020-01,City of London Police,City of London Police,-0.0925,51.5155,On or near X,E01000001,"
        "City of London 001A,Public order,Under investigation,\r\n"
        ",2020-01,City of London Police,City of London Police,,,No location,,,Public order,,\r\n"
    )
    r = client.post("/api/reports/imports", files={"file": ("street.csv", data.encode(), "text/csv")}, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["inserted"] == 1 and body["rejected"] == {"no_coordinates": 1} and body["file_format"] == "police"
    assert body["errors"][0]["line"] == 3
    again = client.post(
        "/api/reports/imports", files={"file": ("street.csv", data.encode(), "text/csv")}, headers=headers
    ).json()
    assert again["inserted"] == 0 and again["already_present"] == 1
