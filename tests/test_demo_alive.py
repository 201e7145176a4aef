"""The demo is alive: on the demo data, a scheduler started with --run-due-now (as scripts/demo.sh
starts it) sends the demo's reminders (the demo volunteer's DBS check, the demo venue's charter
renewal) at once, and the real mail catcher (``main.py mail-catcher``, its own process, real SMTP on
loopback) writes each one to its folder as an .eml file and prints a line for it."""

from __future__ import annotations

import email
import email.policy
import io
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.orm import sessionmaker

from nte.auth import repository as auth_repo
from nte.auth import service as auth_service
from nte.config import PROJECT_ROOT, get_settings
from nte.db import engine_for, utcnow
from nte.london import london_today
from nte.notifications.mailcatcher import file_name
from nte.patrols import demo as patrols_demo
from nte.scheduler import JOBS
from nte.scheduling.models import JobRun
from nte.venues import demo as venues_demo
from tests.support.postgres import free_port
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

#: The demo accounts the two reminders are about (the same e-mails as ``main.py demo`` creates).
DEMO_ACCOUNTS = [
    ("coordinator", "coordinator@demo.nte-safe.invalid", "Demo Patrol Coordinator"),
    ("volunteer", "volunteer@demo.nte-safe.invalid", "Demo Volunteer"),
    ("venue_manager", "venue@demo.nte-safe.invalid", "Demo Venue Manager"),
]


def _main(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "main.py", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return proc.returncode, out


def test_the_demo_schedulers_reminders_reach_the_mail_catcher(backend, tmp_path, request):
    from tests.conftest import make_database

    cluster = request.getfixturevalue("pg_cluster") if backend == "postgis" else None
    url = make_database(backend, "nte_demo_alive", tmp_path, cluster)
    factory = sessionmaker(bind=engine_for(url, get_settings().spatialite_library))
    now = utcnow()
    with factory.begin() as session:
        for role, address, name in DEMO_ACCOUNTS:
            auth_service.create_user(
                session, email=address, display_name=name, role=role, password="demo-password-1", confirmed_at=now
            )
    with factory.begin() as session:
        assert venues_demo.load_managed_venue(session) is not None
        patrols_demo.load_demo(session, Console(file=io.StringIO()))
        assert venues_demo.load_managed_venue(session) is None, "loading the demo twice made a second venue"
        assert auth_repo.get_user_by_email(session, venues_demo.MANAGER_EMAIL) is not None

    port = free_port()
    folder = tmp_path / "mail"
    env = {"NTE_DATABASE_URL": url, "NTE_SMTP_HOST": "127.0.0.1", "NTE_SMTP_PORT": str(port)}
    catcher = _main("mail-catcher", "--dir", str(folder), env=env)
    scheduler = None
    try:
        # The catcher creates its folder before it listens; wait for it to take a connection.
        import socket

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False

        wait_for(listening, what="the mail catcher listening")
        scheduler = _main("scheduler", "--run-due-now", env=env)

        def jobs_finished() -> int:
            with factory() as session:
                return (
                    session.scalar(
                        sa.select(sa.func.count(sa.distinct(JobRun.job_id))).where(JobRun.finished_at.is_not(None))
                    )
                    or 0
                )

        # The start-up pass runs every job once, mail delivery last: when all have finished, what
        # they queued has been handed to the catcher (which writes a message before it answers).
        wait_for(lambda: jobs_finished() >= len(JOBS), what="every job's start-up run")
    finally:
        if scheduler is not None:
            _stop(scheduler)
        code, printed = _stop(catcher)

    caught = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        caught[(str(message["To"]), str(message["Subject"]))] = path
    today = london_today(now)
    dbs = today + timedelta(days=patrols_demo.DBS_EXPIRES_IN_DAYS)
    renewal = today + timedelta(days=venues_demo.RENEWAL_DUE_IN_DAYS)
    expected = [
        ("volunteer@demo.nte-safe.invalid", f"Your DBS check expires on {dbs:%d %B %Y}"),
        ("coordinator@demo.nte-safe.invalid", f"DBS check of Demo Volunteer expires on {dbs:%d %B %Y}"),
        (
            "venue@demo.nte-safe.invalid",
            f"Renew {venues_demo.MANAGED_VENUE_NAME}'s Women's Night Safety Charter by {renewal:%d %B %Y}",
        ),
    ]
    for to, subject in expected:
        assert (to, subject) in caught, f"no mail to {to} {subject!r}; caught {sorted(caught)}"
        # Each on the terminal too, one line, with where to read it.
        assert f"mail to {to}: {subject}  ({caught[(to, subject)]})" in printed.splitlines()
    assert code == 0, "the mail catcher did not stop cleanly on SIGTERM"


def test_the_mail_catcher_listens_on_loopback_only(tmp_path):
    proc = subprocess.run(
        [sys.executable, "main.py", "mail-catcher", "--host", "0.0.0.0", "--dir", str(tmp_path / "mail")],  # noqa: S104
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--host must be a loopback address" in proc.stderr
    assert not (tmp_path / "mail").exists()


def test_caught_mail_file_names_sort_by_arrival_and_say_what_they_are():
    now = utcnow()
    first = file_name("Your DBS check expires on 22 December 2026", now)
    later = file_name("Ünïcode / ../../etc/passwd", now + timedelta(microseconds=1))
    assert first.endswith("-your-dbs-check-expires-on-22-december-2026.eml")
    assert "/" not in later and ".." not in later and later.endswith("-code-etc-passwd.eml")
    assert sorted([later, first]) == [first, later]
    assert file_name("", now).endswith("-no-subject.eml")
