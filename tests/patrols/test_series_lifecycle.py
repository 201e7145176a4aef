"""The series lifecycle over the JSON API and in the service: pause (the nights are cancelled and
come back on the same rows), end, and change from a date in place (one series, its earlier rule
kept; history never rewritten), each refusal a clear 4xx naming the field (issue 18)."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from nte.db import utcnow
from nte.notifications.models import OutboxMessage
from nte.patrols import service as patrols
from nte.patrols.models import Shift, ShiftSeries
from nte.patrols.recurrence import weekly_rule
from tests.factories import bearer, make_patrol_area, make_user, make_volunteer


def _series(db, *, days=("FR", "SA"), start: date | None = None, now=None):
    now = now or utcnow()
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    series = patrols.create_series(
        db,
        actor=coordinator,
        area_id=area.id,
        name=f"Lifecycle {area.id}",
        rrule=weekly_rule(list(days)),
        start_date=start or patrols.local(now).date(),
        start_time=time(22),
        end_time=time(3),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
        now=now,
    )
    return coordinator, series


def _mails_for(db, shift: Shift) -> list[OutboxMessage]:
    key = f"patrol:shift-change:{shift.id}:"
    return list(db.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(key))))


def test_pause_and_resume_over_the_api_cancel_then_bring_back_the_same_nights(client, db):
    coordinator, series = _series(db)
    headers = bearer(db, coordinator)
    shifts = patrols.repo.shifts_of_series(db, series.id, from_at=utcnow())
    assert len(shifts) >= 14
    volunteer = make_volunteer(db)
    patrols.book_shift(db, volunteer=volunteer, shift_id=shifts[1].id, now=utcnow())
    r = client.post(f"/api/patrols/series/{series.id}/pause", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["series"]["is_active"] is False and body["told"] == 1
    assert body["cancelled"] == sum(1 for s in shifts if s.start_at > utcnow())
    db.expire_all()
    assert all(s.status == "cancelled" for s in shifts if s.start_at > utcnow())
    r = client.post(f"/api/patrols/series/{series.id}/pause", headers=headers)
    assert r.status_code == 409 and r.json()["field"] == "series_id" and "already paused" in r.json()["detail"]
    r = client.post(f"/api/patrols/series/{series.id}/resume", headers=headers)
    assert r.status_code == 200 and r.json()["series"]["is_active"] is True and r.json()["told"] == 1
    db.expire_all()
    again = patrols.repo.shifts_of_series(db, series.id, from_at=utcnow())
    assert {s.id for s in shifts} <= {s.id for s in again}
    assert all(s.status == "scheduled" for s in again)
    subjects = [m.subject.split(":")[0] for m in _mails_for(db, shifts[1])]
    assert subjects == ["Patrol cancelled", "Patrol changed"]


def test_end_and_change_over_the_api_name_the_field_of_every_mistake_and_store_nothing(client, db):
    coordinator, series = _series(db)
    headers = bearer(db, coordinator)
    today = patrols.local(utcnow()).date()
    url = f"/api/patrols/series/{series.id}"
    for body, field in (
        ({}, "end_date"),
        ({"end_date": "not a date"}, "end_date"),
        ({"end_date": str(today - timedelta(days=400))}, "end_date"),
    ):
        r = client.post(f"{url}/end", headers=headers, json=body)
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
    change = {
        "from_date": str(today + timedelta(days=14)),
        "rrule": "FREQ=WEEKLY;BYDAY=SA",
        "start_time": "21:00",
        "end_time": "02:00",
        "min_volunteers": 2,
        "max_volunteers": 6,
        "min_team_leads": 0,
    }
    for patch, field in (
        ({"from_date": str(today - timedelta(days=1))}, "from_date"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"start_time": "25:00"}, "start_time"),
        ({"min_volunteers": 1}, "min_volunteers"),
        ({"area_id": 999999}, "area_id"),
    ):
        r = client.post(f"{url}/change", headers=headers, json=change | patch)
        assert r.status_code == 422 and r.json()["field"] == field, (patch, r.text)
    db.expire_all()
    assert series.rrule == "FREQ=WEEKLY;BYDAY=FR,SA" and patrols.earlier_rules(db, series) == []
    for path in ("pause", "resume", "end", "change"):
        r = client.post(f"/api/patrols/series/999999/{path}", headers=headers, json=change | {"end_date": str(today)})
        assert r.status_code == 404, (path, r.text)
    volunteer_headers = bearer(db, make_user(db, role="volunteer"))
    assert client.post(f"{url}/pause", headers=volunteer_headers).status_code == 403
    # Right: the series changes in place and says so.
    r = client.post(f"{url}/change", headers=headers, json=change)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["series"]["id"] == series.id and body["series"]["rrule"] == "FREQ=WEEKLY;BYDAY=SA"
    [earlier] = body["series"]["earlier_rules"]
    assert earlier["rrule"].startswith("FREQ=WEEKLY;UNTIL=") and earlier["start_date"] == str(today)
    assert body["cancelled"] > 0 and body["moved"] > 0
    names = db.scalar(sa.select(sa.func.count()).select_from(ShiftSeries).where(ShiftSeries.name == series.name))
    assert names == 1
    r = client.post(f"{url}/end", headers=headers, json={"end_date": str(today + timedelta(days=7))})
    assert r.status_code == 200 and r.json()["series"]["earlier_rules"] == []  # the old rule is current again
    assert "UNTIL=" in r.json()["series"]["rrule"] and "FR,SA" in r.json()["series"]["rrule"]


def test_a_change_from_a_later_date_keeps_the_old_rule_for_the_nights_before_it_beyond_the_window(db):
    now = utcnow()
    coordinator, series = _series(db, days=("FR",), now=now)
    today = patrols.local(now).date()
    from_date = today + timedelta(weeks=20)  # far beyond the 8-week window
    patrols.change_series_from(
        db,
        actor=coordinator,
        series_id=series.id,
        from_date=from_date,
        rrule=weekly_rule(["SA"]),
        start_time=time(21),
        end_time=time(2),
        min_volunteers=3,
        max_volunteers=6,
        min_team_leads=0,
        meeting_point="Golden Square",
        now=now,
    )
    # Twenty weeks on, the run that makes those nights follows the old rule before from_date.
    later = now + timedelta(weeks=19)
    patrols.materialise_series(db, series, now=later)
    made = [s for s in patrols.repo.shifts_of_series(db, series.id) if s.start_at > later]
    before = [s for s in made if s.occurrence_date < from_date]
    after = [s for s in made if s.occurrence_date >= from_date]
    assert before and after
    assert all(s.occurrence_date.weekday() == 4 and s.status == "scheduled" for s in before)
    assert all(s.meeting_point is None and s.min_volunteers == 2 for s in before)
    assert all(s.occurrence_date.weekday() == 5 and s.meeting_point == "Golden Square" for s in after)
    assert all(s.min_volunteers == 3 and patrols.local(s.start_at).hour == 21 for s in after)


def test_history_is_never_rewritten_by_a_change_an_end_or_a_pause(db):
    now = utcnow()
    coordinator, series = _series(db, days=("MO", "TU", "WE", "TH", "FR", "SA", "SU"), now=now)
    later = now + timedelta(days=10)
    past = [s for s in patrols.repo.shifts_of_series(db, series.id) if s.start_at <= later]
    assert len(past) >= 9
    frozen = {s.id: (s.status, s.start_at, s.end_at, s.sequence) for s in past}
    today = patrols.local(later).date()
    patrols.change_series_from(
        db,
        actor=coordinator,
        series_id=series.id,
        from_date=today,
        rrule=weekly_rule(["SA"]),
        start_time=time(20),
        end_time=time(1),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
        meeting_point=None,
        now=later,
    )
    patrols.set_series_active(db, actor=coordinator, series_id=series.id, active=False, now=later)
    patrols.set_series_active(db, actor=coordinator, series_id=series.id, active=True, now=later)
    patrols.end_series(db, actor=coordinator, series_id=series.id, last_date=today + timedelta(days=30), now=later)
    for shift in past:
        assert (shift.status, shift.start_at, shift.end_at, shift.sequence) == frozen[shift.id]


def test_a_change_of_area_from_a_date_moves_the_kept_nights_there_and_tells_their_volunteers_old_to_new(db):
    now = utcnow()
    coordinator, series = _series(db, days=("FR",), now=now)
    old_area = patrols.get_area(db, series.area_id)
    new_area = make_patrol_area(db, name="Covent Garden patrol")
    shifts = [s for s in patrols.repo.shifts_of_series(db, series.id) if s.start_at > now]
    volunteer = make_volunteer(db)
    patrols.book_shift(db, volunteer=volunteer, shift_id=shifts[-1].id, now=now)
    from_date = shifts[-1].occurrence_date
    patrols.change_series_from(
        db,
        actor=coordinator,
        series_id=series.id,
        from_date=from_date,
        rrule=weekly_rule(["FR"]),
        start_time=time(22),
        end_time=time(3),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
        meeting_point="Piazza",
        area_id=new_area.id,
        now=now,
    )
    assert series.area_id == new_area.id
    assert [s.area_id for s in shifts[:-1]] == [old_area.id] * (len(shifts) - 1)
    assert shifts[-1].area_id == new_area.id and shifts[-1].status == "scheduled" and shifts[-1].sequence == 1
    [mail] = _mails_for(db, shifts[-1])
    assert mail.subject.startswith(f"Patrol changed: {new_area.name}")
    assert f"Was: {old_area.name}" in mail.body and f"Now: {new_area.name}" in mail.body and "Piazza" in mail.body
