"""Per-volunteer reliability (issue 18, after Engelsystem's angel statistics): no-shows and late
cancellations (a confirmed place given up after the cancellation deadline, which only a coordinator
can do on the volunteer's behalf) on the volunteer's profile, their own page and the monthly report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import login, make_patrol_area, make_shift, make_user, make_volunteer


def _last_month(now: datetime):
    return (patrols.local(now).date().replace(day=1) - timedelta(days=1)).replace(day=1)


def _history(db):
    """Last month: X is a no-show once, is taken off late once by a coordinator, cancels in time
    once and leaves a waitlist late once (the last two do not count). Y has a clean record."""
    now = utcnow().replace(microsecond=0)
    month = _last_month(now)
    area = make_patrol_area(db)
    coordinator = make_user(db, role="coordinator")
    x, y = make_volunteer(db, display_name="Xena Late"), make_volunteer(db, display_name="Yusuf Steady")
    others = [make_volunteer(db) for _ in range(2)]

    def night(day: int, people, *, max_volunteers: int = 6):
        shift = make_shift(db, start_at=now + timedelta(days=day), area=area, max_volunteers=max_volunteers)
        for v in people:
            patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=now)
        start = datetime.combine(month.replace(day=day), time(21), patrols.LONDON).astimezone(UTC)
        shift.start_at, shift.end_at = start, start + timedelta(hours=5)
        db.flush()
        return shift

    missed = night(2, [x, y, *others])
    patrols.mark_no_show(
        db,
        actor=coordinator,
        signup_id=patrols.repo.signup_for(db, missed.id, x.id).id,
        no_show=True,
        now=missed.start_at + timedelta(hours=1),
    )
    late = night(6, [x, y])
    patrols.coordinator_cancel_signup(
        db,
        actor=coordinator,
        signup_id=patrols.repo.signup_for(db, late.id, x.id).id,
        now=late.start_at - timedelta(hours=2),
    )
    in_time = night(10, [x, y])
    patrols.cancel_signup(db, volunteer=x, shift_id=in_time.id, now=in_time.start_at - timedelta(days=3))
    full = night(14, [*others, x], max_volunteers=2)
    assert patrols.repo.signup_for(db, full.id, x.id).status == "waitlisted"
    patrols.cancel_signup(db, volunteer=x, shift_id=full.id, now=full.start_at - timedelta(hours=1))
    return now, month, coordinator, x, y


def test_no_shows_and_late_cancellations_are_counted_per_volunteer(db):
    now, month, _, x, y = _history(db)
    first = datetime.combine(month, time(0), patrols.LONDON).astimezone(UTC)
    rows = patrols.reliability(db, start=first, end=now)
    assert [(r.name, r.no_shows, r.late_cancellations, r.late_by_coordinator) for r in rows] == [("Xena Late", 1, 1, 1)]
    assert patrols.volunteer_reliability(db, y, now=now).row.total == 0


def test_a_place_given_up_after_rejoining_the_waitlist_is_not_a_late_cancellation(db):
    now = utcnow().replace(microsecond=0)
    shift = make_shift(db, start_at=now + timedelta(days=3), max_volunteers=2)
    x = make_volunteer(db)
    patrols.book_shift(db, volunteer=x, shift_id=shift.id, now=now)
    patrols.cancel_signup(db, volunteer=x, shift_id=shift.id, now=now)
    for v in (make_volunteer(db), make_volunteer(db)):
        patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=now)
    patrols.book_shift(db, volunteer=x, shift_id=shift.id, now=now + timedelta(minutes=1))
    signup = patrols.repo.signup_for(db, shift.id, x.id)
    assert signup.status == "waitlisted"
    patrols.cancel_signup(db, volunteer=x, shift_id=shift.id, now=shift.start_at - timedelta(hours=1))
    assert not patrols.is_late_cancellation(signup, shift)


def test_the_profile_pages_show_reliability_over_a_stated_period(client, db):
    now, _, coordinator, x, _ = _history(db)
    since = f"{patrols.local(now - timedelta(days=365)):%d %b %Y}"
    login(client, db, coordinator)
    page = client.get(f"/coordinator/volunteers/{x.id}").text
    assert 'id="reliability"' in page and since in page
    assert "data-no-shows>1<" in page and "data-late-cancellations>1 (1 by a coordinator" in page

    login(client, db, patrols.volunteer_user(db, x))
    own = client.get("/volunteer").text
    assert f"Since {since}: 1 no-shows and 1 late cancellations" in own


def test_a_clean_record_renders_with_zeros(client, db):
    volunteer = make_volunteer(db)
    login(client, db, make_user(db, role="coordinator"))
    page = client.get(f"/coordinator/volunteers/{volunteer.id}").text
    assert "data-no-shows>0<" in page and "data-late-cancellations>0<" in page


def test_the_monthly_report_and_its_csv_have_a_per_volunteer_table(client, db):
    now, month, coordinator, _, _ = _history(db)
    report = patrols.monthly_report(db, month=month, now=now)
    assert [(r.name, r.no_shows, r.late_cancellations) for r in report.staffing.reliability] == [("Xena Late", 1, 1)]
    rows = list(csv.reader(io.StringIO(patrols.monthly_csv(report))))
    assert [f"{month:%Y-%m}", "volunteer: Xena Late", "no_shows", "1"] in rows
    assert [f"{month:%Y-%m}", "volunteer: Xena Late", "late_cancellations", "1"] in rows
    assert not any("Yusuf" in cell for row in rows for cell in row if row[2] in ("no_shows", "late_cancellations"))
    login(client, db, coordinator)
    html = client.get(f"/coordinator/reports/monthly?month={month:%Y-%m}").text
    assert "<td><bdi>Xena Late</bdi></td><td>1</td><td>1 (1 by a coordinator)</td>" in html
