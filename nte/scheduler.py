"""The one registry of scheduled jobs, and the runner that makes each trigger run exactly once.

A job is a plain function ``job(session, *, now) -> int`` in ``<domain>/jobs.py``; its session is
committed when it returns (long item-by-item jobs may commit after each item). The scheduler
runs as its own process (``python main.py scheduler``). Before running a trigger the runner
inserts a ``scheduler_job_run`` row keyed by (job id, trigger time); a second scheduler process
or a restart that reaches the same trigger finds the row and skips it. Jobs are idempotent on top
of that (reminders carry an outbox dedupe key), so a crash mid-run never sends anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from nte.db import utcnow
from nte.london import LONDON
from nte.maps import jobs as maps_jobs
from nte.notifications import jobs as notification_jobs
from nte.patrols import jobs as patrol_jobs
from nte.reports import jobs as report_jobs
from nte.safespaces import jobs as safespace_jobs
from nte.scheduling.models import JobRun
from nte.venues import jobs as venue_jobs

log = logging.getLogger("nte.scheduler")

JobFunc = Callable[..., int]


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: JobFunc  # the job itself, imported above: what runs is what this file names
    every_minutes: int | None = None
    cron: dict[str, str] | None = None  # APScheduler CronTrigger fields, Europe/London
    description: str = ""

    def load(self) -> JobFunc:
        """The function this job runs."""
        return self.func


#: Every scheduled job. Domains add theirs here, with a stable id.
JOBS: list[JobSpec] = [
    JobSpec(
        "notifications.deliver",
        notification_jobs.deliver_outbox,
        every_minutes=1,
        description="Send queued e-mail through SMTP",
    ),
    JobSpec(
        "auth.remove_unused_accounts",
        patrol_jobs.remove_unused_accounts,
        cron={"hour": "3", "minute": "40"},
        description="Delete password-less accounts holding nothing, NTE_UNUSED_ACCOUNT_DAYS after invitations end",
    ),
    JobSpec(
        "reports.purge_free_text",
        report_jobs.purge_free_text,
        cron={"hour": "3", "minute": "17"},
        description="Delete report free text older than NTE_REPORT_RETENTION_DAYS",
    ),
    JobSpec(
        "venues.renewal_reminders",
        venue_jobs.renewal_reminders,
        cron={"hour": "9", "minute": "0"},
        description="Charter renewal reminders 60, 30 and 7 days ahead",
    ),
    JobSpec(
        "venues.lapse_expired",
        venue_jobs.lapse_expired,
        cron={"hour": "0", "minute": "20"},
        description="Lapse verified venues past their renewal date",
    ),
    JobSpec(
        "venues.lapse_overdue_actions",
        venue_jobs.lapse_overdue_actions,
        cron={"hour": "0", "minute": "25"},
        description="Lapse venues whose failed spot check was not put right by its due date",
    ),
    JobSpec(
        "patrols.materialise_shifts",
        patrol_jobs.materialise_shifts,
        cron={"hour": "2", "minute": "15"},
        description="Create patrol shifts from series over the rolling 8-week window",
    ),
    JobSpec(
        "patrols.waitlist_expiry",
        patrol_jobs.waitlist_expiry,
        every_minutes=5,
        description="Pass unconfirmed waitlist offers to the next volunteer",
    ),
    JobSpec(
        "patrols.shift_reminders",
        patrol_jobs.shift_reminders,
        every_minutes=10,
        description="Patrol reminders at T-24 h and T-2 h",
    ),
    JobSpec(
        "patrols.staffing_alerts",
        patrol_jobs.staffing_alerts,
        every_minutes=30,
        description="T-48 h understaffed patrol alerts and invitations",
    ),
    JobSpec(
        "patrols.stand_down",
        patrol_jobs.stand_down_shifts,
        every_minutes=10,
        description="Stand down patrols below their minimum at T-2 h unless a coordinator confirmed them",
    ),
    JobSpec(
        "patrols.lone_worker",
        patrol_jobs.lone_worker_alerts,
        every_minutes=5,
        description="Alert coordinators when a volunteer is not home safe 30 min after a patrol",
    ),
    JobSpec(
        "patrols.record_expiry",
        patrol_jobs.record_expiry_reminders,
        cron={"hour": "8", "minute": "0"},
        description="Vetting/training expiry reminders 30 and 7 days ahead",
    ),
    JobSpec(
        "maps.rebuild_public",
        maps_jobs.rebuild_public_maps,
        cron={"hour": "3", "minute": "15"},
        description="Publish the public ward maps of newly closed periods",
    ),
    JobSpec(
        "safespaces.reconfirm_reminders",
        safespace_jobs.reconfirm_reminders,
        cron={"hour": "10", "minute": "0"},
        description="Ask owners/officers to re-confirm safe-space hours before they go stale",
    ),
]


def job_by_id(job_id: str) -> JobSpec:
    for job in JOBS:
        if job.id == job_id:
            return job
    raise KeyError(job_id)


def run_job(
    factory: sessionmaker[Session], job_id: str, *, scheduled_for: datetime | None = None, now: datetime | None = None
) -> int | None:
    """Run one trigger of a job at most once. Returns its result, or None if it had already run."""
    job = job_by_id(job_id)
    now = now or utcnow()
    scheduled_for = (scheduled_for or now).astimezone(UTC).replace(microsecond=0)
    with factory() as session:
        try:
            with session.begin():
                session.add(JobRun(job_id=job_id, scheduled_for=scheduled_for, started_at=now))
        except sa.exc.IntegrityError:
            log.info("job %s for %s already ran; skipped", job_id, scheduled_for.isoformat())
            return None
    func = job.load()
    try:
        # The job's session commits at the end; a job that works item by item (mail delivery) may
        # commit after each item so that a crash keeps the items already done.
        with factory() as session:
            try:
                result = int(func(session, now=now) or 0)
                session.commit()
            except BaseException:
                session.rollback()
                raise
    except Exception as exc:
        with factory.begin() as session:
            session.execute(
                sa.update(JobRun)
                .where(JobRun.job_id == job_id, JobRun.scheduled_for == scheduled_for)
                .values(status="failed", finished_at=utcnow(), error=f"{type(exc).__name__}: {exc}"[:500])
            )
        log.exception("job %s failed", job_id)
        raise
    with factory.begin() as session:
        session.execute(
            sa.update(JobRun)
            .where(JobRun.job_id == job_id, JobRun.scheduled_for == scheduled_for)
            .values(status="done", finished_at=utcnow(), result=result)
        )
    log.info("job %s ran: %d", job_id, result)
    return result


def _period_seconds(job: JobSpec) -> int:
    from nte.config import get_settings

    override = get_settings().scheduler_interval_seconds
    return override if override else (job.every_minutes or 60) * 60


def _trigger(job: JobSpec):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if job.cron:
        return CronTrigger(timezone=LONDON, **job.cron)
    return IntervalTrigger(seconds=_period_seconds(job), start_date=_EPOCH, timezone="UTC")


_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def latest_fire_time(job: JobSpec, now: datetime) -> datetime:
    """The trigger time this run belongs to: the latest fire time not after ``now``. Two scheduler
    processes (or one restarted) compute the same value, which the JobRun key then de-duplicates."""
    if not job.cron:
        period = _period_seconds(job)
        elapsed = int((now - _EPOCH).total_seconds()) // period * period
        return _EPOCH + timedelta(seconds=elapsed)
    trigger = _trigger(job)
    fire = trigger.get_next_fire_time(None, now - timedelta(days=35))
    latest = fire
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return (latest or now).astimezone(UTC)


def run_due_jobs(factory: sessionmaker[Session], *, now: datetime | None = None) -> dict[str, int | None]:
    """Run every job once for its latest trigger (a trigger that already ran is skipped, as always),
    mail delivery last so that what the others queued goes out at once. Opt-in at start-up
    (``python main.py scheduler --run-due-now``, the demo): a daily job need not wait for tomorrow.
    Returns each job's result, None where it had already run; a failing job is logged and skipped."""
    now = now or utcnow()
    deliver = "notifications.deliver"
    results: dict[str, int | None] = {}
    for job in sorted(JOBS, key=lambda j: j.id == deliver):
        try:
            results[job.id] = run_job(factory, job.id, scheduled_for=latest_fire_time(job, now), now=now)
        except Exception:  # noqa: S112 - logged in run_job; the others still run
            continue
    return results


def build_scheduler(factory: sessionmaker[Session]):  # -> apscheduler BlockingScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=LONDON)

    def make_runner(job: JobSpec) -> Callable[[], None]:
        def runner() -> None:
            now = utcnow()
            try:
                run_job(factory, job.id, scheduled_for=latest_fire_time(job, now), now=now)
            except Exception:  # noqa: S110 - logged in run_job; the scheduler keeps going
                pass

        return runner

    for job in JOBS:
        scheduler.add_job(
            make_runner(job),
            _trigger(job),
            id=job.id,
            name=job.description or job.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
            replace_existing=True,
        )
    return scheduler
