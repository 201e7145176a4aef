"""Two scheduler processes (a deployment mistake, or a restart overlapping the old process) still
run each job exactly once per trigger and send each e-mail exactly once: counted at a real SMTP
server. A scheduler restarted mid-run (SIGTERM, as systemd does) neither loses nor repeats a
message; one killed outright (SIGKILL) loses none and can repeat at most the one message that was
in flight (the server accepted it, the process died before recording it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from nte.config import PROJECT_ROOT, get_settings
from nte.db import engine_for
from nte.notifications import service
from nte.scheduling.models import JobRun
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def _scheduler(url: str, smtp_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "NTE_DATABASE_URL": url,
        "NTE_SCHEDULER_INTERVAL_SECONDS": "1",
        "NTE_SMTP_HOST": "127.0.0.1",
        "NTE_SMTP_PORT": str(smtp_port),
    }
    return subprocess.Popen(
        [sys.executable, "main.py", "scheduler"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["restart", "kill-9"])
def test_two_schedulers_send_each_message_exactly_once(backend, tmp_path, request, smtp_server, stop_signal):
    from tests.conftest import make_database

    cluster = request.getfixturevalue("pg_cluster") if backend == "postgis" else None
    url = make_database(backend, f"nte_scheduler_procs_{int(stop_signal)}", tmp_path, cluster)
    factory = sessionmaker(bind=engine_for(url, get_settings().spatialite_library))
    total = 40
    with factory.begin() as session:
        for i in range(total):
            service.enqueue(session, to=f"volunteer{i}@example.org", subject=f"Shift reminder {i}", body="Friday")

    def deliveries() -> int:
        with factory() as session:
            return session.scalar(sa.select(sa.func.count()).where(JobRun.job_id == "notifications.deliver")) or 0

    first, second = _scheduler(url, smtp_server.port), _scheduler(url, smtp_server.port)
    try:
        wait_for(lambda: len(smtp_server.messages) >= total // 2, what=f"{total // 2} of {total} messages sent")
        # Stop one mid-run and start a replacement (a restart, or a crash).
        first.send_signal(stop_signal)
        first.wait(30)
        first = _scheduler(url, smtp_server.port)
        wait_for(lambda: len(smtp_server.messages) >= total, what=f"all {total} messages sent")
        # A few more delivery runs, counted rather than slept for: nothing more may be sent by them.
        runs_then = deliveries()
        wait_for(lambda: deliveries() >= runs_then + 3, what="three more delivery runs after the last message")
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
        for proc in (first, second):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert len(set(subjects)) == total, "a message was lost"
    repeats = len(subjects) - total
    if stop_signal == signal.SIGTERM:
        assert repeats == 0, f"{repeats} message(s) sent twice"
    else:
        assert repeats <= 1, f"{repeats} messages sent twice; at most the one in flight may be"
    with factory.begin() as session:
        runs = session.execute(sa.select(JobRun.job_id, JobRun.scheduled_for)).all()
    assert runs and len(runs) == len(set(runs))
    assert any(job == "notifications.deliver" for job, _ in runs)
