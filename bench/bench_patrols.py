"""Benchmark: 100 parallel sign-ups for a 6-place shift, on SpatiaLite and PostGIS; a year of shifts
for 50 series.

Run: .venv/bin/python bench/bench_patrols.py [--backends spatialite,postgis] [--runs 5]
                                              [--workers 2] [--pool 2]

The service runs as it does in production: ``--workers`` long-lived server processes (as ``uvicorn
--workers``; 2 on this 2-core machine), each with its own pool of ``--pool`` database connections
(``NTE_DB_POOL_SIZE``) and a thread per request, frozen out of the garbage collector after start-up
as the app's lifespan does. 100 volunteers sign up for the same 6-place shift, all arriving at one
instant; exactly 6 must be confirmed and 94 waitlisted. Each sign-up is one transaction of
``book_shift`` (rules, then the atomic place claim).

Two latencies per sign-up:
- from arrival: from the common instant to its commit, including the wait for a free connection
  and for a CPU. With every sign-up arriving at once this is bounded below by the whole burst's
  CPU time divided by the cores, so it is close to the wall time.
- in service: from getting its connection to its commit, including any lock waits on PostgreSQL.
  On SQLite the connection's BEGIN IMMEDIATE takes the database write lock, so there the wait for
  other writers falls before "in service" starts and counts only in "from arrival".

References in the same run and harness:
- naive: count, then insert, no lock and no rule checks (Engelsystem-style): it overbooks.
- raw driver (PostGIS): the place claim and the insert alone through psycopg, no ORM and no rule
  checks: what the machine can do at all.
- one at a time: 20 sign-ups in sequence, no contention.

The materialisation part reuses ``bench_recurrence`` (pure expansion, 50 weekly series over 2027) and
adds the database step: creating a year of shift rows for 50 series through ``materialise_series``.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import statistics
import sys
import tempfile
import time as timer
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from queue import Queue
from threading import Thread

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_recurrence  # noqa: E402

from nte.auth import service as auth_service  # noqa: E402
from nte.config import get_settings  # noqa: E402
from nte.patrols import service as patrols  # noqa: E402
from nte.patrols.config import PatrolSettings  # noqa: E402
from nte.patrols.models import Shift, ShiftSeries, Signup, Volunteer  # noqa: E402
from nte.schema import upgrade  # noqa: E402
from nte.spatial import create_spatial_engine  # noqa: E402
from nte.wards.shipped import import_shipped_wards  # noqa: E402

PLACES = 6
VOLUNTEERS = 100
SOHO = {
    "type": "Polygon",
    "coordinates": [
        [
            [-0.1395, 51.5150],
            [-0.1330, 51.5165],
            [-0.1290, 51.5130],
            [-0.1330, 51.5112],
            [-0.1395, 51.5125],
            [-0.1395, 51.5150],
        ]
    ],
}


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def prepare(url: str):
    engine = create_spatial_engine(url, spatialite_library=get_settings().spatialite_library)
    upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory.begin() as s:
        import_shipped_wards(s)
    now = datetime.now(UTC)
    with factory.begin() as s:
        coordinator = auth_service.create_user(
            s, email="bench-coordinator@example.org", display_name="Coordinator", role="coordinator", password=None
        )
        area = patrols.create_area(
            s, actor=coordinator, name="Bench Soho", geometry=SOHO, settings=get_settings(), now=now
        )
        volunteer_ids = []
        for i in range(VOLUNTEERS + 20):
            user = auth_service.create_user(
                s, email=f"bench-v{i}@example.org", display_name=f"Volunteer {i}", role="volunteer", password=None
            )
            volunteer = patrols.create_volunteer(s, actor=coordinator, user_id=user.id, status="active", now=now)
            for kind in ("dbs", "induction"):
                patrols.add_record(
                    s,
                    actor=coordinator,
                    volunteer_id=volunteer.id,
                    kind=kind,
                    completed_date=date(2025, 1, 1),
                    expires_date=date(2035, 1, 1),
                    now=now,
                )
            volunteer_ids.append(volunteer.id)
        ids = {"area": area.id, "coordinator": coordinator.id, "volunteers": volunteer_ids}
    return engine, factory, ids


def new_shift(factory: sessionmaker[Session], area_id: int, offset_days: int) -> int:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=offset_days)
    with factory.begin() as s:
        shift = Shift(
            area_id=area_id,
            start_at=start,
            end_at=start + timedelta(hours=6),
            min_volunteers=2,
            max_volunteers=PLACES,
            min_team_leads=0,
            status="scheduled",
            sequence=0,
            last_modified_at=datetime.now(UTC),
        )
        s.add(shift)
        s.flush()
        return shift.id


def naive_book(s: Session, volunteer_id: int, shift_id: int, now: datetime) -> str:
    """The reference: count, then insert, with no row lock."""
    shift = s.get(Shift, shift_id)
    taken = (
        s.scalar(
            sa.select(sa.func.count())
            .select_from(Signup)
            .where(Signup.shift_id == shift_id, Signup.status == "confirmed")
        )
        or 0
    )
    status = "confirmed" if taken < shift.max_volunteers else "waitlisted"
    s.add(
        Signup(
            shift_id=shift_id,
            volunteer_id=volunteer_id,
            status=status,
            created_at=now,
            updated_at=now,
            confirmed_at=now if status == "confirmed" else None,
            waitlisted_at=now,
        )
    )
    s.flush()
    return status


def raw_book(conn, volunteer_id: int, shift_id: int, now: datetime) -> str:
    """The floor reference: the capacity claim and the insert alone, straight through psycopg (no
    rule checks, no ORM). What the machine can do at all for one sign-up."""
    with conn.transaction():
        claimed = conn.execute(RAW_CLAIM, {"shift": shift_id}).rowcount == 1
        status = "confirmed" if claimed else "waitlisted"
        conn.execute(RAW_INSERT, {"shift": shift_id, "volunteer": volunteer_id, "status": status, "now": now})
    return status


RAW_CLAIM = (
    "UPDATE patrol_shift SET places_taken = places_taken + 1 WHERE id = %(shift)s AND places_taken < max_volunteers"
)
RAW_INSERT = (
    "INSERT INTO patrol_signup (shift_id, volunteer_id, status, created_at, updated_at, waitlisted_at, "
    "confirmed_at, no_show, feed_sequence) VALUES (%(shift)s, %(volunteer)s, %(status)s, %(now)s, %(now)s, "
    "%(now)s, %(now)s, false, 0)"
)


def _worker(url: str, pool: int, pipe) -> None:
    """One server process: its own engine and pool of ``pool`` connections (threads wait for a free
    connection, as request threads do), a thread per sign-up it is given."""
    engine = create_spatial_engine(
        url, spatialite_library=get_settings().spatialite_library, pool_size=pool, max_overflow=0, pool_timeout=120
    )
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    gc.freeze()  # what nte.app's lifespan does once the service has started
    raw_pool: Queue = Queue()
    if url.startswith("postgresql"):
        import psycopg

        for _ in range(pool):
            raw_pool.put(psycopg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(False)))
    while (job := pipe.recv()) is not None:
        method, shift_id, volunteer_ids, go = job
        results: list[tuple[float, float, float, str]] = []

        def sign_up(
            volunteer_id: int, method: str = method, shift_id: int = shift_id, results: list = results, go: float = go
        ) -> None:
            timer.sleep(max(0.0, go - timer.perf_counter()))
            served = go  # every sign-up arrives at the same instant; a late start counts as waiting
            try:
                now = datetime.now(UTC)
                if method == "raw driver":
                    conn = raw_pool.get()
                    served = timer.perf_counter()
                    try:
                        status = raw_book(conn, volunteer_id, shift_id, now)
                    finally:
                        raw_pool.put(conn)
                else:
                    with factory.begin() as s:
                        s.connection()  # wait for a pooled connection (BEGIN is sent with the first statement)
                        served = timer.perf_counter()
                        if method == "naive":
                            status = naive_book(s, volunteer_id, shift_id, now)
                        else:
                            status = patrols.book_shift(
                                s, volunteer=s.get(Volunteer, volunteer_id), shift_id=shift_id, now=now
                            ).status
            except Exception as exc:  # noqa: BLE001 - counted and shown as an error
                status = f"error {type(exc).__name__}"
            results.append((go, served, timer.perf_counter(), status))

        threads = [Thread(target=sign_up, args=(v,)) for v in volunteer_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pipe.send(results)
    engine.dispose()


class Servers:
    """``workers`` long-lived processes, as ``uvicorn --workers N`` runs the service. The burst is
    split between them; every sign-up arrives at one instant ``go``, and its latency runs from
    ``go`` to its commit (a thread that starts late because the CPUs are busy is counted as
    waiting). Times are CLOCK_MONOTONIC (``perf_counter``), comparable between processes on Linux."""

    def __init__(self, url: str, *, workers: int, pool: int) -> None:
        ctx = mp.get_context("spawn")  # fresh interpreters: nothing inherited from this process's engine
        self.pipes = []
        self.processes = []
        for _ in range(workers):
            mine, theirs = ctx.Pipe()
            process = ctx.Process(target=_worker, args=(url, pool, theirs), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    def burst(
        self, method: str, shift_id: int, volunteer_ids: list[int]
    ) -> tuple[float, list[float], list[float], dict[str, int]]:
        """Wall time, latencies from arrival and in service (from getting a connection), statuses."""
        go = timer.perf_counter() + 0.3  # time enough for every process to start its threads
        for i, pipe in enumerate(self.pipes):
            pipe.send((method, shift_id, volunteer_ids[i :: len(self.pipes)], go))
        results = [r for pipe in self.pipes for r in pipe.recv()]
        wall = max(end for *_, end, _ in results) - go
        statuses: dict[str, int] = {}
        for *_, status in results:
            statuses[status] = statuses.get(status, 0) + 1
        return wall, [end - go for go, _, end, _ in results], [end - served for _, served, end, _ in results], statuses

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(timeout=30)


def sequential(factory: sessionmaker[Session], shift_id: int, volunteer_ids: list[int]) -> list[float]:
    latencies = []
    for volunteer_id in volunteer_ids:
        began = timer.perf_counter()
        with factory.begin() as s:
            patrols.book_shift(s, volunteer=s.get(Volunteer, volunteer_id), shift_id=shift_id, now=datetime.now(UTC))
        latencies.append(timer.perf_counter() - began)
    return latencies


def materialise_year_in_db(factory: sessionmaker[Session], ids: dict) -> tuple[float, int]:
    """50 weekly series, a year of shift rows each, through the service (one transaction)."""
    year = PatrolSettings(materialise_weeks=52)
    specs = bench_recurrence.weekly_series()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    with factory() as s:
        series = []
        for i, spec in enumerate(specs):
            row = ShiftSeries(
                area_id=ids["area"],
                name=f"Bench {i}",
                rrule=spec.rrule,
                start_date=spec.start_date,
                start_time=spec.start_time,
                end_time=spec.end_time,
                min_volunteers=2,
                max_volunteers=8,
                min_team_leads=0,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            series.append(row)
        s.flush()
        began = timer.perf_counter()
        created = sum(patrols.materialise_series(s, row, now=now, settings=year)[0] for row in series)
        elapsed = timer.perf_counter() - began
        s.rollback()
    return elapsed, created


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="server processes (uvicorn --workers)")
    parser.add_argument("--pool", type=int, default=2, help="database connections per server process")
    args = parser.parse_args()
    ok = True
    rows = []
    materialised = []
    cluster = None
    tmp = Path(tempfile.mkdtemp(prefix="nte-bench-patrols-"))
    try:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "postgis":
                from tests.support.postgres import start_cluster

                cluster = start_cluster()
                url = cluster.create_database("bench_patrols")
            else:
                url = f"sqlite:///{tmp / 'bench.sqlite'}"
            engine, factory, ids = prepare(url)
            racers = ids["volunteers"][:VOLUNTEERS]
            servers = Servers(url, workers=args.workers, pool=args.pool)
            day = iter(range(5, 400))
            try:
                methods = ["book_shift", "naive"] + (["raw driver"] if backend == "postgis" else [])
                for method in methods:  # warm-up: connections open, statements compiled (not measured)
                    servers.burst(method, new_shift(factory, ids["area"], next(day)), racers)
                for method in methods:
                    walls, lats, in_service, results = [], [], [], []
                    for _run in range(args.runs):
                        shift_id = new_shift(factory, ids["area"], next(day))
                        wall, latencies, served, statuses = servers.burst(method, shift_id, racers)
                        walls.append(wall)
                        lats += latencies
                        in_service += served
                        results.append(statuses)
                    exact = all(
                        r.get("confirmed") == PLACES and r.get("waitlisted") == VOLUNTEERS - PLACES for r in results
                    )
                    if method == "book_shift":
                        ok &= exact
                    worst = max(results, key=lambda r: r.get("confirmed", 0))
                    errors = sum(n for r in results for status, n in r.items() if status.startswith("error"))
                    rows.append(
                        (
                            backend,
                            method,
                            statistics.median(walls),
                            p99(lats),
                            statistics.median(lats),
                            p99(in_service),
                            statistics.median(in_service),
                            f"{worst.get('confirmed', 0)}/{worst.get('waitlisted', 0)}"
                            + (f" err {errors}" if errors else ""),
                            exact,
                        )
                    )
            finally:
                servers.close()
            shift_id = new_shift(factory, ids["area"], 60)
            alone = sequential(factory, shift_id, ids["volunteers"][VOLUNTEERS : VOLUNTEERS + 20])
            rows.append(
                (
                    backend,
                    "one at a time",
                    sum(alone),
                    p99(alone),
                    statistics.median(alone),
                    p99(alone),
                    statistics.median(alone),
                    "20 sign-ups",
                    True,
                )
            )
            seconds, created = materialise_year_in_db(factory, ids)
            materialised.append((backend, seconds, created))
            engine.dispose()
    finally:
        if cluster is not None:
            cluster.destroy()

    print(
        f"{VOLUNTEERS} parallel sign-ups for a {PLACES}-place shift: {args.workers} server processes with "
        f"{args.pool} database connections each, a thread per sign-up, all arriving at one instant "
        f"(median wall of {args.runs} runs; p99 over all {args.runs * VOLUNTEERS} sign-ups)"
    )
    print(
        "  from arrival = arrival to commit, incl. waiting for a connection and a CPU; "
        "in service = from getting a connection to commit, incl. lock waits"
    )
    header = (
        f"{'database':<11} {'method':<14} {'wall ms':>8} {'p99 from arrival':>17} {'median':>7} "
        f"{'p99 in service':>15} {'median':>7} {'confirmed/waitlisted':>21} {'exact 6/94':>11}"
    )
    print(header)
    print("-" * len(header))
    for backend, method, wall, p, median, p_served, median_served, result, exact in rows:
        print(
            f"{backend:<11} {method:<14} {wall * 1000:>8.1f} {p * 1000:>17.1f} {median * 1000:>7.1f} "
            f"{p_served * 1000:>15.1f} {median_served * 1000:>7.1f} {result:>21} {('yes' if exact else 'NO'):>11}"
        )
    for backend, method, _wall, p, _median, p_served, *_ in rows:
        if backend == "postgis" and method == "book_shift":
            for label, value in (("in service", p_served), ("from arrival", p)):
                verdict = "pass" if value < 0.1 else "FAIL"
                print(f"target p99 < 100 ms on PostGIS, book_shift {label}: {verdict} ({value * 1000:.1f} ms)")
    print()
    print("A year of shifts for 50 series")
    code = bench_recurrence.main()
    for backend, seconds, created in materialised:
        print(f"{backend:<11} materialise_series into the database: {created} shifts in {seconds * 1000:.0f} ms")
    return 0 if ok and code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
