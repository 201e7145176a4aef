"""Benchmark: assign 1,000,000 stored reports to a newly imported ward vintage on PostGIS, end to end
(read, assign, write), NTE Safe against a geopandas ``sjoin`` pipeline with the same write path, in
the same run, and check that both give identical assignments.

Set-up (not timed): a throwaway PostGIS cluster (``tests.support.postgres.start_cluster``), migrated;
only the December 2013 vintage imported (current everywhere); N reports stored with the product's bulk
path (``nte.reports.repository.insert_imported``, COPY) from real 2016 police.uk points resampled with
normal jitter (sd ~55 m, so up to ~150 m), kept where they fall in a 2013 ward, with their 2013
assignments (``assign_points``); then May 2022 imported with ``make_current=False``, so every report
is pending in 2022; VACUUM ANALYZE.

Each path runs in its own fresh subprocess (cold caches, same start) and is timed with
``time.perf_counter`` from the first read to the last commit:

* NTE Safe: ``nte.wards.service.assign_set(ward_set=2022, located=reports, checkpoint=commit)``:
  builds the 2022 ``WardIndex``, then per batch of 50,000 a keyset read by id (binary COPY), the
  in-memory assignment, a COPY write and a commit.
* Reference (what a GIS analyst would write): the 2022 wards with ``geopandas.read_postgis``, every
  pending report (id, lon, lat) in one go with the same binary-COPY read (``unassigned_points``; it is
  faster than ``geopandas.read_postgis`` of the same rows, which is timed as an extra read-only row),
  ``points_from_xy`` GeoDataFrame, ``geopandas.sjoin(how="left", predicate="intersects")``, a point on a
  shared edge resolved to the lowest ward code (sort + drop_duplicates on id), then the same
  ``write_assignments`` (COPY) in batches of 50,000 with a commit per batch.

Memory: the subprocess's peak RSS growth during the path: its peak is reset to the current RSS just
before (``/proc/self/clear_refs`` 5) and growth = VmHWM after - VmRSS before (both /proc/self/status).
Between the paths the 2022 rows are deleted (``DELETE FROM ward_assignment WHERE ward_set_id = :id``)
and the tables VACUUM ANALYZEd, so both start equal. Exit 1 if the assignments disagree (a missed
speed or memory target is printed, not an error).

    .venv/bin/python bench/bench_ward_assign.py [--reports 1000000]

Measured on this 2-core machine (PostGIS 15, fsync off), 2026-12-01, 1,000,000 reports (999,410 inside
a 2022 ward), after the batch read was made bounded (the next batch by id, less the set's assignments in
that id range) and ``ward_assignment`` kept only its primary key:

    path                                                          reports   seconds   reports/s  peak MB   agreement
    NTE assign_set (index, keyset binary COPY read, COPY)       1,000,000     15.62      64,000       86   identical
    geopandas sjoin (binary read, sjoin, same COPY write)       1,000,000     17.91      55,848      351   identical
      NTE's first step only: WardIndex.build (wards, not reports)     125      0.81                   86
      write only: the shared COPY write of prepared rows        1,000,000     11.17      89,541        0
      read only: one binary COPY read (reference's read)        1,000,000      1.76     568,691      206
      read only: geopandas.read_postgis of the same rows        1,000,000     13.17      75,913      424
    NTE assign_set inside: 21 keyset reads 1.68 s (first 0.09 s, slowest 0.11 s), 20 COPY writes 12.25 s,
    index + assign + commits 1.70 s
    disagreements: 0; speed-up 1.15x (target >= 3x): NOT MET; NTE peak memory growth 86 MB: met

The write both paths share is 70-78 % of either path (COPY into ``ward_assignment``: its primary key and
the per-row foreign-key check on ``ward_set``); without it NTE takes about 3.4 s against about 6.7 s for
the reference (read 1.8 s + sjoin and edge rule about 4.9 s), and the in-memory assignment alone is about
2.8x faster than ``sjoin``. So 3x end to end with the same write path is out of reach unless that write
becomes much cheaper for both; the memory target is met with room (86 MB, flat in N: the 2022 lattice).

Before that change (same machine, busier: load 3-10): NTE 26.3-32.4 s against 23.0-23.6 s (0.73-0.87x):
each keyset read's NOT EXISTS was planned as a merge over every assignment already written, so the reads
grew with every batch (0.12 s to 1.2 s; 10.2-13.6 s in all).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CRIME = ROOT / "nte" / "data" / "crime"
BATCH = 50_000
SPEED_TARGET = 3.0  # NTE at least 3x faster than the reference
MEMORY_TARGET_MB = 300.0


# --- memory -----------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# --- set-up -----------------------------------------------------------------------------------------


def real_points() -> tuple[np.ndarray, np.ndarray, list[str]]:
    lon, lat, kinds = [], [], []
    for path in sorted(CRIME.glob("2016-*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("Longitude") and row.get("Latitude"):
                    lon.append(float(row["Longitude"]))
                    lat.append(float(row["Latitude"]))
                    kinds.append(row["Crime type"])
    return np.array(lon), np.array(lat), kinds


def build_database(cluster, reports: int) -> tuple[str, int]:
    """A migrated database with only December 2013 current, ``reports`` reports assigned in 2013,
    then May 2022 imported (not current): every report pending in 2022. The URL and the 2022 set id."""
    import nte.models  # noqa: F401
    from nte.db import engine_for, session_factory
    from nte.reports.repository import insert_imported
    from nte.reports.vocabulary import police_slug
    from nte.schema import upgrade
    from nte.spatial import ewkt_point
    from nte.spatial.geometry import _transformer
    from nte.wards import service as wards
    from nte.wards.index import OUTSIDE
    from nte.wards.shipped import DECEMBER_2013, MAY_2022, import_vintage

    url = cluster.create_database("bench_ward_assign")
    engine = engine_for(url, "mod_spatialite")
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as session:
        done = import_vintage(session, DECEMBER_2013)
        assert done is not None
        set_2013 = done.ward_set
        session.commit()
        index = wards.set_index(session, set_2013)

        base_lon, base_lat, kinds = real_points()
        slugs = np.array([police_slug(k) for k in kinds], dtype=object)
        rng = np.random.default_rng(42)
        start = time.perf_counter()
        stored = 0
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        occurred = datetime(2016, 6, 1, tzinfo=UTC)
        while stored < reports:
            want = min(BATCH, reports - stored)
            pick = rng.integers(0, base_lon.size, int(want * 1.15) + 100)
            lon = base_lon[pick] + rng.normal(0, 0.0008, pick.size)
            lat = base_lat[pick] + rng.normal(0, 0.0005, pick.size)
            found = index.assign(lon, lat)
            keep = np.flatnonzero(found != OUTSIDE)[:want]
            lon, lat, found, cats = lon[keep], lat[keep], found[keep], slugs[pick[keep]]
            east, north = _transformer(4326, 27700).transform(lon, lat)
            rows = [
                [
                    "police",
                    "accepted",
                    occurred,
                    "month",
                    now,
                    "exact",
                    ewkt_point(float(x), float(y)),
                    round(float(e), 1),
                    round(float(n), 1),
                    index.codes[k],
                    index.borough_codes[k],
                    c,
                    None,
                    None,
                    None,
                    None,
                    False,
                    now,
                ]
                for x, y, e, n, k, c in zip(
                    lon.tolist(), lat.tolist(), east.tolist(), north.tolist(), found.tolist(), cats, strict=True
                )
            ]
            ids = insert_imported(session, rows, [[c] for c in cats])
            wards.assign_points(session, subject="report", ids=ids, lon=lon, lat=lat, ward_sets=[set_2013])
            session.commit()
            stored += len(ids)
            print(f"  stored {stored:,} reports ({time.perf_counter() - start:.0f} s)", flush=True)

        imported = import_vintage(session, MAY_2022, make_current=False)
        assert imported is not None
        set_2022 = imported.ward_set.id
        session.commit()
    engine.dispose()
    vacuum(url)
    return url, set_2022


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE report")
        conn.execute("VACUUM ANALYZE ward_assignment")


def assignments(url: str, set_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The stored 2022 assignments, by report id: (ids, ward codes with None outside)."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        rows = conn.execute(
            "SELECT subject_id, ward_code FROM ward_assignment WHERE ward_set_id = %s AND subject = 'report' "
            "ORDER BY subject_id",
            (set_id,),
        ).fetchall()
    return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=object)


def forget(url: str, set_id: int) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute("DELETE FROM ward_assignment WHERE ward_set_id = %s", (set_id,))
    vacuum(url)


# --- the two paths (each in its own subprocess) -------------------------------------------------------


def run_nte(session, set_id: int) -> int:
    from nte.located import LOCATED
    from nte.wards import repository as repo
    from nte.wards import service as wards

    ward_set = repo.get_ward_set(session, set_id)
    located = next(loc for loc in LOCATED if loc.subject == "report")
    # Where the time goes: time each keyset read and each write inside assign_set (timers only).
    read, write = repo.unassigned_points, repo.write_assignments

    def timed(func, into):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                into.append(time.perf_counter() - start)

        return wrapper

    repo.unassigned_points, repo.write_assignments = timed(read, BREAKDOWN["reads"]), timed(write, BREAKDOWN["writes"])
    try:
        result = wards.assign_set(
            session, ward_set=ward_set, located=located, batch_size=BATCH, checkpoint=session.commit
        )
    finally:
        repo.unassigned_points, repo.write_assignments = read, write
    return result.assigned + result.outside


BREAKDOWN: dict[str, list[float]] = {"reads": [], "writes": []}


def _pending_points(session, set_id: int) -> np.ndarray:
    from nte.reports.models import Report
    from nte.wards import repository as repo

    points, _last = repo.unassigned_points(
        session,
        subject="report",
        id_column=Report.id,
        geom_column=Report.geom,
        ward_set_id=set_id,
        after_id=0,
        limit=2**62,
    )
    return points


def run_reference(session, set_id: int) -> int:
    import geopandas as gpd

    from nte.wards import repository as repo

    conn = session.connection()
    wards_gdf = gpd.read_postgis(
        f"SELECT code, borough_code, geom FROM ward WHERE ward_set_id = {int(set_id)}",  # noqa: S608 - an int
        conn,
        geom_col="geom",
    )
    block = _pending_points(session, set_id)
    points = gpd.GeoDataFrame(
        {"id": block[:, 0].astype(np.int64)}, geometry=gpd.points_from_xy(block[:, 1], block[:, 2]), crs=4326
    )
    del block
    joined = gpd.sjoin(points, wards_gdf, predicate="intersects", how="left")
    joined = joined.sort_values(["id", "code"], na_position="last").drop_duplicates("id", keep="first")
    ids = joined["id"].to_numpy(np.int64).tolist()
    codes = [c if isinstance(c, str) else None for c in joined["code"].tolist()]
    boroughs = [b if isinstance(b, str) else None for b in joined["borough_code"].tolist()]
    del joined, points
    written = 0
    for start in range(0, len(ids), BATCH):
        stop = start + BATCH
        rows = [
            ("report", set_id, i, c, b)
            for i, c, b in zip(ids[start:stop], codes[start:stop], boroughs[start:stop], strict=True)
        ]
        written += repo.write_assignments(session, rows)
        session.commit()
    return written


def run_read_postgis(session, set_id: int) -> int:
    """Read only: the same pending reports through ``geopandas.read_postgis`` (for the choice of read)."""
    import geopandas as gpd

    sql = (
        "SELECT r.id, r.geom FROM report r WHERE r.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ward_assignment w "
        f"WHERE w.subject = 'report' AND w.ward_set_id = {int(set_id)} AND w.subject_id = r.id) ORDER BY r.id"  # noqa: S608
    )
    frame = gpd.read_postgis(sql, session.connection(), geom_col="geom")
    return len(frame)


def run_binary_read(session, set_id: int) -> int:
    """Read only: the same pending reports in one binary-COPY read, as the reference path does."""
    return len(_pending_points(session, set_id))


def run_index(session, set_id: int) -> int:
    """Only the first step of the NTE path: building the 2022 ``WardIndex`` (read wards, lattice)."""
    from nte.wards import repository as repo
    from nte.wards import service as wards

    return len(wards.set_index(session, repo.get_ward_set(session, set_id)).codes)


def prepare_write_only(session, set_id: int) -> list[tuple[str, int, int, str | None, str | None]]:
    """Untimed: every pending report's 2022 assignment row, computed with the ``WardIndex``."""
    from nte.wards import repository as repo
    from nte.wards import service as wards

    index = wards.set_index(session, repo.get_ward_set(session, set_id))
    block = _pending_points(session, set_id)
    found = index.assign(block[:, 1], block[:, 2])
    codes = np.array(index.codes + [None], dtype=object)[found].tolist()
    boroughs = np.array(index.borough_codes + [None], dtype=object)[found].tolist()
    ids = block[:, 0].astype(np.int64).tolist()
    return [("report", set_id, i, c, b) for i, c, b in zip(ids, codes, boroughs, strict=True)]


def run_write_only(session, set_id: int, rows: list) -> int:
    """Only the shared write: ``write_assignments`` (COPY) of prepared rows, batches of 50,000, commit each."""
    from nte.wards import repository as repo

    written = 0
    for start in range(0, len(rows), BATCH):
        written += repo.write_assignments(session, rows[start : start + BATCH])
        session.commit()
    return written


PREPARE = {"write_only": prepare_write_only}
PATHS = {
    "nte": run_nte,
    "index": run_index,
    "write_only": run_write_only,
    "reference": run_reference,
    "read_postgis": run_read_postgis,
    "binary_read": run_binary_read,
}


def child(path: str, url: str, set_id: int) -> int:
    import geopandas  # noqa: F401 - loaded before the baseline in both paths, like every library
    import sqlalchemy as sa

    import nte.models  # noqa: F401
    from nte.db import engine_for, session_factory

    engine = engine_for(url, "mod_spatialite")
    with session_factory(engine)() as session:
        session.execute(sa.text("SELECT 1"))  # connect before the baseline
        session.commit()
        extra = (PREPARE[path](session, set_id),) if path in PREPARE else ()
        session.commit()
        reset = _reset_peak()
        before_kb = _status_kb("VmRSS") if reset else _status_kb("VmHWM")
        start = time.perf_counter()
        count = PATHS[path](session, set_id, *extra)
        seconds = time.perf_counter() - start
        peak_kb = _status_kb("VmHWM")
    growth = (peak_kb - before_kb) / 1024
    print(json.dumps({"count": count, "seconds": seconds, "growth_mb": growth, "reset": reset, **BREAKDOWN}))
    return 0


def run_child(path: str, url: str, set_id: int) -> dict:
    out = subprocess.run(  # noqa: S603 - this file
        [sys.executable, __file__, "--child", path, "--url", url, "--set-id", str(set_id)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{path} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- main ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--child", choices=sorted(PATHS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--set-id", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.url, args.set_id)

    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    try:
        print(f"storing {args.reports:,} reports assigned in December 2013, then importing May 2022 ...", flush=True)
        start = time.perf_counter()
        url, set_id = build_database(cluster, args.reports)
        print(f"  set-up {time.perf_counter() - start:.0f} s", flush=True)
        results: dict[str, dict] = {}
        outcomes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for path in ("index", "read_postgis", "binary_read"):
            print(f"{path} (read only) ...", flush=True)
            results[path] = run_child(path, url, set_id)
        for path in ("nte", "reference"):
            print(f"{path} ...", flush=True)
            results[path] = run_child(path, url, set_id)
            outcomes[path] = assignments(url, set_id)
            forget(url, set_id)
        print("write_only ...", flush=True)
        results["write_only"] = run_child("write_only", url, set_id)
        forget(url, set_id)
    finally:
        cluster.destroy()

    ours_ids, ours = outcomes["nte"]
    theirs_ids, theirs = outcomes["reference"]
    same_ids = ours_ids.shape == theirs_ids.shape and bool((ours_ids == theirs_ids).all())
    disagree = int((ours != theirs).sum()) if same_ids else max(ours_ids.size, theirs_ids.size)
    complete = ours_ids.size == args.reports and theirs_ids.size == args.reports
    inside = int(sum(c is not None for c in ours))

    print(
        f"\nAssigning {args.reports:,} stored reports to the May 2022 vintage on PostGIS, end to end "
        f"({inside:,} inside a 2022 ward, {args.reports - inside:,} outside; batches of {BATCH:,}, commit each)\n"
    )
    print(f"{'path':<58}{'reports':>11}{'seconds':>10}{'reports/s':>12}{'peak MB':>9}{'agreement':>12}")
    labels = {
        "nte": "NTE assign_set (index, keyset binary COPY read, COPY)",
        "reference": "geopandas sjoin (binary read, sjoin, same COPY write)",
        "index": "  NTE's first step only: WardIndex.build (wards, not reports)",
        "write_only": "  write only: the shared COPY write of prepared rows",
        "binary_read": "  read only: one binary COPY read (reference's read)",
        "read_postgis": "  read only: geopandas.read_postgis of the same rows",
    }
    for path in ("nte", "reference", "index", "write_only", "binary_read", "read_postgis"):
        r = results[path]
        if path == "index":
            print(f"{labels[path]:<58}{r['count']:>11,}{r['seconds']:>10.2f}{'':>12}{r['growth_mb']:>9.0f}")
            continue
        agreement = "" if path not in outcomes else ("identical" if disagree == 0 and complete else "DIFFERENT")
        print(
            f"{labels[path]:<58}{r['count']:>11,}{r['seconds']:>10.2f}{r['count'] / r['seconds']:>12,.0f}"
            f"{r['growth_mb']:>9.0f}{agreement:>12}"
        )
    if not all(r["reset"] for r in results.values()):
        print("(peak not resettable here: growth is measured from the subprocess's peak before the path)")
    reads, writes = results["nte"]["reads"], results["nte"]["writes"]
    if reads and writes:
        print(
            f"\nNTE assign_set inside: {len(reads)} keyset reads {sum(reads):.2f} s (first {reads[0]:.2f} s, "
            f"slowest {max(reads):.2f} s), {len(writes)} COPY writes {sum(writes):.2f} s, "
            f"index + assign + commits {results['nte']['seconds'] - sum(reads) - sum(writes):.2f} s"
        )
    speedup = results["reference"]["seconds"] / results["nte"]["seconds"]
    memory = results["nte"]["growth_mb"]
    print(f"\ndisagreements: {disagree:,} (rows written: NTE {ours_ids.size:,}, reference {theirs_ids.size:,})")
    print(f"speed-up: {speedup:.2f}x (target >= {SPEED_TARGET:g}x): {'met' if speedup >= SPEED_TARGET else 'NOT MET'}")
    print(
        f"NTE peak memory growth: {memory:.0f} MB (target < {MEMORY_TARGET_MB:g} MB): "
        f"{'met' if memory < MEMORY_TARGET_MB else 'NOT MET'}"
    )
    return 0 if disagree == 0 and complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
