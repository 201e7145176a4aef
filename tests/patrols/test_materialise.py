"""Materialising a series never cancels a night the series still generates, whatever window the
process that runs it uses: a stored night is judged by asking the rule about that night (issue 18)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.orm

from nte.db import utcnow
from nte.notifications.models import OutboxMessage
from nte.patrols import service as patrols
from nte.patrols.config import PatrolSettings
from nte.patrols.recurrence import weekly_rule
from tests.factories import bearer, make_patrol_area, make_user, make_volunteer


def _weekly(db, *, now, days=("FR",), weeks=50):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    series = patrols.create_series(
        db,
        actor=coordinator,
        area_id=area.id,
        name="Friday nights",
        rrule=weekly_rule(list(days)),
        start_date=patrols.local(now).date(),
        start_time=time(22),
        end_time=time(4),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
        now=now,
    )
    patrols.materialise_series(db, series, now=now, settings=PatrolSettings(materialise_weeks=weeks))
    return coordinator, series


def _mails(db) -> list[OutboxMessage]:
    return list(db.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("patrol:shift-change:"))))


def test_cancelling_one_night_over_the_api_leaves_the_other_nights_and_tells_only_its_volunteers(client, db):
    now = utcnow()
    coordinator, series = _weekly(db, now=now)
    shifts = patrols.repo.shifts_of_series(db, series.id, from_at=now)
    assert len(shifts) >= 48  # fifty weeks of Fridays made by a wide window
    target, near, far = shifts[2], shifts[3], shifts[30]  # far is beyond the default 8-week window
    people = {}
    for shift in (target, near, far):
        volunteer = make_volunteer(db)
        patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=now)
        people[shift.id] = patrols.volunteer_user(db, volunteer).email
    r = client.post(f"/api/patrols/shifts/{target.id}/cancel", headers=bearer(db, coordinator))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    db.expire_all()
    after = patrols.repo.shifts_of_series(db, series.id, from_at=now)
    assert len(after) == len(shifts)
    assert [s.id for s in after if s.status == "cancelled"] == [target.id]
    mails = _mails(db)
    assert [(m.to_address, m.subject.split(":")[0]) for m in mails] == [(people[target.id], "Patrol cancelled")]


def test_a_default_window_run_after_a_fifty_week_run_cancels_nothing(db, monkeypatch):
    now = utcnow()
    _coordinator, series = _weekly(db, now=now)
    made = patrols.repo.shifts_of_series(db, series.id, from_at=now)
    assert len(made) >= 48 and all(s.status == "scheduled" for s in made)
    volunteer = make_volunteer(db)
    patrols.book_shift(db, volunteer=volunteer, shift_id=made[40].id, now=now)
    sequences = {s.id: s.sequence for s in made}
    later = now + timedelta(days=1)
    patrols.materialise_series(db, series, now=later, settings=PatrolSettings(materialise_weeks=8))
    patrols.materialise_all(db, now=later)  # what `main.py patrols materialise` runs, default window
    after = patrols.repo.shifts_of_series(db, series.id, from_at=now)
    assert [s.id for s in after] == [s.id for s in made]
    assert all(s.status == "scheduled" for s in after)
    assert {s.id: s.sequence for s in after} == sequences and _mails(db) == []


def test_a_night_the_rule_no_longer_generates_is_cancelled_even_beyond_the_window(db):
    now = utcnow()
    coordinator, series = _weekly(db, now=now, days=("FR", "SA"))
    saturdays = [
        s for s in patrols.repo.shifts_of_series(db, series.id, from_at=now) if s.occurrence_date.weekday() == 5
    ]
    far = saturdays[-1]
    assert far.start_at > now + timedelta(weeks=30)
    volunteer = make_volunteer(db)
    patrols.book_shift(db, volunteer=volunteer, shift_id=far.id, now=now)
    from_date = patrols.local(now).date() + timedelta(days=1)
    patrols.change_series_from(
        db,
        actor=coordinator,
        series_id=series.id,
        from_date=from_date,
        rrule=weekly_rule(["FR"]),
        start_time=time(22),
        end_time=time(4),
        min_volunteers=2,
        max_volunteers=6,
        min_team_leads=0,
        meeting_point=None,
        now=now,
    )
    assert far.status == "cancelled"
    assert all(s.status == "cancelled" for s in saturdays if s.occurrence_date >= from_date)
    [mail] = [m for m in _mails(db) if m.dedupe_key.startswith(f"patrol:shift-change:{far.id}:")]
    assert mail.subject.startswith("Patrol cancelled")
    fridays = [s for s in patrols.repo.shifts_of_series(db, series.id, from_at=now) if s.occurrence_date.weekday() == 4]
    assert len(fridays) >= 48 and all(s.status == "scheduled" for s in fridays)


def test_the_cli_run_with_the_default_window_after_a_fifty_week_run_cancels_no_friday(backend, tmp_path, request):
    """The demo's second report, through ``main.py patrols materialise`` on its own database: a run
    with NTE_PATROL_MATERIALISE_WEEKS=50, then one with the default 8 weeks, then one with --weeks 2."""
    from typer.testing import CliRunner

    from nte.config import get_settings
    from nte.db import engine_for
    from nte.patrols import cli
    from nte.patrols.config import get_patrol_settings
    from nte.patrols.models import Shift
    from tests.conftest import make_database

    pg = request.getfixturevalue("pg_cluster") if backend == "postgis" else None
    url = make_database(backend, "patrol_cli_windows", tmp_path, pg)
    engine = engine_for(url, get_settings().spatialite_library)
    now = utcnow()
    with sa.orm.sessionmaker(bind=engine).begin() as session:
        _weekly(session, now=now, weeks=8)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("NTE_DATABASE_URL", url)
    runner = CliRunner()
    try:
        for env_weeks, args in (("50", []), (None, []), (None, ["--weeks", "2"])):
            if env_weeks:
                monkeypatch.setenv("NTE_PATROL_MATERIALISE_WEEKS", env_weeks)
            else:
                monkeypatch.delenv("NTE_PATROL_MATERIALISE_WEEKS", raising=False)
            get_settings.cache_clear()
            get_patrol_settings.cache_clear()
            r = runner.invoke(cli.app, ["materialise", *args])  # `main.py patrols materialise`
            assert r.exit_code == 0, r.output
            with engine.connect() as conn:
                statuses = [row[0] for row in conn.execute(sa.select(Shift.status).where(Shift.start_at > now))]
            assert len(statuses) >= 48 and set(statuses) == {"scheduled"}, (env_weeks, args, statuses)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        get_patrol_settings.cache_clear()
        engine.dispose()
