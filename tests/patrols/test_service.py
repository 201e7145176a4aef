"""Patrol rules on both databases: areas, series across clock changes, sign-up rule order, waitlist,
deadlines, reminders and alerts (idempotent), debriefs and the monthly report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from nte.db import utcnow
from nte.notifications.models import OutboxMessage
from nte.patrols import jobs
from nte.patrols import service as patrols
from nte.patrols.exceptions import SIGNUP_RULES, CancellationDeadlinePassed, InvalidPatrolArea, SignupRefused
from nte.patrols.models import PatrolArea, Shift, Signup
from tests.factories import SOHO_POLYGON, make_patrol_area, make_shift, make_user, make_volunteer


def _outbox(db, prefix: str) -> list[OutboxMessage]:
    return list(db.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))))


# --- areas ----------------------------------------------------------------------------------------


def test_area_is_stored_and_listed_for_the_maps_domain(db):
    area = make_patrol_area(db, name="Soho West")
    listed = {a.id: a for a in patrols.list_patrol_areas(db)}
    assert listed[area.id].name == "Soho West"
    assert listed[area.id].geometry.geom_type == "Polygon"
    assert listed[area.id].geometry.contains(listed[area.id].geometry.representative_point())
    assert 0.2 < area.area_km2 < 0.6


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [-0.13, 51.51]}, "polygon"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[-0.14, 51.51], [-0.13, 51.52], [-0.14, 51.52], [-0.13, 51.51], [-0.14, 51.51]]],
            },
            "not valid",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[-0.1340, 51.5130], [-0.1339, 51.5130], [-0.1339, 51.5131], [-0.1340, 51.5130]]],
            },
            "too small",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[-0.20, 51.45], [0.05, 51.45], [0.05, 51.60], [-0.20, 51.60], [-0.20, 51.45]]],
            },
            "too large",
        ),
        # Camden (not a served borough) just north of Oxford Street
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[-0.1340, 51.5160], [-0.1280, 51.5160], [-0.1280, 51.5200], [-0.1340, 51.5200], [-0.1340, 51.5160]]
                ],
            },
            "outside",
        ),
        ({"type": "Polygon", "coordinates": "nonsense"}, "coordinates"),
        ("{not json", "GeoJSON"),
    ],
)
def test_bad_areas_are_refused_naming_the_field(db, settings, geometry, message):
    coordinator = make_user(db, role="coordinator")
    before = db.scalar(sa.select(sa.func.count()).select_from(PatrolArea))
    with pytest.raises(InvalidPatrolArea) as info:
        patrols.create_area(db, actor=coordinator, name="Bad", geometry=geometry, settings=settings, now=utcnow())
    assert info.value.field == "geometry" and message.lower() in info.value.detail.lower()
    assert db.scalar(sa.select(sa.func.count()).select_from(PatrolArea)) == before


def test_a_feature_collection_with_one_polygon_is_accepted(db):
    area = make_patrol_area(
        db,
        geometry={
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": SOHO_POLYGON}],
        },
    )
    assert area.id


# --- series and materialisation -------------------------------------------------------------------


def _saturday_series(db, now, **kw):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    values = dict(
        area_id=area.id,
        name="Saturday nights",
        rrule="FREQ=WEEKLY;BYDAY=SA",
        start_date=date(2027, 3, 1),
        start_time=time(22),
        end_time=time(4),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
    )
    values.update(kw)
    series = patrols.create_series(db, actor=coordinator, now=now, **values)
    return coordinator, series


def test_series_keeps_local_start_across_the_spring_clock_change_and_is_idempotent(db):
    now = datetime(2027, 3, 20, 12, tzinfo=UTC)
    coordinator, series = _saturday_series(db, now)
    shifts = {s.occurrence_date: s for s in db.scalars(sa.select(Shift).where(Shift.series_id == series.id))}
    assert len(shifts) == 8  # rolling 8 weeks
    spring = shifts[date(2027, 3, 27)]
    assert spring.start_at == datetime(2027, 3, 27, 22, tzinfo=UTC)  # 22:00 GMT
    assert spring.end_at - spring.start_at == timedelta(hours=5)  # 04:00 BST
    after = shifts[date(2027, 4, 3)]
    assert after.start_at == datetime(2027, 4, 3, 21, tzinfo=UTC)  # still 22:00 local (BST)
    # Running the job again changes nothing and bumps no SEQUENCE.
    assert jobs.materialise_shifts(db, now=now) == 0
    assert all(s.sequence == 0 for s in shifts.values())
    assert db.scalar(sa.select(sa.func.count()).select_from(Shift).where(Shift.series_id == series.id)) == 8


def test_autumn_clock_change_night_lasts_seven_hours(db):
    now = datetime(2027, 10, 20, 12, tzinfo=UTC)
    _, series = _saturday_series(db, now)
    night = db.scalar(sa.select(Shift).where(Shift.series_id == series.id, Shift.occurrence_date == date(2027, 10, 30)))
    assert night.end_at - night.start_at == timedelta(hours=7)


def test_cancelling_and_changing_a_night_bumps_its_sequence_and_keeps_it(db):
    now = datetime(2027, 3, 20, 12, tzinfo=UTC)
    coordinator, series = _saturday_series(db, now)
    volunteer = make_volunteer(db)
    night = db.scalar(sa.select(Shift).where(Shift.series_id == series.id, Shift.occurrence_date == date(2027, 4, 3)))
    patrols.book_shift(db, volunteer=volunteer, shift_id=night.id, now=now)
    patrols.change_night(
        db, actor=coordinator, series_id=series.id, occurrence_date=date(2027, 4, 3), end_time=time(5), now=now
    )
    assert night.sequence == 1 and night.end_at == datetime(2027, 4, 4, 4, tzinfo=UTC)
    patrols.change_night(
        db, actor=coordinator, series_id=series.id, occurrence_date=date(2027, 4, 3), cancelled=True, now=now
    )
    assert night.status == "cancelled" and night.sequence == 2
    assert _outbox(db, f"patrol:shift-change:{night.id}:2:")  # the volunteer is told
    # A date the rule never generates is refused, naming the field.
    with pytest.raises(patrols.InvalidSeriesInput) as info:
        patrols.change_night(
            db, actor=coordinator, series_id=series.id, occurrence_date=date(2027, 4, 1), cancelled=True, now=now
        )
    assert info.value.field == "occurrence_date"


def test_series_refuses_lone_patrols_and_bad_rules(db):
    now = datetime(2027, 3, 20, 12, tzinfo=UTC)
    with pytest.raises(patrols.InvalidSeriesInput) as info:
        _saturday_series(db, now, min_volunteers=1)
    assert info.value.field == "min_volunteers"
    with pytest.raises(patrols.InvalidSeriesInput) as info:
        _saturday_series(db, now, rrule="FREQ=HOURLY")
    assert info.value.field == "rrule"
    with pytest.raises(patrols.InvalidSeriesInput) as info:
        _saturday_series(db, now, max_volunteers=1, min_volunteers=2)
    assert info.value.field == "max_volunteers"


def test_series_hours_cover_the_night_cells(db):
    now = datetime(2027, 3, 20, 12, tzinfo=UTC)
    _, series = _saturday_series(db, now)
    (hours,) = patrols.series_hours(db, series.area_id, now=now)
    assert hours.series_id == series.id and hours.nights_in_window == 8
    assert (5, 22) in hours.hours_of_week and (6, 3) in hours.hours_of_week and (6, 4) not in hours.hours_of_week


# --- sign-up rules in order -----------------------------------------------------------------------


def _refusal(db, volunteer, shift, now) -> str:
    with pytest.raises(SignupRefused) as info:
        patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=now, join_waitlist=False)
    assert info.value.status_code == 409 and info.value.detail
    return info.value.code


def test_signup_rules_are_applied_in_the_documented_order(db):
    now = utcnow()
    shift = make_shift(db, max_volunteers=2)
    # An inactive volunteer whose record expired, on an overlapping shift, on a full shift that started:
    # each rule masks the later ones.
    lapsed = make_volunteer(db, status="paused", expires=date(2020, 1, 1))
    assert _refusal(db, lapsed, shift, shift.start_at + timedelta(minutes=1)) == "shift_started"
    assert _refusal(db, lapsed, shift, now) == "not_active"
    patrols.update_volunteer(
        db, actor=make_user(db, role="coordinator"), volunteer_id=lapsed.id, status="active", now=now
    )
    assert _refusal(db, lapsed, shift, now) == "record_expired"
    missing = make_volunteer(db, records=("dbs",))
    assert _refusal(db, missing, shift, now) == "record_missing"

    busy = make_volunteer(db)
    other = make_shift(db, start_at=shift.start_at + timedelta(hours=2), area=None)
    patrols.book_shift(db, volunteer=busy, shift_id=other.id, now=now)
    assert _refusal(db, busy, shift, now) == "overlaps_shift"

    first, second, late = make_volunteer(db), make_volunteer(db), make_volunteer(db)
    assert patrols.book_shift(db, volunteer=first, shift_id=shift.id, now=now).status == "confirmed"
    assert _refusal(db, first, shift, now) == "already_signed_up"
    patrols.book_shift(db, volunteer=second, shift_id=shift.id, now=now)
    assert _refusal(db, late, shift, now) == "shift_full"
    assert patrols.book_shift(db, volunteer=late, shift_id=shift.id, now=now).status == "waitlisted"
    assert _refusal(db, late, shift, now) == "already_signed_up"
    assert (
        SIGNUP_RULES.index("already_signed_up")
        < SIGNUP_RULES.index("shift_started")
        < SIGNUP_RULES.index("not_active")
        < SIGNUP_RULES.index("overlaps_shift")
        < SIGNUP_RULES.index("shift_full")
    )


def test_records_are_checked_on_the_night_not_today(db):
    shift = make_shift(db, start_at=utcnow() + timedelta(days=20))
    volunteer = make_volunteer(db, expires=date.today() + timedelta(days=10))
    assert _refusal(db, volunteer, shift, utcnow()) == "record_expired"


def test_configured_required_records_apply(db, monkeypatch):
    monkeypatch.setenv("NTE_PATROL_REQUIRED_RECORDS", "dbs,induction,wave")
    patrols.get_patrol_settings.cache_clear()
    try:
        shift = make_shift(db)
        volunteer = make_volunteer(db)
        assert _refusal(db, volunteer, shift, utcnow()) == "record_missing"
    finally:
        monkeypatch.delenv("NTE_PATROL_REQUIRED_RECORDS")
        patrols.get_patrol_settings.cache_clear()


# --- waitlist and cancellation --------------------------------------------------------------------


def test_a_freed_place_is_offered_in_order_and_must_be_confirmed_in_time(db):
    now = utcnow()
    shift = make_shift(db, max_volunteers=2, start_at=now + timedelta(days=5))
    a, b, c, d = (make_volunteer(db) for _ in range(4))
    for v in (a, b, c, d):
        patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=now)
    signup = {v.id: db.scalar(sa.select(Signup).where(Signup.volunteer_id == v.id)) for v in (a, b, c, d)}
    assert [signup[v.id].status for v in (a, b, c, d)] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]

    patrols.cancel_signup(db, volunteer=a, shift_id=shift.id, now=now)
    assert signup[c.id].status == "offered" and signup[d.id].status == "waitlisted"
    assert signup[c.id].offer_expires_at == now + timedelta(hours=12)
    assert _outbox(db, f"patrol:offer:{signup[c.id].id}:")
    # c does not answer: the expiry job passes the place on to d.
    assert jobs.waitlist_expiry(db, now=now + timedelta(hours=11)) == 0
    assert jobs.waitlist_expiry(db, now=now + timedelta(hours=12, minutes=1)) == 1
    assert signup[c.id].status == "expired" and signup[d.id].status == "offered"
    patrols.respond_to_offer(db, volunteer=d, shift_id=shift.id, accept=True, now=now + timedelta(hours=13))
    assert signup[d.id].status == "confirmed"
    db.refresh(shift)
    assert shift.places_taken == 2  # the counter (the fixture checks it against the rows)


def test_cancellation_deadline_and_coordinator_override(db):
    now = utcnow()
    shift = make_shift(db, start_at=now + timedelta(hours=20))
    volunteer = make_volunteer(db)
    signup = patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=now)
    with pytest.raises(CancellationDeadlinePassed) as info:
        patrols.cancel_signup(db, volunteer=volunteer, shift_id=shift.id, now=now)
    assert info.value.status_code == 403 and info.value.code == "cancellation_deadline_passed"
    assert signup.status == "confirmed"
    coordinator = make_user(db, role="coordinator")
    patrols.coordinator_cancel_signup(db, actor=coordinator, signup_id=signup.id, now=now)
    assert signup.status == "cancelled" and signup.cancelled_by_id == coordinator.id


# --- staffing, reminders and alerts ---------------------------------------------------------------


def test_staffing_states(db):
    shift = make_shift(db, min_volunteers=3, min_team_leads=1)
    now = utcnow()
    (item,) = patrols.staffing_for(db, [shift])
    assert item.state == "cannot_run"
    for lead in (True, False):
        patrols.book_shift(db, volunteer=make_volunteer(db, team_lead=lead), shift_id=shift.id, now=now)
    (item,) = patrols.staffing_for(db, [shift])
    assert item.state == "at_risk" and item.leads == 1
    patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=shift.id, now=now)
    (item,) = patrols.staffing_for(db, [shift])
    assert item.state == "ok"


def test_reminders_at_24h_and_2h_are_sent_once(db):
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    shift = make_shift(db, start_at=start)
    signup = patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=shift.id, now=utcnow())
    key = f"patrol:reminder:24h:{signup.id}:"
    assert jobs.shift_reminders(db, now=start - timedelta(hours=30)) == 0
    assert jobs.shift_reminders(db, now=start - timedelta(hours=23)) == 1
    assert jobs.shift_reminders(db, now=start - timedelta(hours=22)) == 0  # a restart sends nothing twice
    assert len(_outbox(db, key)) == 1
    assert jobs.shift_reminders(db, now=start - timedelta(hours=1, minutes=50)) == 1
    assert jobs.shift_reminders(db, now=start - timedelta(hours=1)) == 0
    assert len(_outbox(db, f"patrol:reminder:2h:{signup.id}:")) == 1


def test_understaffed_shift_alerts_coordinator_and_invites_free_volunteers_once(db):
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    shift = make_shift(db, start_at=start, min_volunteers=3)
    on_it = make_volunteer(db)
    patrols.book_shift(db, volunteer=on_it, shift_id=shift.id, now=utcnow())
    free = make_volunteer(db)
    paused = make_volunteer(db, status="paused")
    assert jobs.staffing_alerts(db, now=utcnow()) >= 2
    invited = {m.dedupe_key for m in _outbox(db, f"patrol:invite:{shift.id}:")}
    assert f"patrol:invite:{shift.id}:{free.id}" in invited
    assert (
        f"patrol:invite:{shift.id}:{on_it.id}" not in invited and f"patrol:invite:{shift.id}:{paused.id}" not in invited
    )
    assert _outbox(db, f"patrol:staffing:{shift.id}:")
    assert jobs.staffing_alerts(db, now=utcnow()) == 0


def test_lone_worker_alert_after_30_minutes_without_home_safe(db):
    now = utcnow()
    start = now - timedelta(hours=7)
    shift = make_shift(db, start_at=now + timedelta(days=1))
    safe, missing = make_volunteer(db), make_volunteer(db)
    for v in (safe, missing):
        patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=now)
    shift.start_at, shift.end_at = start, start + timedelta(hours=6)  # the night has happened
    db.flush()
    patrols.check_in(db, volunteer=missing, shift_id=shift.id, now=start)
    patrols.home_safe(db, volunteer=safe, shift_id=shift.id, now=shift.end_at + timedelta(minutes=10))
    assert jobs.lone_worker_alerts(db, now=shift.end_at + timedelta(minutes=20)) == 0
    assert jobs.lone_worker_alerts(db, now=shift.end_at + timedelta(minutes=31)) >= 1
    signup = db.scalar(sa.select(Signup).where(Signup.volunteer_id == missing.id))
    (alert, *_) = _outbox(db, f"patrol:lone-worker:{signup.id}:")
    assert "07700 900123" in alert.body and "checked in" in alert.body
    assert not _outbox(
        db, "patrol:lone-worker:" + str(db.scalar(sa.select(Signup.id).where(Signup.volunteer_id == safe.id))) + ":"
    )
    assert jobs.lone_worker_alerts(db, now=shift.end_at + timedelta(minutes=40)) == 0


def test_record_expiry_reminders_30_and_7_days_once_each(db):
    today = patrols.local(utcnow()).date()
    volunteer = make_volunteer(db, records=("dbs",), expires=today + timedelta(days=25))
    now = utcnow()
    assert jobs.record_expiry_reminders(db, now=now) >= 2  # volunteer + coordinator(s)
    assert jobs.record_expiry_reminders(db, now=now) == 0
    assert len(_outbox(db, "patrol:record:")) >= 2
    later = now + timedelta(days=19)  # 6 days before expiry
    assert jobs.record_expiry_reminders(db, now=later) >= 2
    keys = {m.dedupe_key for m in _outbox(db, "patrol:record:")}
    assert any(k.endswith(":7d:volunteer") for k in keys) and any(k.endswith(":30d:volunteer") for k in keys)
    del volunteer


# --- debrief and monthly report -------------------------------------------------------------------


def _past_shift_with_lead(db):
    now = utcnow()
    shift = make_shift(db, start_at=now + timedelta(days=1))
    lead = make_volunteer(db, team_lead=True)
    helper = make_volunteer(db)
    for v in (lead, helper):
        patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=now)
    shift.start_at, shift.end_at = now - timedelta(hours=8), now - timedelta(hours=2)
    db.flush()
    return shift, lead, helper


def test_team_lead_files_the_debrief_without_personal_data(db):
    shift, lead, helper = _past_shift_with_lead(db)
    lead_user = patrols.volunteer_user(db, lead)
    helper_user = patrols.volunteer_user(db, helper)
    people = [{"gender": "woman", "kinds": ["welfare"]}] * 7 + [{"gender": "woman", "kinds": ["escorted"]}] * 3
    people += [{"gender": "man", "kinds": ["first_aid"]}] * 2
    with pytest.raises(patrols.NotTeamLead):
        patrols.file_debrief(db, user=helper_user, shift_id=shift.id, people=people, now=utcnow())
    with pytest.raises(patrols.InvalidDebrief) as info:
        patrols.file_debrief(
            db,
            user=lead_user,
            shift_id=shift.id,
            people=people,
            summary="Helped Jo, call her on 07700 900456",
            now=utcnow(),
        )
    assert info.value.field == "summary"
    with pytest.raises(patrols.InvalidDebrief) as info:
        patrols.file_debrief(
            db,
            user=lead_user,
            shift_id=shift.id,
            people=people,
            incidents=[{"title": "Fight", "lon": -0.10, "lat": 51.50}],
            now=utcnow(),
        )
    assert info.value.field == "incidents.0.lon"
    with pytest.raises(patrols.InvalidDebrief) as info:
        patrols.file_debrief(
            db, user=lead_user, shift_id=shift.id, people=[{"gender": "woman", "kinds": ["juggling"]}], now=utcnow()
        )
    assert info.value.field == "people.0.kinds"
    assert patrols.debrief_view(db, shift.id, restricted=True) is None  # nothing stored by the refusals
    patrols.file_debrief(
        db,
        user=lead_user,
        shift_id=shift.id,
        people=people,
        summary="Busy night",
        incidents=[{"title": "Glass bottle thrown", "notes": "Police informed", "lon": -0.1340, "lat": 51.5138}],
        now=utcnow(),
    )
    coordinator_view = patrols.debrief_view(db, shift.id, restricted=True)
    assert coordinator_view.total == 12 and coordinator_view.incidents[0]["notes"] == "Police informed"
    assert patrols.debrief_view(db, shift.id, restricted=False).incidents[0]["notes"] is None


def test_monthly_report_and_csv_neutralise_formulas(db):
    shift, lead, helper = _past_shift_with_lead(db)
    area = patrols.get_area(db, shift.area_id)
    area.name = '=HYPERLINK("http://evil")'
    patrols.mark_no_show(
        db,
        actor=make_user(db, role="coordinator"),
        signup_id=patrols.repo.signup_for(db, shift.id, helper.id).id,
        no_show=True,
        now=utcnow(),
    )
    patrols.file_debrief(
        db,
        user=patrols.volunteer_user(db, lead),
        shift_id=shift.id,
        people=[{"gender": "woman", "kinds": ["welfare"]}] * 7 + [{"gender": "man", "kinds": ["welfare"]}] * 3,
        now=utcnow(),
    )
    month = patrols.local(shift.start_at).date().replace(day=1)
    report = patrols.monthly_report(db, month=month, now=utcnow())
    # Nobody checked in and the helper was a no-show: it took place below its minimum, so it is not "run".
    assert report.staffing.below_minimum_unconfirmed >= 1 and report.people >= 10
    mine = next(a for a in report.areas if a.name == area.name)
    assert mine.people == 10 and mine.women == 7 and mine.volunteer_hours == 6.0  # the no-show does not count
    assert patrols.volunteer_user(db, helper).display_name in report.inactive_volunteers
    rows = list(csv.reader(io.StringIO(patrols.monthly_csv(report))))
    assert rows[0] == ["month", "area", "measure", "value"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any(row[1] == "'" + area.name for row in rows)
    assert patrols.csv_cell("-1") == "'-1" and patrols.csv_cell("@x") == "'@x" and patrols.csv_cell(5) == "5"
