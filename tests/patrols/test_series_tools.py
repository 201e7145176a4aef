"""The coordinator's series tools on both databases: the rule built from the pickers (weekday sets,
past midnight, UNTIL, the clock-change weeks in Europe/London), every form error at once, and pause,
end and change-from-a-date (what is cancelled or moved, and who is told)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.db import utcnow
from nte.notifications.models import OutboxMessage
from nte.patrols import service as patrols
from nte.patrols.exceptions import ActionNotAllowedNow, InvalidSeriesInput
from nte.patrols.models import ShiftSeries
from nte.patrols.recurrence import (
    InvalidSeries,
    ShiftSeriesSpec,
    materialise,
    plain_words,
    weekdays_of,
    weekly_rule,
    with_until,
)
from tests.factories import login, make_patrol_area, make_user, make_volunteer

NOW = datetime(2027, 3, 15, 12, tzinfo=UTC)  # a Monday; British Summer Time starts on 28 March


def _spec(rule: str, start: date = date(2027, 3, 1), begin: time = time(22), end: time = time(3)) -> ShiftSeriesSpec:
    return ShiftSeriesSpec(rrule=rule, start_date=start, start_time=begin, end_time=end)


def _nights(spec: ShiftSeriesSpec, first: datetime, last: datetime):
    return materialise(spec, window_start=first, window_end=last)


# --- the rule builder -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "interval", "expected"),
    [
        (["FR"], 1, "FREQ=WEEKLY;BYDAY=FR"),
        (["SA", "FR", "FR"], 1, "FREQ=WEEKLY;BYDAY=FR,SA"),
        (["SU", "MO", "TU", "WE", "TH", "FR", "SA"], 1, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"),
        (["th", "sa"], 2, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,SA"),
    ],
)
def test_weekday_sets_make_one_weekly_rule_that_reads_back(days, interval, expected):
    rule = weekly_rule(days, interval=interval)
    assert rule == expected
    codes, every = weekdays_of(rule)
    assert every == interval and codes == sorted({d.upper() for d in days}, key="MOTUWETHFRSASU".index)


def test_no_weekday_or_an_unknown_one_is_refused_naming_the_weekdays():
    for days in ([], ["XX"]):
        with pytest.raises(InvalidSeries) as info:
            weekly_rule(days)
        assert info.value.field == "weekdays"


def test_past_midnight_nights_end_the_next_morning_and_until_includes_the_last_night():
    rule = weekly_rule(["FR", "SA"], until=date(2027, 2, 27))
    assert rule == "FREQ=WEEKLY;UNTIL=20270227;BYDAY=FR,SA"
    spec = _spec(rule, start=date(2026, 12, 4))
    assert plain_words(spec) == "Every Friday and Saturday, 22:00 to 03:00, from 4 Dec 2026 until 27 Feb 2027"
    nights = _nights(spec, datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC))
    assert nights[0].occurrence_date == date(2026, 12, 4)
    assert nights[0].start_at == datetime(2026, 12, 4, 22, tzinfo=UTC)
    assert nights[0].end_at == datetime(2026, 12, 5, 3, tzinfo=UTC)  # the next morning
    assert nights[-1].occurrence_date == date(2027, 2, 27)  # UNTIL is inclusive: the whole local day
    assert len(nights) == 26 and {n.occurrence_date.weekday() for n in nights} == {4, 5}


def test_every_second_week_skips_the_weeks_between():
    spec = _spec(weekly_rule(["SA"], interval=2), start=date(2027, 1, 2))
    days = [
        n.occurrence_date for n in _nights(spec, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
    ]
    assert days == [date(2027, 1, 2), date(2027, 1, 16), date(2027, 1, 30)]
    assert plain_words(spec).startswith("Every other Saturday, 22:00 to 03:00")


def test_the_clock_change_weeks_keep_london_wall_clock_times():
    spec = _spec(weekly_rule(["FR", "SA"]))
    spring = {
        n.occurrence_date: n
        for n in _nights(spec, datetime(2027, 3, 25, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC))
    }
    # Saturday 27 March 22:00 GMT to Sunday 03:00 BST: the clocks go forward, 4 hours.
    assert spring[date(2027, 3, 27)].start_at == datetime(2027, 3, 27, 22, tzinfo=UTC)
    assert spring[date(2027, 3, 27)].end_at == datetime(2027, 3, 28, 2, tzinfo=UTC)
    assert spring[date(2027, 3, 27)].duration == timedelta(hours=4)
    assert spring[date(2027, 3, 26)].duration == timedelta(hours=5)
    autumn = {
        n.occurrence_date: n
        for n in _nights(spec, datetime(2027, 10, 28, tzinfo=UTC), datetime(2027, 11, 2, tzinfo=UTC))
    }
    # Saturday 30 October 22:00 BST to Sunday 03:00 GMT: the clocks go back, 6 hours.
    assert autumn[date(2027, 10, 30)].start_at == datetime(2027, 10, 30, 21, tzinfo=UTC)
    assert autumn[date(2027, 10, 30)].end_at == datetime(2027, 10, 31, 3, tzinfo=UTC)
    assert autumn[date(2027, 10, 30)].duration == timedelta(hours=6)
    assert autumn[date(2027, 10, 29)].duration == timedelta(hours=5)


def test_with_until_replaces_count_or_until():
    assert with_until("FREQ=WEEKLY;BYDAY=FR;COUNT=3", date(2027, 1, 1)) == "FREQ=WEEKLY;UNTIL=20270101;BYDAY=FR"
    assert with_until("FREQ=WEEKLY;UNTIL=20300101;BYDAY=FR", date(2027, 1, 1)) == "FREQ=WEEKLY;UNTIL=20270101;BYDAY=FR"


# --- pause, end and change from a date (service, both databases) --------------------------------


def _fri_sat(db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    series = patrols.create_series(
        db,
        actor=coordinator,
        area_id=area.id,
        name="Weekend nights",
        rrule=weekly_rule(["FR", "SA"]),
        start_date=date(2027, 3, 19),
        start_time=time(22),
        end_time=time(3),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
        now=NOW,
    )
    return coordinator, series


def _shift_on(db, series_id: int, day: date):
    return next(s for s in patrols.repo.shifts_of_series(db, series_id) if s.occurrence_date == day)


def _booked(db, series, day: date):
    volunteer = make_volunteer(db)
    shift = _shift_on(db, series.id, day)
    patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=NOW)
    return volunteer, shift


def _told(db, shift) -> list[OutboxMessage]:
    return list(
        db.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(f"patrol:shift-change:{shift.id}:"))
        )
    )


def _audit(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_pause_cancels_the_nights_made_tells_their_volunteers_and_resume_brings_the_same_rows_back(db):
    coordinator, series = _fri_sat(db)
    volunteer, shift = _booked(db, series, date(2027, 3, 26))
    made = patrols.repo.shifts_of_series(db, series.id)
    assert len(made) == 16  # Friday and Saturday over 8 weeks
    sequences = {s.id: s.sequence for s in made}
    patrols.set_series_active(db, actor=coordinator, series_id=series.id, active=False, now=NOW)
    # Paused: no patrol of the series runs; every night is kept, shown cancelled, sign-ups kept.
    assert all(s.status == "cancelled" and s.sequence == sequences[s.id] + 1 for s in made)
    [mail] = _told(db, shift)
    assert mail.subject.startswith("Patrol cancelled")
    with pytest.raises(ActionNotAllowedNow, match="already paused"):
        patrols.set_series_active(db, actor=coordinator, series_id=series.id, active=False, now=NOW)
    later = NOW + timedelta(days=21)
    assert patrols.materialise_series(db, series, now=later) == (0, 0)  # paused: nothing new, nothing told
    assert len(patrols.repo.shifts_of_series(db, series.id)) == 16 and len(_told(db, shift)) == 1
    patrols.set_series_active(db, actor=coordinator, series_id=series.id, active=True, now=NOW + timedelta(days=1))
    # The same rows come back with their sign-ups; their volunteers are told it is back on.
    assert all(s.status == "scheduled" for s in made)
    signups = [(s.volunteer_id, s.status) for s, _v, _u in patrols.repo.signups_for_shift(db, shift.id)]
    assert signups == [(volunteer.id, "confirmed")]
    back = [m for m in _told(db, shift) if m.subject.startswith("Patrol changed")]
    assert len(back) == 1 and "back on" in back[0].body
    patrols.materialise_series(db, series, now=later)
    assert len(patrols.repo.shifts_of_series(db, series.id)) == 22  # three more weeks scheduled
    assert len(_audit(db, "patrols.series.pause")) >= 1 and len(_audit(db, "patrols.series.resume")) >= 1


def test_end_after_a_date_cancels_later_nights_and_tells_their_volunteers(db):
    coordinator, series = _fri_sat(db)
    _kept_volunteer, kept = _booked(db, series, date(2027, 3, 27))
    _dropped_volunteer, dropped = _booked(db, series, date(2027, 4, 2))
    result = patrols.end_series(db, actor=coordinator, series_id=series.id, last_date=date(2027, 3, 27), now=NOW)
    assert series.rrule == "FREQ=WEEKLY;UNTIL=20270327;BYDAY=FR,SA"
    assert kept.status == "scheduled" and _told(db, kept) == []
    assert dropped.status == "cancelled"
    mails = _told(db, dropped)
    assert len(mails) == 1 and mails[0].subject.startswith("Patrol cancelled")
    later = [s for s in patrols.repo.shifts_of_series(db, series.id) if s.occurrence_date > date(2027, 3, 27)]
    assert later and all(s.status == "cancelled" for s in later)
    assert (result.cancelled, result.told) == (len(later), 1)
    event = _audit(db, "patrols.series.end")[-1]
    assert event.target_id == str(series.id) and event.detail["until"] == "2027-03-27"


@pytest.mark.parametrize(
    ("last", "words"),
    [(date(2027, 3, 1), "before the series starts"), (date(2027, 3, 19) - timedelta(days=0), None)],
)
def test_end_refusals_are_plain_and_name_the_end_date(db, last, words):
    coordinator, series = _fri_sat(db)
    if words is None:  # a date in the past (the series started before it)
        series.start_date = date(2027, 3, 1)
        last, words = date(2027, 3, 12), "in the past"
    with pytest.raises(InvalidSeriesInput, match=words) as info:
        patrols.end_series(db, actor=coordinator, series_id=series.id, last_date=last, now=NOW)
    assert info.value.field == "end_date" and info.value.status_code == 422


def test_change_from_a_date_moves_kept_nights_drops_the_others_and_tells_only_those_volunteers(db):
    coordinator, series = _fri_sat(db)
    _before_volunteer, before = _booked(db, series, date(2027, 3, 26))
    _dropped_volunteer, dropped = _booked(db, series, date(2027, 4, 2))
    moved_volunteer, moved = _booked(db, series, date(2027, 4, 3))
    result = patrols.change_series_from(
        db,
        actor=coordinator,
        series_id=series.id,
        from_date=date(2027, 4, 1),
        rrule=weekly_rule(["SA"]),
        start_time=time(21),
        end_time=time(2),
        min_volunteers=3,
        max_volunteers=8,
        min_team_leads=0,
        meeting_point="Soho Square",
        now=NOW,
    )
    new = result.series
    # Changed in place: one series (same id and name), its earlier rule kept for the nights before.
    assert new.id == series.id and new.start_date == date(2027, 4, 1) and series.rrule == "FREQ=WEEKLY;BYDAY=SA"
    [earlier] = patrols.repo.earlier_rules(db, series.id)
    assert (earlier.rrule, earlier.start_date) == ("FREQ=WEEKLY;UNTIL=20270331;BYDAY=FR,SA", date(2027, 3, 19))
    assert db.scalar(sa.select(sa.func.count()).select_from(ShiftSeries).where(ShiftSeries.name == series.name)) == 1
    # Before the date: untouched, nobody told.
    assert before.series_id == series.id and before.start_at == datetime(2027, 3, 26, 22, tzinfo=UTC)
    assert _told(db, before) == []
    # A Friday after it: the new rule has no Fridays, so it is cancelled and its volunteer told.
    assert dropped.status == "cancelled" and len(_told(db, dropped)) == 1
    # A Saturday after it: the same shift (same calendar UID), new times and place, sign-up kept, told.
    assert moved.series_id == new.id and moved.status == "scheduled"
    assert moved.start_at == datetime(2027, 4, 3, 20, tzinfo=UTC)  # 21:00 BST
    assert moved.meeting_point == "Soho Square" and (moved.min_volunteers, moved.max_volunteers) == (3, 8)
    [mail] = _told(db, moved)
    assert mail.subject.startswith("Patrol changed") and "Soho Square" in mail.body
    assert "Was: " in mail.body and "Sat 03 Apr 2027 22:00" in mail.body and "Now: " in mail.body
    assert "Sat 03 Apr 2027 21:00" in mail.body  # old -> new, London time
    signups = [s for s, _v, _u in patrols.repo.signups_for_shift(db, moved.id)]
    assert [(s.volunteer_id, s.status) for s in signups] == [(moved_volunteer.id, "confirmed")]
    saturdays = [
        s.occurrence_date
        for s in patrols.repo.shifts_of_series(db, new.id)
        if s.occurrence_date >= date(2027, 4, 1) and s.status == "scheduled"
    ]
    assert saturdays == [date(2027, 4, 3) + timedelta(weeks=k) for k in range(6)]
    assert (result.moved, result.cancelled, result.told) == (6, 6, 2)  # 6 Saturdays, 6 Fridays in 8 weeks
    assert _audit(db, "patrols.series.change")[-1].detail["from"] == "2027-04-01"


def test_change_from_a_past_date_or_with_bad_values_gives_every_error_at_once(db):
    coordinator, series = _fri_sat(db)
    with pytest.raises(patrols.SeriesFormInvalid) as info:
        patrols.change_series_from(
            db,
            actor=coordinator,
            series_id=series.id,
            from_date=date(2027, 3, 1),
            rrule=weekly_rule(["SA"]),
            start_time=time(21),
            end_time=time(21),
            min_volunteers=1,
            max_volunteers=8,
            min_team_leads=0,
            meeting_point=None,
            now=NOW,
        )
    assert set(info.value.errors) == {"from_date", "end_time", "min_volunteers"}
    assert "past" in info.value.errors["from_date"] or "later date" in info.value.errors["from_date"]
    assert db.scalar(sa.select(sa.func.count()).select_from(ShiftSeries).where(ShiftSeries.name == series.name)) == 1


# --- the pages: every error at once, values kept ---------------------------------------------------


def _summary(html: str) -> list[str]:
    block = html[html.index('id="error-summary"') :]
    block = block[: block.index("</div>")]
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<a href="#[^"]+">([^<]+)</a>', block)]


def _series_form(area_id: int, **fields) -> dict:
    today = patrols.local(utcnow()).date()
    values = {
        "area_id": str(area_id),
        "name": "Picker nights",
        "weekdays": ["FR", "SA"],
        "start_time": "22:00",
        "end_time": "03:00",
        "start_date": today.isoformat(),
        "end_date": "",
        "min_volunteers": "2",
        "max_volunteers": "6",
        "min_team_leads": "0",
        "meeting_point": "",
    }
    values.update(fields)
    return values


def test_series_form_shows_every_error_at_once_and_keeps_the_values(client, db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    csrf = login(client, db, coordinator)
    data = _series_form(area.id, weekdays=[], end_time="", min_volunteers="1", name="Kept name 7")
    r = client.post("/coordinator/series", data={"csrf_token": csrf, **data}, follow_redirects=False)
    assert r.status_code == 422
    assert _summary(r.text) == [
        "Tick at least one weekday (or write a rule under Advanced).",
        "Enter an end time, for example 03:00 (earlier than the start means the next morning).",
        "Nobody patrols alone: the minimum must be at least 2 volunteers.",
    ]
    for field in ("weekdays", "end_time", "min_volunteers"):
        assert f'id="{field}-error"' in r.text
    assert 'value="Kept name 7"' in r.text and 'value="22:00"' in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(ShiftSeries).where(ShiftSeries.name == "Kept name 7")) == 0


def test_series_form_end_date_before_start_and_a_bad_advanced_rule_are_named(client, db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    csrf = login(client, db, coordinator)
    today = patrols.local(utcnow()).date()
    data = _series_form(area.id, end_date=(today - timedelta(days=1)).isoformat(), name="")
    r = client.post("/coordinator/series", data={"csrf_token": csrf, **data}, follow_redirects=False)
    assert r.status_code == 422
    assert 'id="end_date-error"' in r.text and 'id="name-error"' in r.text
    data = _series_form(area.id, rrule="Every Friday night")
    r = client.post("/coordinator/series", data={"csrf_token": csrf, **data}, follow_redirects=False)
    assert r.status_code == 422 and 'id="rrule-error"' in r.text and "Every Friday night" in r.text


def test_series_from_the_pickers_preview_then_save_and_advanced_text_wins(client, db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    csrf = login(client, db, coordinator)
    today = patrols.local(utcnow()).date()
    until = today + timedelta(days=60)
    data = _series_form(area.id, end_date=until.isoformat(), name="Preview only")
    r = client.post("/coordinator/series", data={"csrf_token": csrf, "action": "preview", **data})
    assert r.status_code == 200
    preview = r.text[r.text.index('id="rule-preview"') :]
    assert "Every Friday and Saturday, 22:00 to 03:00, from " in preview
    assert f"FREQ=WEEKLY;UNTIL={until:%Y%m%d};BYDAY=FR,SA" in preview
    assert db.scalar(sa.select(sa.func.count()).select_from(ShiftSeries).where(ShiftSeries.name == "Preview only")) == 0
    r = client.post("/coordinator/series", data={"csrf_token": csrf, **data}, follow_redirects=False)
    assert r.status_code == 303
    saved = db.scalar(sa.select(ShiftSeries).where(ShiftSeries.name == "Preview only"))
    assert saved.rrule == f"FREQ=WEEKLY;UNTIL={until:%Y%m%d};BYDAY=FR,SA"
    data = _series_form(area.id, name="Last Fridays", weekdays=["MO"], rrule="FREQ=MONTHLY;BYDAY=-1FR")
    r = client.post("/coordinator/series", data={"csrf_token": csrf, **data}, follow_redirects=False)
    assert r.status_code == 303
    assert (
        db.scalar(sa.select(ShiftSeries.rrule).where(ShiftSeries.name == "Last Fridays")) == "FREQ=MONTHLY;BYDAY=-1FR"
    )


def test_area_form_shows_every_error_at_once_and_gives_the_shape_back(client, db):
    coordinator = make_user(db, role="coordinator")
    csrf = login(client, db, coordinator)
    camden = {
        "type": "Polygon",
        "coordinates": [
            [[-0.1340, 51.5160], [-0.1280, 51.5160], [-0.1280, 51.5200], [-0.1340, 51.5200], [-0.1340, 51.5160]]
        ],
    }
    posted = json.dumps(camden)
    r = client.post(
        "/coordinator/areas", data={"csrf_token": csrf, "name": "", "geometry": posted}, follow_redirects=False
    )
    assert r.status_code == 422
    summary = _summary(r.text)
    assert summary[0] == "Enter a name for the area."
    assert "lies outside the boroughs this council covers" in summary[1] and len(summary) == 2
    textarea = r.text[r.text.index('<textarea id="geometry"') :]
    assert json.loads(textarea[textarea.index(">") + 1 : textarea.index("</textarea>")].replace("&#34;", '"')) == camden
    assert 'data-wards-url="/api/wards"' in r.text


def test_series_detail_pause_end_and_change_pages_answer_refusals_in_plain_words(client, db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    csrf = login(client, db, coordinator)
    today = patrols.local(utcnow()).date()
    series = patrols.create_series(
        db,
        actor=coordinator,
        area_id=area.id,
        name="Page series",
        rrule="FREQ=WEEKLY;BYDAY=FR",
        start_date=today,
        start_time=time(22),
        end_time=time(4),
        min_volunteers=2,
        max_volunteers=4,
        min_team_leads=0,
        now=utcnow(),
    )
    base = f"/coordinator/series/{series.id}"
    r = client.post(base + "/pause", data={"csrf_token": csrf, "action": "pause"}, follow_redirects=False)
    assert r.status_code == 303 and "Series paused" in client.get(r.headers["location"]).text
    r = client.post(base + "/pause", data={"csrf_token": csrf, "action": "pause"}, follow_redirects=False)
    assert r.status_code == 409 and _summary(r.text) == ["This series is already paused."]
    assert 'id="resume-series"' in r.text
    r = client.post(base + "/pause", data={"csrf_token": csrf, "action": "resume"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(base + "/end", data={"csrf_token": csrf, "end_date": ""}, follow_redirects=False)
    assert r.status_code == 422 and _summary(r.text) == ["Enter the date of the last night."]
    r = client.post(base + "/end", data={"csrf_token": csrf, "end_date": (today - timedelta(days=400)).isoformat()})
    assert r.status_code == 422 and "before the series starts" in _summary(r.text)[0]
    r = client.post(
        base + "/change",
        data={
            "csrf_token": csrf,
            "from_date": (today - timedelta(days=2)).isoformat(),
            "new_start_time": "22:00",
            "new_end_time": "",
            "new_min_volunteers": "2",
            "new_max_volunteers": "4",
            "new_min_team_leads": "0",
        },
    )
    assert r.status_code == 422
    assert _summary(r.text) == [
        "Choose today or a later date: nights already past are not changed.",
        "Tick at least one weekday (or write a rule under Advanced).",
        "Enter an end time, for example 03:00 (earlier than the start means the next morning).",
    ]
    assert 'id="new_weekdays-error"' in r.text and 'id="new_end_time-error"' in r.text
    r = client.post(
        base + "/change",
        data={
            "csrf_token": csrf,
            "from_date": today.isoformat(),
            "new_weekdays": ["SA"],
            "new_start_time": "21:00",
            "new_end_time": "02:00",
            "new_min_volunteers": "2",
            "new_max_volunteers": "4",
            "new_min_team_leads": "0",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:2000]
    assert db.scalar(sa.select(ShiftSeries.rrule).where(ShiftSeries.id == series.id)) == "FREQ=WEEKLY;BYDAY=SA"


def test_the_series_list_says_running_paused_or_ended(client, db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    login(client, db, coordinator)
    today = patrols.local(utcnow()).date()
    made = {}
    for name, rule in (
        ("Runs on", "FREQ=WEEKLY;BYDAY=FR"),
        ("Ended already", f"FREQ=WEEKLY;UNTIL={today - timedelta(days=3):%Y%m%d};BYDAY=FR"),
        ("Paused now", "FREQ=WEEKLY;BYDAY=SA"),
    ):
        made[name] = patrols.create_series(
            db,
            actor=coordinator,
            area_id=area.id,
            name=f"{name} {area.id}",
            rrule=rule,
            start_date=today - timedelta(days=30),
            start_time=time(22),
            end_time=time(3),
            min_volunteers=2,
            max_volunteers=4,
            min_team_leads=0,
            now=utcnow(),
        )
    patrols.set_series_active(db, actor=coordinator, series_id=made["Paused now"].id, active=False, now=utcnow())
    html = client.get("/coordinator/series").text
    for name, state in (("Runs on", "Running"), ("Ended already", "Ended"), ("Paused now", "Paused")):
        row = html[html.index(f"/coordinator/series/{made[name].id}") :]
        assert f"<td>{state}</td>" in row[: row.index("</tr>")], (name, row[:600])
