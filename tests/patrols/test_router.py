"""The patrols JSON API and calendar feed: access, bad input (clear 4xx naming the field, nothing
stored), sign-up over HTTP, iCal parsed back by the icalendar library with ETag/304."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.models import PatrolArea, ShiftSeries, Signup
from tests.factories import SOHO_POLYGON, bearer, login, make_patrol_area, make_shift, make_user, make_volunteer


def test_areas_geojson_is_for_coordinators_officers_and_admins(client, db):
    area = make_patrol_area(db, name="Soho GeoJSON")
    for role in ("coordinator", "officer", "admin"):
        r = client.get("/api/patrols/areas.geojson", headers=bearer(db, make_user(db, role=role)))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        features = {f["id"]: f for f in r.json()["features"]}
        assert features[area.id]["properties"]["name"] == "Soho GeoJSON"
        assert features[area.id]["geometry"]["type"] == "Polygon"
        # The wards the area overlaps, in each vintage (Soho: West End since 2022, West End in 2013).
        wards = features[area.id]["properties"]["wards"]
        assert set(wards) == {"2013-12", "2022-05"}
        assert {w["name"] for w in wards["2022-05"]} >= {"West End"} and wards["2013-12"]
    for role in ("volunteer", "venue_manager"):
        assert client.get("/api/patrols/areas.geojson", headers=bearer(db, make_user(db, role=role))).status_code == 403
    assert client.get("/api/patrols/areas.geojson").status_code == 401


def test_create_area_bad_geometry_names_the_field_and_stores_nothing(client, db):
    headers = bearer(db, make_user(db, role="coordinator"))
    before = db.scalar(sa.select(sa.func.count()).select_from(PatrolArea))
    r = client.post(
        "/api/patrols/areas",
        headers=headers,
        json={
            "name": "Crossed",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-0.14, 51.51], [-0.13, 51.52], [-0.14, 51.52], [-0.13, 51.51], [-0.14, 51.51]]],
            },
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "geometry" and r.json()["error"] == "invalid_area"
    r = client.post("/api/patrols/areas", headers=headers, json={"name": "", "geometry": SOHO_POLYGON})
    assert r.status_code == 422 and r.json()["field"] == "name"
    assert db.scalar(sa.select(sa.func.count()).select_from(PatrolArea)) == before
    r = client.post("/api/patrols/areas", headers=headers, json={"name": "Soho API", "geometry": SOHO_POLYGON})
    assert r.status_code == 201 and r.json()["area_km2"] > 0.1


def test_create_series_bad_input(client, db):
    area = make_patrol_area(db)
    headers = bearer(db, make_user(db, role="coordinator"))
    body = {
        "area_id": area.id,
        "name": "Fridays",
        "rrule": "FREQ=WEEKLY;BYDAY=FR",
        "start_date": "2030-01-01",
        "start_time": "22:00",
        "end_time": "04:00",
        "min_volunteers": 1,
    }
    r = client.post("/api/patrols/series", headers=headers, json=body)
    assert r.status_code == 422 and r.json()["field"] == "min_volunteers"
    r = client.post("/api/patrols/series", headers=headers, json=body | {"min_volunteers": 2, "rrule": "FREQ=NOPE"})
    assert r.status_code == 422 and r.json()["field"] == "rrule"
    r = client.post("/api/patrols/series", headers=headers, json=body | {"min_volunteers": 2, "start_time": "25:00"})
    assert r.status_code == 422 and r.json()["field"] == "start_time"
    assert db.scalar(sa.select(sa.func.count()).select_from(ShiftSeries).where(ShiftSeries.name == "Fridays")) == 0
    r = client.post("/api/patrols/series", headers=headers, json=body | {"min_volunteers": 2})
    assert r.status_code == 201 and r.json()["description"] == "Every Friday, 22:00-04:00 (Europe/London)"


def test_signup_over_http_reports_the_rule(client, db):
    shift = make_shift(db, max_volunteers=2)
    volunteer = make_volunteer(db)
    csrf = login(client, db, patrols.volunteer_user(db, volunteer))
    r = client.post(f"/api/patrols/shifts/{shift.id}/signup")
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
    r = client.post(f"/api/patrols/shifts/{shift.id}/signup", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
    r = client.post(f"/api/patrols/shifts/{shift.id}/signup", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 409 and r.json()["error"] == "already_signed_up" and r.json()["field"] == "shift_id"
    r = client.post("/api/patrols/shifts/999999/signup", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 404 and r.json()["field"] == "shift_id"


def test_ical_feed_round_trip_etag_sequence_and_cancelled_kept(client, db):
    now = utcnow().replace(microsecond=0)
    shift = make_shift(db, start_at=now + timedelta(days=4))
    other = make_shift(db, start_at=now + timedelta(days=6))
    volunteer = make_volunteer(db)
    headers = bearer(db, patrols.volunteer_user(db, volunteer))
    for s in (shift, other):
        patrols.book_shift(db, volunteer=volunteer, shift_id=s.id, now=now)
    url = client.post("/api/patrols/me/feed", headers=headers).json()["url"]
    path = url.split("testserver", 1)[-1] if "testserver" in url else url[url.index("/api/") :]
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    etag = r.headers["etag"]
    cal = Calendar.from_ical(r.content)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {f"patrol-shift-{shift.id}@nte-safe", f"patrol-shift-{other.id}@nte-safe"}
    event = events[f"patrol-shift-{shift.id}@nte-safe"]
    assert event.decoded("dtstart") == shift.start_at and int(event["sequence"]) == 0
    assert str(event["status"]) == "CONFIRMED"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    # The coordinator cancels the shift: same UID, STATUS:CANCELLED, SEQUENCE bumped, new ETag.
    patrols.cancel_shift(db, actor=make_user(db, role="coordinator"), shift_id=shift.id, now=now)
    r = client.get(path, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.headers["etag"] != etag
    event = {str(e["uid"]): e for e in Calendar.from_ical(r.content).walk("VEVENT")}[
        f"patrol-shift-{shift.id}@nte-safe"
    ]
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1
    # Revoking the address makes the old URL stop working at once.
    assert client.delete("/api/patrols/me/feed", headers=headers).status_code == 204
    assert client.get(path).status_code == 404
    assert db.scalar(sa.select(sa.func.count()).select_from(Signup).where(Signup.volunteer_id == volunteer.id)) == 2


@pytest.mark.parametrize("leaves", ["volunteer_left", "account_deactivated"])
def test_the_feed_stops_when_the_volunteer_leaves(client, db, leaves):
    now = utcnow().replace(microsecond=0)
    volunteer = make_volunteer(db)
    patrols.book_shift(db, volunteer=volunteer, shift_id=make_shift(db, start_at=now + timedelta(days=4)).id, now=now)
    headers = bearer(db, patrols.volunteer_user(db, volunteer))
    url = client.post("/api/patrols/me/feed", headers=headers).json()["url"]
    path = url[url.index("/api/") :]
    assert client.get(path).status_code == 200
    if leaves == "volunteer_left":
        volunteer.status = "left"
    else:
        patrols.volunteer_user(db, volunteer).is_active = False
    db.flush()
    r = client.get(path)
    assert r.status_code == 404 and r.json()["field"] == "token"


def test_monthly_report_json_and_csv_access(client, db):
    officer = bearer(db, make_user(db, role="officer"))
    r = client.get("/api/patrols/reports/monthly?month=2027-03", headers=officer)
    assert r.status_code == 200 and r.json()["month"] == "2027-03"
    r = client.get("/api/patrols/reports/monthly?month=March", headers=officer)
    assert r.status_code == 422 and r.json()["field"] == "month"
    volunteer = bearer(db, make_user(db, role="volunteer"))
    assert client.get("/api/patrols/reports/monthly", headers=volunteer).status_code == 403
    login(client, db, make_user(db, role="coordinator"))
    r = client.get("/coordinator/reports/monthly.csv?month=2027-03")
    assert r.status_code == 200 and r.text.startswith("month,area,measure,value")


def test_area_upload_page_re_shows_the_form_with_the_error(client, db):
    csrf = login(client, db, make_user(db, role="coordinator"))
    r = client.post(
        "/coordinator/areas",
        data={"csrf_token": csrf, "name": "Upload"},
        files={"file": ("area.geojson", b'{"type": "Point", "coordinates": [0, 51]}', "application/geo+json")},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and "polygon" in r.text and 'id="file-error"' in r.text
    r = client.post(
        "/coordinator/areas",
        data={"csrf_token": csrf, "name": "Upload"},
        files={"file": ("area.geojson", str(SOHO_POLYGON).replace("'", '"').encode(), "application/json")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert db.scalar(sa.select(PatrolArea).where(PatrolArea.name == "Upload")) is not None


def test_coordinator_pages_render_for_a_series_and_its_shift(client, db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    series = patrols.create_series(
        db,
        actor=coordinator,
        area_id=area.id,
        name="Fridays",
        rrule="FREQ=WEEKLY;BYDAY=FR",
        start_date=utcnow().date(),
        start_time=time(22),
        end_time=time(4),
        min_volunteers=2,
        max_volunteers=4,
        min_team_leads=0,
        now=utcnow(),
    )
    shift = patrols.repo.shifts_of_series(db, series.id)[0]
    patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=shift.id, now=utcnow())
    login(client, db, coordinator)
    for path in (
        "/coordinator",
        f"/coordinator/series/{series.id}",
        f"/coordinator/shifts/{shift.id}",
        "/coordinator/volunteers",
        "/coordinator/areas",
        "/coordinator/series",
        "/coordinator/reports/monthly",
    ):
        r = client.get(path, headers={"accept": "text/html"})
        assert r.status_code == 200, (path, r.text[:300])
    r = client.get("/coordinator/reports/monthly?month=nope", headers={"accept": "text/html"})
    assert r.status_code == 422 and 'id="month-error"' in r.text
