"""The demo loader makes a Soho area, a Friday 22:00-04:00 series and the demo volunteer's profile, idempotently."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from rich.console import Console

from nte.patrols import demo
from nte.patrols import service as patrols
from nte.patrols.models import PatrolArea, Shift, ShiftSeries, Volunteer
from nte.wards.service import locate
from tests.factories import make_user


def test_demo_loader_is_idempotent(db, settings):
    make_user(db, role="coordinator", email="coordinator@demo.nte-safe.invalid")
    volunteer_user = make_user(db, role="volunteer", email="volunteer@demo.nte-safe.invalid")
    console = Console(file=io.StringIO())
    demo.load_demo(db, console)
    counts = [db.scalar(sa.select(sa.func.count()).select_from(m)) for m in (PatrolArea, ShiftSeries, Shift)]
    demo.load_demo(db, console)
    assert [db.scalar(sa.select(sa.func.count()).select_from(m)) for m in (PatrolArea, ShiftSeries, Shift)] == counts
    area = db.scalar(sa.select(PatrolArea).where(PatrolArea.name == demo.AREA_NAME))
    centre = patrols._area_geometry(area).representative_point()
    ward = locate(db, lon=centre.x, lat=centre.y, settings=settings)
    assert ward.name == "West End" and ward.borough_name == "Westminster"
    series = db.scalar(sa.select(ShiftSeries).where(ShiftSeries.name == demo.SERIES_NAME))
    assert patrols.describe_series(db, series) == "Every Friday, 22:00-04:00 (Europe/London)"
    volunteer = db.scalar(sa.select(Volunteer).where(Volunteer.user_id == volunteer_user.id))
    assert volunteer.status == "active" and volunteer.is_team_lead
    shift = db.scalar(sa.select(Shift).where(Shift.series_id == series.id).order_by(Shift.start_at).limit(1))
    assert patrols.eligibility_problem(db, volunteer, on=patrols.local(shift.end_at).date()) is None


def test_the_demo_debrief_records_each_person_once(db, settings):
    make_user(db, role="coordinator", email="coordinator@demo.nte-safe.invalid")
    console = Console(file=io.StringIO())
    demo.load_demo(db, console)
    demo.load_demo(db, console)
    area = db.scalar(sa.select(PatrolArea).where(PatrolArea.name == demo.AREA_NAME))
    past = [s for s in db.scalars(sa.select(Shift).where(Shift.area_id == area.id)) if s.series_id is None]
    assert len(past) == 1
    view = patrols.debrief_view(db, past[0].id, restricted=True)
    assert view is not None and not view.estimated and view.total == len(demo.DEMO_PEOPLE) == 8
    assert view.actions == sum(len(p.kinds) for p in view.people) > view.total
    assert view.people_by_gender == {"woman": 5, "man": 2, "not_recorded": 1}
    # The police hand-over is the kind "handed to ambulance or police" too.
    assert [p.kinds for p in view.people if p.handover == "police"] == [("handed_over", "other")]


def test_last_friday_ran_with_a_team_and_the_monthly_report_counts_it_as_run(db):
    make_user(db, role="coordinator", email="coordinator@demo.nte-safe.invalid")
    make_user(db, role="volunteer", email="volunteer@demo.nte-safe.invalid", display_name="Demo Volunteer")
    console = Console(file=io.StringIO())
    demo.load_demo(db, console)
    demo.load_demo(db, console)  # the team is added once
    area = db.scalar(sa.select(PatrolArea).where(PatrolArea.name == demo.AREA_NAME))
    [past] = [s for s in db.scalars(sa.select(Shift).where(Shift.area_id == area.id)) if s.series_id is None]
    team = patrols.roster(db, past.id)
    assert sorted(user.display_name for _signup, _volunteer, user in team) == ["Demo Teammate", "Demo Volunteer"]
    assert all(signup.checked_in_at and signup.home_safe_at for signup, _v, _u in team)
    assert past.places_taken == 2
    month = patrols.local(past.start_at).date().replace(day=1)
    report = patrols.monthly_report(db, month=month, now=past.end_at + timedelta(days=1))
    assert report.shifts_run >= 1 and report.staffing.below_minimum_unconfirmed == 0
    assert report.people == len(demo.DEMO_PEOPLE) and report.volunteer_hours >= 12
    assert "Demo Volunteer" not in report.inactive_volunteers
