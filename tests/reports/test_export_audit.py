"""Guards of the issue-19 web edge in reports, on both databases: every export (API and officers'
pages, CSV and GeoJSON, and an import's error file) leaves through ``nte.web.downloads.download``
and is audited with the filter it was made with; the queue's success message is chosen by the
server (a crafted ``?done=`` shows nothing); a report's field errors are the one multi-field error."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.errors import FieldErrors
from nte.reports.exceptions import ReportInvalid
from tests.factories import bearer, login, make_report, make_user

EXPORTS = [
    "/api/reports/export.csv",
    "/api/reports/export.geojson",
    "/officer/reports/export.csv",
    "/officer/reports/export.geojson",
]


def _exports(db) -> list[AuditEvent]:
    return list(db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reports.export").order_by(AuditEvent.id)))


@pytest.mark.parametrize("path", EXPORTS)
def test_each_export_writes_an_audit_event_with_its_filter(client, db, path):
    officer = make_user(db, role="officer")
    headers = bearer(db, officer) if path.startswith("/api/") else {}
    if not headers:
        login(client, db, officer)
    report, _ = make_report(db, categories=["cyberflashing"])
    make_report(db, categories=["spiking"])
    before = len(_exports(db))

    r = client.get(path, params={"category": "cyberflashing", "status": "new"}, headers=headers)

    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-disposition"] == f'attachment; filename="reports.{path.rsplit(".", 1)[1]}"'
    assert "no-store" in r.headers["cache-control"] and r.headers["x-content-type-options"] == "nosniff"
    if path.endswith(".csv"):
        assert [int(row["id"]) for row in csv.DictReader(io.StringIO(r.text))] == [report.id]
    else:
        assert [f["id"] for f in r.json()["features"]] == [report.id]
    db.expire_all()
    events = _exports(db)
    assert len(events) == before + 1, "the export was not audited"
    event = events[-1]
    assert event.actor_user_id == officer.id and event.target_type == "reports"
    assert event.target_id == "status=new&category=cyberflashing"
    assert event.detail["filters"] == {"status": "new", "category": "cyberflashing"}
    assert event.detail["format"] == path.rsplit(".", 1)[1]


def test_an_unfiltered_export_is_audited_as_all(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    make_report(db)
    assert client.get("/api/reports/export.csv", headers=headers).status_code == 200
    db.expire_all()
    event = _exports(db)[-1]
    assert event.target_id == "all" and event.detail["filters"] == {}


def test_an_import_error_file_download_is_audited(client, db):
    officer = make_user(db, role="officer")
    headers = bearer(db, officer)
    body = "occurred_at,lat,lon,main_category\n2026-10-02T22:00:00,,,followed\n"
    r = client.post("/api/reports/imports", files={"file": ("mine.csv", body.encode())}, headers=headers)
    assert r.status_code == 201, r.text
    import_id = r.json()["import_id"]
    assert r.json()["rejected"] == {"no_coordinates": 1}
    login(client, db, officer)

    got = client.get(f"/officer/reports/imports/{import_id}/errors.csv")

    assert got.status_code == 200, got.text[:300]
    assert got.headers["content-disposition"] == f'attachment; filename="import-{import_id}-errors.csv"'
    assert got.text.splitlines()[0] == "line,reason,detail" and "no coordinates" in got.text
    db.expire_all()
    events = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "reports.export", AuditEvent.target_type == "report_import")
    ).all()
    assert [(e.target_type, e.target_id, e.actor_user_id) for e in events] == [
        ("report_import", str(import_id), officer.id)
    ]


@pytest.mark.parametrize(
    "crafted",
    ["Your account is closed, call 0800 000 000", "1", "0 marked accepted", "eyJhIjoxfQ.forged"],
)
def test_a_crafted_done_shows_nothing_on_the_queue(client, db, crafted):
    login(client, db, make_user(db, role="officer"))
    make_report(db)
    page = client.get("/officer/reports", params={"done": crafted})
    assert page.status_code == 200 and "<h1>Moderation queue</h1>" in page.text
    assert 'class="success"' not in page.text
    if len(crafted) > 1:  # a single "1" is on every page; links keep the query (attribute values)
        assert crafted not in html.unescape(re.sub(r'="[^"]*"', "", page.text))


def test_the_queue_shows_the_message_its_own_redirect_carries(client, db):
    csrf = login(client, db, make_user(db, role="officer"))
    report, _ = make_report(db)
    data = {"csrf_token": csrf, "ids": str(report.id), "status": "accepted", "back": "/officer/reports?status=new"}
    r = client.post("/officer/reports/moderate", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/officer/reports?status=new&done=")
    shown = client.get(r.headers["location"])
    assert '<p class="success" role="status">1 marked accepted</p>' in shown.text


def test_report_invalid_is_the_one_multi_field_error(client):
    assert issubclass(ReportInvalid, FieldErrors) and ReportInvalid.code == "invalid_report"
    error = ReportInvalid({"date": "Enter the date it happened.", "categories": "Choose at least one."})
    assert error.body()["fields"] == [
        {"field": "date", "detail": "Enter the date it happened."},
        {"field": "categories", "detail": "Choose at least one."},
    ]
    r = client.post("/api/reports", json={"date": "2026-13-40", "categories": []})
    assert r.status_code == 422 and r.json()["error"] == "invalid_report"
    assert {f["field"] for f in r.json()["fields"]} >= {"location", "date", "categories"}
