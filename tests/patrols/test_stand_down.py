"""Nobody patrols alone binds (issue 18): a shift below its minimum volunteers or team leads is stood
down at its stand-down time (T-2 h) unless a coordinator confirmed it with a reason; check-in on it is
refused with the reason; a coordinator can reinstate it before the start; the monthly report counts
a shift as run only at its minimum. On both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.db import utcnow
from nte.notifications.models import OutboxMessage
from nte.patrols import jobs
from nte.patrols import service as patrols
from nte.patrols.config import PatrolSettings
from nte.patrols.models import Shift, Signup
from tests.factories import bearer, login, make_patrol_area, make_shift, make_user, make_volunteer


def _outbox(db, prefix: str) -> list[OutboxMessage]:
    return list(db.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))))


def _audit(db, action: str, shift: Shift) -> list[AuditEvent]:
    return list(
        db.scalars(sa.select(AuditEvent).where(AuditEvent.action == action, AuditEvent.target_id == str(shift.id)))
    )


def _shift_with(
    db, *, volunteers: int = 1, leads: int = 0, start_in=timedelta(hours=1, minutes=30), hours: float = 5, **shift_args
):
    """A shift booked while it was days ahead, then moved to start ``start_in`` from now."""
    now = utcnow().replace(microsecond=0)
    shift_args.setdefault("min_volunteers", 4)
    shift = make_shift(db, start_at=now + timedelta(days=5), hours=hours, max_volunteers=8, **shift_args)
    people = [make_volunteer(db) for _ in range(volunteers)] + [
        make_volunteer(db, team_lead=True) for _ in range(leads)
    ]
    for volunteer in people:
        patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=now)
    shift.start_at = now + start_in
    shift.end_at = shift.start_at + timedelta(hours=hours)
    db.flush()
    return shift, people, now


# --- the defect seen on the demo: a lone volunteer could check in -------------------------------


def test_a_lone_volunteer_cannot_check_in_even_before_the_job_has_run(client, db):
    shift, (alone,), _ = _shift_with(db, volunteers=1, start_in=timedelta(minutes=30))
    r = client.post(f"/api/patrols/shifts/{shift.id}/check-in", headers=bearer(db, patrols.volunteer_user(db, alone)))
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "shift_stood_down"
    assert "nobody patrols alone" in r.json()["detail"]
    assert patrols.repo.signup_for(db, shift.id, alone.id).checked_in_at is None


def test_a_one_volunteer_night_checked_into_is_not_counted_as_run(db):
    """Old rows (or a scheduler that was down): one volunteer checked in on a shift of four."""
    shift, (alone,), now = _shift_with(db, volunteers=1, start_in=-timedelta(days=40))
    patrols.repo.signup_for(db, shift.id, alone.id).checked_in_at = shift.start_at
    db.flush()
    report = patrols.monthly_report(db, month=patrols.local(shift.start_at).date().replace(day=1), now=now)
    assert report.shifts_run == 0
    assert report.staffing.below_minimum_unconfirmed == 1


# --- the stand-down job ---------------------------------------------------------------------------


def test_the_job_stands_down_a_shift_below_its_minimum_and_tells_everyone_once(db):
    shift, people, now = _shift_with(db, volunteers=1)
    too_early = shift.start_at - timedelta(hours=3)
    assert jobs.stand_down_shifts(db, now=too_early) == 0
    assert shift.status == "scheduled" and shift.stood_down_at is None

    sent = jobs.stand_down_shifts(db, now=now)
    db.refresh(shift)
    assert shift.status == "cancelled" and shift.stood_down_at == now
    assert shift.stand_down_reason.startswith("1 of the 4 volunteers needed")
    mails = _outbox(db, f"patrol:stood-down:{shift.id}:")
    assert sent == len(mails) > 1
    to_volunteer = [m for m in mails if m.to_address == patrols.volunteer_user(db, people[0]).email]
    assert len(to_volunteer) == 1
    assert "will not run" in to_volunteer[0].body and shift.stand_down_reason in to_volunteer[0].body
    assert {m.to_address for m in mails} >= {u.email for u in patrols.repo.coordinators(db)}
    assert [e.detail["reason"] for e in _audit(db, "patrols.shift.stand_down", shift)] == [shift.stand_down_reason]

    # Idempotent: the next runs send nothing and change nothing.
    sequence = shift.sequence
    assert jobs.stand_down_shifts(db, now=now + timedelta(minutes=10)) == 0
    assert shift.sequence == sequence and len(_outbox(db, f"patrol:stood-down:{shift.id}:")) == len(mails)


def test_enough_volunteers_but_no_team_lead_is_stood_down_too(db):
    shift, _, now = _shift_with(db, volunteers=4, min_team_leads=1)
    jobs.stand_down_shifts(db, now=now)
    assert shift.stood_down_at is not None
    assert shift.stand_down_reason.startswith("0 of the 1 team leads needed")


def test_the_48_hour_alert_says_when_it_will_be_stood_down(db):
    shift, _, now = _shift_with(db, volunteers=1, start_in=timedelta(hours=30))
    patrols.staffing_alerts(db, now=now)
    (mail, *_) = _outbox(db, f"patrol:staffing:{shift.id}:")
    assert f"it is stood down at {patrols.fmt_local(shift.start_at - timedelta(hours=2))}" in mail.body


def test_a_shift_at_its_minimum_is_left_alone(db):
    shift, _, now = _shift_with(db, volunteers=3, leads=1, min_team_leads=1)
    assert jobs.stand_down_shifts(db, now=now) == 0
    assert shift.status == "scheduled" and shift.stood_down_at is None


def test_the_stand_down_time_is_a_setting(db):
    assert PatrolSettings().stand_down_hours == 2
    shift, _, now = _shift_with(db, volunteers=1, start_in=timedelta(hours=5))
    assert patrols.stand_down_shifts(db, now=now) == 0
    patrols.stand_down_shifts(db, now=now, settings=PatrolSettings(stand_down_hours=6))
    assert shift.stood_down_at is not None


def test_a_stood_down_series_night_stays_stood_down_when_the_series_is_materialised(db):
    now = datetime(2027, 3, 20, 12, tzinfo=UTC)
    series = patrols.create_series(
        db,
        actor=make_user(db, role="coordinator"),
        now=now,
        area_id=make_patrol_area(db).id,
        name="Saturday nights",
        rrule="FREQ=WEEKLY;BYDAY=SA",
        start_date=date(2027, 3, 1),
        start_time=time(22),
        end_time=time(4),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
    )
    night = db.scalars(sa.select(Shift).where(Shift.series_id == series.id).order_by(Shift.start_at)).first()
    jobs.stand_down_shifts(db, now=night.start_at - timedelta(hours=1))
    assert night.stood_down_at is not None
    patrols.materialise_series(db, series, now=night.start_at - timedelta(minutes=50))
    assert night.status == "cancelled" and night.stood_down_at is not None


# --- confirmation by a coordinator ----------------------------------------------------------------


def test_a_confirmed_shift_runs_below_its_minimum_and_the_team_is_told_with_the_reason(client, db):
    shift, people, now = _shift_with(db, volunteers=2)
    coordinator = make_user(db, role="coordinator")
    r = client.post(
        f"/api/patrols/shifts/{shift.id}/confirm-below-minimum",
        json={"reason": "  Quiet Tuesday;   Westminster's   team covers the west end  "},
        headers=bearer(db, coordinator),
    )
    assert r.status_code == 200, r.text
    assert r.json()["below_minimum_reason"] == "Quiet Tuesday; Westminster's team covers the west end"
    (event,) = _audit(db, "patrols.shift.confirm_below_minimum", shift)
    assert event.actor_user_id == coordinator.id and event.detail["confirmed"] == 2

    sent = jobs.stand_down_shifts(db, now=now)
    db.refresh(shift)
    assert shift.status == "scheduled" and shift.stood_down_at is None
    mails = _outbox(db, f"patrol:below-minimum:{shift.id}:")
    assert sent == len(mails) >= 3
    mine = next(m for m in mails if m.to_address == patrols.volunteer_user(db, people[0]).email)
    assert "runs with 2 volunteers" in mine.body and "Westminster's team covers the west end" in mine.body
    assert jobs.stand_down_shifts(db, now=now + timedelta(minutes=10)) == 0

    # The team can check in.
    start = shift.start_at
    patrols.check_in(db, volunteer=people[0], shift_id=shift.id, now=start)
    assert patrols.repo.signup_for(db, shift.id, people[0].id).checked_in_at == start


@pytest.mark.parametrize(
    ("reason", "message"), [("", "Give a reason"), ("   \n ", "Give a reason"), ("x" * 301, "300")]
)
def test_a_confirmation_needs_a_reason_named_in_a_422(client, db, reason, message):
    shift, _, _ = _shift_with(db, volunteers=2)
    r = client.post(
        f"/api/patrols/shifts/{shift.id}/confirm-below-minimum",
        json={"reason": reason},
        headers=bearer(db, make_user(db, role="coordinator")),
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "reason" and message in r.json()["detail"]
    assert shift.below_minimum_confirmed_at is None and _audit(db, "patrols.shift.confirm_below_minimum", shift) == []


def test_nobody_patrols_alone_whatever_a_coordinator_said(client, db):
    shift, (alone,), now = _shift_with(db, volunteers=1)
    r = client.post(
        f"/api/patrols/shifts/{shift.id}/confirm-below-minimum",
        json={"reason": "Experienced volunteer"},
        headers=bearer(db, make_user(db, role="coordinator")),
    )
    assert r.status_code == 409 and r.json()["error"] == "nobody_patrols_alone"

    # Confirmed with two, then one drops out: stood down all the same.
    shift2, (a, b), now = _shift_with(db, volunteers=2)
    coordinator = make_user(db, role="coordinator")
    patrols.confirm_below_minimum(db, actor=coordinator, shift_id=shift2.id, reason="Two is enough tonight", now=now)
    signup = patrols.repo.signup_for(db, shift2.id, b.id)
    patrols.coordinator_cancel_signup(db, actor=coordinator, signup_id=signup.id, now=now)
    jobs.stand_down_shifts(db, now=now)
    assert shift2.stood_down_at is not None and "nobody patrols alone" in shift2.stand_down_reason


# --- a stood-down shift: check-in, pages, feed ----------------------------------------------------


def test_check_in_on_a_stood_down_shift_is_refused_with_the_reason(client, db):
    shift, (alone,), now = _shift_with(db, volunteers=1, start_in=timedelta(minutes=30))
    jobs.stand_down_shifts(db, now=now)
    user = patrols.volunteer_user(db, alone)
    r = client.post(f"/api/patrols/shifts/{shift.id}/check-in", headers=bearer(db, user))
    assert r.status_code == 409
    assert r.json()["error"] == "shift_stood_down" and shift.stand_down_reason in r.json()["detail"]

    login(client, db, user)
    html = client.get("/volunteer").text
    assert f'action="/volunteer/shifts/{shift.id}/check-in"' not in html
    assert 'data-refused="check_in"' in html and "This patrol was stood down and will not run" in html
    assert shift.stand_down_reason in html and "data-stood-down" in html
    polish = client.get("/volunteer", headers={"accept-language": "pl"}).text
    assert "Ten patrol został odwołany i się nie odbędzie:" in polish and "Moja niezawodność" in polish


def test_a_stood_down_night_shows_on_the_board_the_shift_page_and_the_feed(client, db, settings):
    shift, (alone,), now = _shift_with(db, volunteers=1)
    token = patrols.issue_feed_token(db, volunteer=alone, now=now)
    before = patrols.feed_for_token(db, token=token, now=now, settings=settings)[0].decode()
    assert "STATUS:CONFIRMED" in before
    jobs.stand_down_shifts(db, now=now)
    after = patrols.feed_for_token(db, token=token, now=now, settings=settings)[0].decode()
    assert "STATUS:CANCELLED" in after and f"SEQUENCE:{shift.sequence}" in after

    login(client, db, make_user(db, role="coordinator"))
    board = client.get("/coordinator").text
    assert "Stood down" in board and shift.stand_down_reason in board
    page = client.get(f"/coordinator/shifts/{shift.id}").text
    assert 'id="stood-down"' in page and f'action="/coordinator/shifts/{shift.id}/reinstate"' in page
    api = client.get("/api/patrols/shifts", headers=bearer(db, make_user(db, role="coordinator"))).json()
    (mine,) = [s for s in api if s["id"] == shift.id]
    assert mine["staffing"] == "stood_down" and mine["stand_down_reason"] == shift.stand_down_reason


def test_the_shift_page_refuses_an_empty_reason_at_its_field(client, db):
    shift, _, _ = _shift_with(db, volunteers=2)
    csrf = login(client, db, make_user(db, role="coordinator"))
    page = client.get(f"/coordinator/shifts/{shift.id}").text
    assert f'action="/coordinator/shifts/{shift.id}/confirm-below-minimum"' in page
    r = client.post(
        f"/coordinator/shifts/{shift.id}/confirm-below-minimum",
        data={"csrf_token": csrf, "reason": "   "},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert 'id="reason-error"' in r.text and 'href="#reason"' in r.text
    assert shift.below_minimum_confirmed_at is None
    r = client.post(
        f"/coordinator/shifts/{shift.id}/confirm-below-minimum",
        data={"csrf_token": csrf, "reason": "Two experienced leads"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert 'id="below-minimum-confirmed"' in client.get(f"/coordinator/shifts/{shift.id}").text


# --- reinstating ----------------------------------------------------------------------------------


def test_a_coordinator_reinstates_a_stood_down_shift_before_its_start(client, db):
    shift, people, now = _shift_with(db, volunteers=2, leads=1, min_team_leads=2)
    jobs.stand_down_shifts(db, now=now)
    assert shift.stood_down_at is not None
    sequence = shift.sequence
    coordinator = make_user(db, role="coordinator")
    headers = bearer(db, coordinator)
    url = f"/api/patrols/shifts/{shift.id}/reinstate"
    assert client.post(url, json={"reason": ""}, headers=headers).json()["field"] == "reason"
    r = client.post(url, json={"reason": "A second team lead came forward"}, headers=headers)
    assert r.status_code == 200, r.text
    db.refresh(shift)
    assert shift.status == "scheduled" and shift.stood_down_at is None and shift.sequence > sequence
    assert shift.below_minimum_reason == "A second team lead came forward"
    (event,) = _audit(db, "patrols.shift.reinstate", shift)
    assert event.actor_user_id == coordinator.id and event.detail["stood_down_for"].startswith("3 of the 4")
    # Told: the shift-change mail to everyone on it; and the job does not stand it down again.
    changed = _outbox(db, f"patrol:shift-change:{shift.id}:{shift.sequence}:")
    assert len(changed) == len(people)
    jobs.stand_down_shifts(db, now=now + timedelta(minutes=10))
    assert shift.status == "scheduled"
    patrols.check_in(db, volunteer=people[0], shift_id=shift.id, now=shift.start_at)

    # Not twice, and not after the start.
    assert client.post(url, json={"reason": "again"}, headers=headers).status_code == 409


def test_reinstating_needs_two_and_the_start_not_passed(db):
    shift, (alone,), now = _shift_with(db, volunteers=1)
    jobs.stand_down_shifts(db, now=now)
    coordinator = make_user(db, role="coordinator")
    with pytest.raises(patrols.NobodyPatrolsAlone):
        patrols.reinstate_shift(db, actor=coordinator, shift_id=shift.id, reason="Someone else may come", now=now)
    with pytest.raises(patrols.ActionNotAllowedNow):
        patrols.reinstate_shift(db, actor=coordinator, shift_id=shift.id, reason="Late", now=shift.start_at)
    assert shift.stood_down_at is not None


# --- the monthly report ---------------------------------------------------------------------------


def test_the_monthly_report_counts_run_only_at_the_minimum_and_lists_stood_down_nights(client, db):
    coordinator = make_user(db, role="coordinator")
    real_now = utcnow().replace(microsecond=0)
    month_start = (patrols.local(real_now).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    area = make_patrol_area(db)

    def night(day: int, volunteers: int, leads: int = 0, **args):
        start = datetime.combine(month_start.replace(day=day), time(21), patrols.LONDON).astimezone(UTC)
        shift = make_shift(db, start_at=real_now + timedelta(days=day), area=area, **args)
        people = [make_volunteer(db) for _ in range(volunteers)]
        people += [make_volunteer(db, team_lead=True) for _ in range(leads)]
        for v in people:
            patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=real_now)
        shift.start_at, shift.end_at = start, start + timedelta(hours=5)
        db.flush()
        return shift, people

    full, full_team = night(3, 2, min_volunteers=2)
    thin, thin_team = night(10, 2, min_volunteers=4)
    down, _ = night(17, 1, min_volunteers=4)
    patrols.confirm_below_minimum(
        db, actor=coordinator, shift_id=thin.id, reason="Quiet night", now=thin.start_at - timedelta(hours=3)
    )
    jobs.stand_down_shifts(db, now=down.start_at - timedelta(hours=1))
    for shift, team in ((full, full_team), (thin, thin_team)):
        for v in team:
            patrols.check_in(db, volunteer=v, shift_id=shift.id, now=shift.start_at + timedelta(minutes=5))

    report = patrols.monthly_report(db, month=month_start, now=real_now)
    assert report.shifts_run == 1
    assert report.staffing.below_minimum_confirmed == 1 and report.staffing.below_minimum_unconfirmed == 0
    (stood,) = report.staffing.stood_down
    assert stood.area_name == area.name and stood.reason == down.stand_down_reason
    assert report.shifts_cancelled == 0  # stood down is counted on its own
    (mine,) = [a for a in report.areas if a.name == area.name]
    assert (mine.shifts_run, mine.shifts_below_minimum_confirmed, mine.shifts_stood_down) == (1, 1, 1)

    rows = list(csv.reader(io.StringIO(patrols.monthly_csv(report))))
    assert [month_start.strftime("%Y-%m"), "all", "shifts_below_minimum_confirmed", "1"] in rows
    assert [month_start.strftime("%Y-%m"), "all", "shifts_stood_down", "1"] in rows
    (line,) = [r for r in rows if r[2] == "stood_down_night"]
    assert line[1] == area.name and down.stand_down_reason in line[3]

    login(client, db, coordinator)
    html = client.get(f"/coordinator/reports/monthly?month={month_start:%Y-%m}").text
    assert 'data-measure="shifts_run">1<' in html and 'data-measure="below_minimum_confirmed">1<' in html
    assert down.stand_down_reason in html
    api = client.get(f"/api/patrols/reports/monthly?month={month_start:%Y-%m}", headers=bearer(db, coordinator))
    assert api.json()["shifts_below_minimum_confirmed"] == 1 and len(api.json()["stood_down"]) == 1


def test_the_monthly_page_renders_with_nothing_stood_down(client, db):
    login(client, db, make_user(db, role="coordinator"))
    html = client.get("/coordinator/reports/monthly?month=2001-01").text
    assert "No night was stood down this month." in html
    assert "No no-shows or late cancellations this month." in html


# --- the migration keeps old shifts ---------------------------------------------------------------


def test_migration_0015_keeps_every_shift_and_its_sign_ups(backend, tmp_path, request):
    from alembic.script import ScriptDirectory

    from nte.config import get_settings
    from nte.db import engine_for
    from nte.schema import alembic_config, downgrade, upgrade

    if backend == "spatialite":
        url = f"sqlite:///{tmp_path / 'before-stand-down.sqlite'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database("nte_before_stand_down")
    engine = engine_for(url, get_settings().spatialite_library)
    script = ScriptDirectory.from_config(alembic_config())
    before = [h for h in script.get_heads() if h != "0015_patrol_stand_down"]
    assert len(before) == len(script.get_heads()) - 1, "0015 is a head"
    for head in before:
        upgrade(engine, head)
    when = datetime(2026, 11, 20, 21, tzinfo=UTC)
    wkt = "POLYGON((-0.1395 51.5110, -0.1290 51.5110, -0.1290 51.5150, -0.1395 51.5150, -0.1395 51.5110))"
    with engine.begin() as conn:
        area = conn.execute(
            sa.text(
                "INSERT INTO patrol_area (name, area_km2, geom, created_at, updated_at) "
                "VALUES ('Old Soho', 0.3, ST_GeomFromText(:wkt, 4326), :t, :t) RETURNING id"
            ),
            {"wkt": wkt, "t": when},
        ).scalar_one()
        shift = conn.execute(
            sa.text(
                "INSERT INTO patrol_shift (area_id, start_at, end_at, min_volunteers, max_volunteers, "
                "min_team_leads, status, sequence, places_taken, last_modified_at, created_at) "
                "VALUES (:a, :s, :e, 4, 8, 1, 'scheduled', 3, 0, :t, :t) RETURNING id"
            ),
            {"a": area, "s": when, "e": when + timedelta(hours=5), "t": when},
        ).scalar_one()
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT status, sequence, min_volunteers, stood_down_at, stand_down_reason, "
                "below_minimum_confirmed_at, below_minimum_reason FROM patrol_shift WHERE id = :id"
            ),
            {"id": shift},
        ).one()
    assert tuple(row) == ("scheduled", 3, 4, None, None, None, None)
    downgrade(engine, "0008")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM patrol_shift")).scalar_one() == 1
    upgrade(engine)
    engine.dispose()


def test_signup_statuses_are_as_before(db):
    """Stand-down keeps the volunteers' places (reinstating gives them back): nothing is released."""
    shift, (a, b), now = _shift_with(db, volunteers=2)
    jobs.stand_down_shifts(db, now=now)
    statuses = set(db.scalars(sa.select(Signup.status).where(Signup.shift_id == shift.id)))
    assert statuses == {"confirmed"} and shift.places_taken == 2


def test_the_job_is_registered_with_the_scheduler():
    from nte.scheduler import job_by_id

    spec = job_by_id("patrols.stand_down")
    assert spec.load() is jobs.stand_down_shifts and spec.every_minutes == 10
