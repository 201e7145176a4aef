"""The patrol pages' web edge (issue 19): a success message comes only from the server's signed
table (a crafted ``?done=`` shows nothing), the monthly CSV leaves an audit event naming the month,
a series refused for several reasons lists every field in its JSON, and who may file a debrief is
one rule, the service's, for the API and the page alike."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import bearer, login, make_patrol_area, make_shift, make_user, make_volunteer

CRAFTED = "Your%20account%20is%20closed%2C%20call%200800%20123%20456"


def _success_boxes(html: str) -> list[str]:
    return [part.split("</div>", 1)[0] for part in html.split('class="success"')[1:]]


def test_a_crafted_done_shows_no_success_box_and_a_real_action_still_does(client, db):
    coordinator = make_user(db, role="coordinator")
    csrf = login(client, db, coordinator)
    shift = make_shift(db, start_at=utcnow() + timedelta(days=5))
    pages = ["/coordinator", f"/coordinator/shifts/{shift.id}", "/coordinator/areas", "/coordinator/volunteers"]
    for path in pages:
        r = client.get(f"{path}?done={CRAFTED}")
        assert r.status_code == 200, path
        assert "call 0800" not in r.text and _success_boxes(r.text) == [], path
    # A real action's message still shows, from its key.
    r = client.post(f"/coordinator/shifts/{shift.id}/cancel", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "0800" not in r.headers["location"]
    boxes = _success_boxes(client.get(r.headers["location"]).text)
    assert len(boxes) == 1 and "Shift cancelled; the volunteers have been told." in boxes[0]
    # The same signed message on another patrol page is shown there too; tampered with, nowhere.
    token = r.headers["location"].split("done=", 1)[1]
    assert _success_boxes(client.get(f"/coordinator?done={token[:-2]}xx").text) == []


def test_a_crafted_done_on_the_volunteer_page_shows_nothing(client, db):
    volunteer = make_volunteer(db)
    login(client, db, patrols.volunteer_user(db, volunteer))
    r = client.get(f"/volunteer?done={CRAFTED}")
    assert r.status_code == 200 and "call 0800" not in r.text and _success_boxes(r.text) == []


def test_the_monthly_csv_writes_an_audit_event_naming_the_month(client, db):
    coordinator = make_user(db, role="coordinator")
    login(client, db, coordinator)
    r = client.get("/coordinator/reports/monthly.csv?month=2027-03")
    assert r.status_code == 200 and r.text.startswith("month,area,measure,value")
    assert r.headers["content-disposition"] == 'attachment; filename="patrols-2027-03.csv"'
    events = list(
        db.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "patrols.export", AuditEvent.actor_user_id == coordinator.id
            )
        )
    )
    assert len(events) == 1
    [event] = events
    assert event.target_type == "patrol_month" and str(event.target_id) == "2027-03"
    assert event.detail["month"] == "2027-03" and event.detail["format"] == "csv"


def test_a_series_refused_for_several_reasons_lists_every_field(client, db):
    area = make_patrol_area(db)
    body = {
        "area_id": area.id,
        "name": "Fridays",
        "rrule": "FREQ=WEEKLY;BYDAY=FR",
        "start_date": "2030-01-01",
        "start_time": "22:00",
        "end_time": "04:00",
        "min_volunteers": 1,
        "max_volunteers": 500,
        "min_team_leads": 5,
    }
    r = client.post("/api/patrols/series", headers=bearer(db, make_user(db, role="coordinator")), json=body)
    assert r.status_code == 422 and r.json()["error"] == "invalid_series" and r.json()["field"] == "min_volunteers"
    fields = {f["field"] for f in r.json()["fields"]}
    assert {"min_volunteers", "max_volunteers", "min_team_leads"} <= fields


def test_a_team_lead_marked_no_show_gets_no_debrief_form(client, db):
    """The page asks the service's rule: a team lead marked a no-show may not file the debrief, so
    the form is not offered (it used to be shown, then the filing refused)."""
    lead = make_volunteer(db, team_lead=True)
    other = make_volunteer(db)
    shift = make_shift(db, start_at=utcnow() + timedelta(days=3))
    coordinator = make_user(db, role="coordinator")
    signups = [patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=utcnow()) for v in (lead, other)]
    shift.start_at, shift.end_at = utcnow() - timedelta(hours=2), utcnow() + timedelta(hours=2)
    db.flush()
    login(client, db, patrols.volunteer_user(db, lead))
    r = client.get(f"/volunteer/shifts/{shift.id}/debrief")
    assert r.status_code == 200 and 'name="summary"' in r.text
    patrols.mark_no_show(db, actor=coordinator, signup_id=signups[0].id, no_show=True, now=utcnow())
    db.flush()
    r = client.get(f"/volunteer/shifts/{shift.id}/debrief")
    assert r.status_code == 403 and 'name="summary"' not in r.text
