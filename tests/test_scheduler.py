from __future__ import annotations

from datetime import UTC, datetime
from threading import Barrier, Thread

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from nte import scheduler
from nte.scheduler import JobSpec, latest_fire_time, run_job
from nte.scheduling.models import JobRun

CALLS: list[datetime] = []

#: How many jobs ``nte.scheduler.JOBS`` registers today. Raise it when you add a job.
JOBS_TODAY = 13


def counting_job(session, *, now):
    CALLS.append(now)
    return 7


def test_every_registered_job_imports_and_has_a_unique_id():
    ids = [j.id for j in scheduler.JOBS]
    assert len(ids) >= JOBS_TODAY, f"the scheduler registers {len(ids)} jobs; it had {JOBS_TODAY}"
    assert len(ids) == len(set(ids))
    for job in scheduler.JOBS:
        assert callable(job.load())
        assert job.every_minutes or job.cron


def test_latest_fire_time_is_the_same_for_every_process():
    job = JobSpec("t.interval", counting_job, every_minutes=15)
    now = datetime(2026, 11, 22, 10, 37, 12, tzinfo=UTC)
    assert latest_fire_time(job, now) == datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    daily = JobSpec("t.cron", counting_job, cron={"hour": "3", "minute": "0"})
    # 03:00 Europe/London is 03:00 UTC in winter
    assert latest_fire_time(daily, now) == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert latest_fire_time(daily, summer) == datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def test_a_trigger_runs_exactly_once_across_two_schedulers(engine, monkeypatch):
    monkeypatch.setattr(scheduler, "JOBS", [JobSpec("test.count", counting_job, every_minutes=1)])
    CALLS.clear()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    when = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
    results = []
    barrier = Barrier(2)

    def worker():
        barrier.wait()
        results.append(run_job(factory, "test.count", scheduled_for=when, now=when))

    threads = [Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(results, key=lambda r: r is None) == [7, None]
        assert len(CALLS) == 1
        # A restart that reaches the same trigger does not repeat it.
        assert run_job(factory, "test.count", scheduled_for=when, now=when) is None
        assert len(CALLS) == 1
    finally:
        with factory.begin() as s:
            s.execute(sa.delete(JobRun).where(JobRun.job_id == "test.count"))


#: Each job id and the function it runs (what the registry named as "module:function" strings before
#: it imported the functions themselves).
JOB_FUNCTIONS = {
    "notifications.deliver": "nte.notifications.jobs.deliver_outbox",
    "auth.remove_unused_accounts": "nte.patrols.jobs.remove_unused_accounts",
    "reports.purge_free_text": "nte.reports.jobs.purge_free_text",
    "venues.renewal_reminders": "nte.venues.jobs.renewal_reminders",
    "venues.lapse_expired": "nte.venues.jobs.lapse_expired",
    "venues.lapse_overdue_actions": "nte.venues.jobs.lapse_overdue_actions",
    "patrols.materialise_shifts": "nte.patrols.jobs.materialise_shifts",
    "patrols.waitlist_expiry": "nte.patrols.jobs.waitlist_expiry",
    "patrols.shift_reminders": "nte.patrols.jobs.shift_reminders",
    "patrols.staffing_alerts": "nte.patrols.jobs.staffing_alerts",
    "patrols.stand_down": "nte.patrols.jobs.stand_down_shifts",
    "patrols.lone_worker": "nte.patrols.jobs.lone_worker_alerts",
    "patrols.record_expiry": "nte.patrols.jobs.record_expiry_reminders",
    "maps.rebuild_public": "nte.maps.jobs.rebuild_public_maps",
    "safespaces.reconfirm_reminders": "nte.safespaces.jobs.reconfirm_reminders",
}


def test_each_job_id_runs_the_function_it_always_ran():
    assert {j.id: f"{j.func.__module__}.{j.func.__name__}" for j in scheduler.JOBS} == JOB_FUNCTIONS


def test_jobs_list_shows_every_job_with_its_schedule():
    from typer.testing import CliRunner

    from nte import cli

    result = CliRunner().invoke(cli.app, ["jobs", "list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    _every_job_on_one_line(result.output)


def test_jobs_list_keeps_ids_and_schedules_whole_on_a_narrow_terminal():
    """The console is made when the CLI is imported: on an 80-column terminal (or when another test
    imported it first) the id and schedule columns must not wrap."""
    from nte import cli

    saved = cli.console._width  # None: follow the terminal
    cli.console.width = 80
    try:
        with cli.console.capture() as captured:
            cli.jobs_list()
    finally:
        cli.console._width = saved
    _every_job_on_one_line(captured.get())


def _every_job_on_one_line(output: str) -> None:
    assert len(scheduler.JOBS) >= JOBS_TODAY
    for job in scheduler.JOBS:
        line = next((row for row in output.splitlines() if f" {job.id} " in row), None)
        assert line is not None, job.id
        assert (f"every {job.every_minutes} min" if not job.cron else str(job.cron)) in line, line
