"""Benchmark: 100 parallel sign-ups for a 6-place shift, on SpatiaLite and PostGIS; a year of shifts
for 50 series.

Run: .venv/bin/python bench/bench_patrols.py [--backends spatialite,postgis] [--runs 3]

For each database, 100 volunteers sign up for the same 6-place shift at once (100 threads, one
session and transaction each, released together by a barrier). ``book_shift`` locks the shift row
(FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE serialises SQLite writers), so exactly 6 must be
confirmed and 94 waitlisted. The reference in the same run is the naive check-then-insert without
the row lock (what Engelsystem-style "count, then insert" code does): on PostgreSQL it overbooks.
Latency per sign-up is measured from the start of its transaction to its commit, so it includes the
wait for the lock under a 100-way burst; the uncontended latency (one sign-up at a time) is shown too.

The materialisation part reuses ``bench_recurrence`` (pure expansion, 50 weekly series over 2027) and
adds the database step: creating a year of shift rows for 50 series through ``materialise_series``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time as timer
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from threading import Barrier, Thread

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_recurrence  # noqa: E402

from nte.auth import service as auth_service  # noqa: E402
from nte.config import get_settings  # noqa: E402
from nte.maps.wards import import_shipped_wards  # noqa: E402
from nte.patrols import service as patrols  # noqa: E402
from nte.patrols.config import PatrolSettings  # noqa: E402
from nte.patrols.models import Shift, ShiftSeries, Signup, Volunteer  # noqa: E402
from nte.schema import upgrade  # noqa: E402
from nte.spatial import create_spatial_engine  # noqa: E402

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
    engine = create_spatial_engine(
        url,
        spatialite_library=get_settings().spatialite_library,
        pool_size=VOLUNTEERS + 5,
        max_overflow=0,
        pool_timeout=120,
    )
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


def burst(
    factory: sessionmaker[Session], shift_id: int, volunteer_ids: list[int], *, naive: bool
) -> tuple[float, list[float], dict[str, int]]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[BaseException] = []
    barrier = Barrier(len(volunteer_ids))

    def worker(volunteer_id: int) -> None:
        try:
            barrier.wait()
            began = timer.perf_counter()
            with factory.begin() as s:
                now = datetime.now(UTC)
                if naive:
                    status = naive_book(s, volunteer_id, shift_id, now)
                else:
                    status = patrols.book_shift(
                        s, volunteer=s.get(Volunteer, volunteer_id), shift_id=shift_id, now=now
                    ).status
            latencies.append(timer.perf_counter() - began)
            statuses[status] = statuses.get(status, 0) + 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [Thread(target=worker, args=(v,)) for v in volunteer_ids]
    began = timer.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = timer.perf_counter() - began
    if errors:
        statuses["error"] = len(errors)
    return wall, latencies, statuses


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
    parser.add_argument("--runs", type=int, default=3)
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
            for method in ("book_shift", "naive"):
                walls, lats, results = [], [], []
                for run in range(args.runs):
                    shift_id = new_shift(factory, ids["area"], 10 + run + (20 if method == "naive" else 0))
                    wall, latencies, statuses = burst(factory, shift_id, racers, naive=method == "naive")
                    walls.append(wall)
                    lats += latencies
                    results.append(statuses)
                exact = all(
                    r.get("confirmed") == PLACES and r.get("waitlisted") == VOLUNTEERS - PLACES for r in results
                )
                if method == "book_shift":
                    ok &= exact
                worst = max(results, key=lambda r: r.get("confirmed", 0))
                rows.append(
                    (
                        backend,
                        method,
                        statistics.median(walls),
                        p99(lats),
                        statistics.median(lats),
                        f"{worst.get('confirmed', 0)}/{worst.get('waitlisted', 0)}"
                        + (f" err {worst['error']}" if worst.get("error") else ""),
                        exact,
                    )
                )
            shift_id = new_shift(factory, ids["area"], 60)
            alone = sequential(factory, shift_id, ids["volunteers"][VOLUNTEERS : VOLUNTEERS + 20])
            rows.append(
                (backend, "one at a time", sum(alone), p99(alone), statistics.median(alone), "20 sign-ups", True)
            )
            seconds, created = materialise_year_in_db(factory, ids)
            materialised.append((backend, seconds, created))
            engine.dispose()
    finally:
        if cluster is not None:
            cluster.destroy()

    print(
        f"{VOLUNTEERS} parallel sign-ups for a {PLACES}-place shift (median wall of {args.runs} runs; latency = "
        "transaction start to commit, incl. lock wait)"
    )
    header = (
        f"{'database':<11} {'method':<14} {'wall ms':>9} {'p99 ms':>8} {'median ms':>10} "
        f"{'confirmed/waitlisted':>22} {'exact 6/94':>11}"
    )
    print(header)
    print("-" * len(header))
    for backend, method, wall, p, median, result, exact in rows:
        print(
            f"{backend:<11} {method:<14} {wall * 1000:>9.1f} {p * 1000:>8.1f} {median * 1000:>10.1f} {result:>22} "
            f"{('yes' if exact else 'NO'):>11}"
        )
    for backend, method, _wall, p, *_ in rows:
        if backend == "postgis" and method in ("book_shift", "one at a time"):
            print(f"target p99 < 100 ms on PostGIS ({method}): {'pass' if p < 0.1 else 'FAIL'} ({p * 1000:.1f} ms)")
    print()
    print("A year of shifts for 50 series")
    code = bench_recurrence.main()
    for backend, seconds, created in materialised:
        print(f"{backend:<11} materialise_series into the database: {created} shifts in {seconds * 1000:.0f} ms")
    return 0 if ok and code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
