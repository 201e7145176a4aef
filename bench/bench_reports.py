"""Benchmark reports on PostGIS, side by side with the raw database in the same run:

1. Reports accepted per second through the HTTP API (real uvicorn on loopback, 1 and 2 worker
   processes, several client threads) vs the same reports as single-row INSERTs through raw psycopg
   (report + category, one transaction each). Targets: at least 50% of the raw rate, p99 under
   50 ms. A third row measures the ceiling of the stack itself: the same uvicorn, FastAPI, request
   schema and client against an endpoint that stores nothing.
2. Bulk import rows per second (police.uk street CSV -> parse, ward index, dedupe, COPY) vs
   PostgreSQL COPY of the same, already prepared rows. Target: at least 50% of COPY.
3. Peak RSS of importing 100,000 and 1,000,000 rows (subprocesses, ``resource.getrusage``).
   Target: flat, under 300 MB.

The CSV rows are real 2016 police.uk points of the five boroughs, resampled (with fresh Crime IDs,
about one in ten blank as police.uk leaves them for anti-social behaviour).

    .venv/bin/python bench/bench_reports.py [--requests 3000] [--threads 4] [--rows 200000] [--big 1000000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nte.db import engine_for, session_factory  # noqa: E402
from nte.schema import upgrade  # noqa: E402
from nte.wards.shipped import import_shipped_wards  # noqa: E402
from tests.support.postgres import free_port, start_cluster  # noqa: E402

CRIME = ROOT / "nte" / "data" / "crime"
HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
CATEGORIES = ["verbal_harassment", "followed", "intimidating_group", "indecent_exposure", "sexual_touching", "spiking"]


def prepare(cluster, name: str) -> str:
    url = cluster.create_database(name)
    engine = engine_for(url, "mod_spatialite")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        import nte.models  # noqa: F401

        import_shipped_wards(session)
    return url


def real_rows() -> list[dict[str, str]]:
    rows = []
    for path in sorted(CRIME.glob("2016-*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows.extend(r for r in csv.DictReader(fh) if r["Longitude"] and r["Latitude"])
    return rows


def write_police_csv(path: Path, count: int, base: list[dict[str, str]], seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(count):
            src = base[rng.randrange(len(base))]
            blank = rng.random() < 0.1
            crime_id = "" if blank else hashlib.sha256(f"bench-{seed}-{i}".encode()).hexdigest()
            writer.writerow(
                [
                    crime_id,
                    src["Month"],
                    "Metropolitan Police Service",
                    "Metropolitan Police Service",
                    src["Longitude"],
                    src["Latitude"],
                    f"On or near Street {i % 9973}",
                    "",
                    "",
                    "Anti-social behaviour" if blank else src["Crime type"],
                    src["Last outcome category"],
                    "",
                ]
            )


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


# --- 1. HTTP API vs raw INSERT ---------------------------------------------------------------------


def report_bodies(count: int, base: list[dict[str, str]], seed: int) -> list[dict]:
    import json

    from shapely.geometry import shape as to_shape

    from nte.wards.index import OUTSIDE, WardIndex

    features = json.loads((ROOT / "nte/data/wards/six-boroughs-wards-dec2013.geojson").read_text())["features"]

    index = WardIndex.build(
        [(f["properties"]["WD13CD"], "", f["properties"]["LAD13CD"], to_shape(f["geometry"])) for f in features]
    )
    rng = random.Random(seed)
    now = datetime.now(UTC)
    bodies = []
    while len(bodies) < count:
        src = base[rng.randrange(len(base))]
        lon, lat = float(src["Longitude"]), float(src["Latitude"])
        if index.assign(np.array([lon]), np.array([lat]))[0] == OUTSIDE:
            continue
        when = now - timedelta(minutes=rng.randrange(60, 60 * 24 * 30))
        bodies.append(
            {
                "lat": lat,
                "lon": lon,
                "date": when.date().isoformat(),
                "time": when.strftime("%H:%M"),
                "categories": [rng.choice(CATEGORIES)],
                "factors": ["poor_lighting"],
            }
        )
    return bodies


def run_threads(threads: int, work: list, func) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [work[i::threads] for i in range(threads)]

    def worker(items):
        local = func()
        mine = []
        for item in items:
            start = time.perf_counter()
            local(item)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    ts = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - start, latencies


# The framework's ceiling on this machine: the same uvicorn and FastAPI, the same request schema
# and the same client, but an endpoint that stores nothing (no middleware, no database).
CEILING_APP = """
import uvicorn
from fastapi import FastAPI
from nte.reports.schemas import ReportCreate

app = FastAPI()

@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}

@app.post("/api/reports", status_code=201)
def submit(body: ReportCreate) -> dict:
    return {"receipt_code": "ABCD-EFGH-JKLM", "status": "new", "ward_code": "E05000649"}

uvicorn.run(app, host="127.0.0.1", port={port}, access_log=False, log_level="warning")
"""
SERVICE_APP = """
import uvicorn
uvicorn.run("nte.asgi:app", host="127.0.0.1", port={port}, access_log=False, log_level="warning",
            workers={workers})
"""


def bench_http(cluster, base, requests: int, threads: int, *, workers: int = 1, ceiling: bool = False) -> dict:
    """POST the reports to a real uvicorn on loopback: the service (``workers`` processes) or, with
    ``ceiling``, the empty endpoint above."""
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "NTE_DATABASE_URL": prepare(cluster, f"bench_http_{workers}") if not ceiling else "sqlite://",
        "NTE_ENV": "test",
        "NTE_REPORTS_SUBMIT_LIMIT": "1000000000",
        "NTE_SECRET_KEY": "bench-" + os.urandom(8).hex(),
    }
    code = (CEILING_APP if ceiling else SERVICE_APP).replace("{port}", str(port)).replace("{workers}", str(workers))
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603 - our own code
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        bodies = report_bodies(requests + 200, base, seed=3)
        warm, bodies = bodies[:200], bodies[200:]

        def client():
            http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

            def send(body):
                r = http.post("/api/reports", json=body)
                if r.status_code != 201:
                    raise RuntimeError(f"{r.status_code}: {r.text[:200]}")

            return send

        run_threads(threads, warm, client)
        wall, lat = run_threads(threads, bodies, client)
    finally:
        server.terminate()
        server.wait(20)
    return {"rate": len(bodies) / wall, "p50": percentile(lat, 50) * 1000, "p99": percentile(lat, 99) * 1000}


def bench_raw_insert(cluster, base, requests: int, threads: int) -> dict:
    import psycopg

    url = prepare(cluster, "bench_raw").replace("+psycopg", "")
    bodies = report_bodies(requests, base, seed=4)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    def client():
        conn = psycopg.connect(url, autocommit=True)

        def insert(body):
            with conn.transaction():
                rid = conn.execute(
                    "INSERT INTO report (source, status, occurred_at, time_precision, received_hour, "
                    "location_precision, geom, easting, northing, ward_code, borough_code, main_category, factors, "
                    "receipt_hash, flagged_near_duplicate, created_at) VALUES ('public', 'new', %s, 'exact', %s, "
                    "'exact', ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0, 0, 'E05000000', 'E09000033', %s, "
                    "'poor_lighting', %s, false, %s) RETURNING id",
                    (now, now, body["lon"], body["lat"], body["categories"][0], os.urandom(32).hex(), now),
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO report_category (report_id, category) VALUES (%s, %s)", (rid, body["categories"][0])
                )

        return insert

    wall, lat = run_threads(threads, bodies, client)
    return {"rate": len(bodies) / wall, "p50": percentile(lat, 50) * 1000, "p99": percentile(lat, 99) * 1000}


# --- 2. bulk import vs COPY -------------------------------------------------------------------------


def bench_import(cluster, csv_path: Path) -> dict:
    from nte.config import get_settings
    from nte.reports.importer import import_file

    url = prepare(cluster, "bench_import")
    factory = session_factory(engine_for(url, "mod_spatialite"))
    settings = get_settings().model_copy(update={"database_url": url})
    with factory() as session:
        start = time.perf_counter()
        summary, _ = import_file(
            session, path=csv_path, settings=settings, now=datetime.now(UTC), checkpoint=session.commit
        )
        wall = time.perf_counter() - start
    return {
        "rows": summary.inserted,
        "seconds": wall,
        "rate": summary.inserted / wall,
        "rejected": summary.rejected_total,
    }


def bench_copy(cluster, csv_path: Path) -> dict:
    """COPY of the same rows, prepared beforehand (ward, BNG, EWKT, categories): the floor."""
    import psycopg

    from nte.london import LONDON
    from nte.reports.vocabulary import police_slug
    from nte.spatial.geometry import _transformer
    from nte.wards.index import OUTSIDE, WardIndex

    url = prepare(cluster, "bench_copy")
    engine = engine_for(url, "mod_spatialite")
    with session_factory(engine)() as session:
        from nte.config import get_settings

        index = WardIndex.from_session(session, settings=get_settings())
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lon = np.array([float(r["Longitude"]) for r in rows])
    lat = np.array([float(r["Latitude"]) for r in rows])
    wards = index.assign(lon, lat)
    east, north = _transformer(4326, 27700).transform(lon, lat)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    prepared, cats = [], []
    next_id = 1
    for i, r in enumerate(rows):
        k = int(wards[i])
        if k == OUTSIDE:
            continue
        month = datetime.strptime(r["Month"], "%Y-%m").replace(tzinfo=LONDON).astimezone(UTC)
        slug = police_slug(r["Crime type"])
        prepared.append(
            (
                next_id,
                "police",
                "accepted",
                month,
                "month",
                now,
                "exact",
                f"SRID=4326;POINT({float(lon[i])!r} {float(lat[i])!r})",
                round(float(east[i]), 1),
                round(float(north[i]), 1),
                index.codes[k],
                index.borough_codes[k],
                slug,
                f"copy:{i}",
                False,
                now,
            )
        )
        cats.append((next_id, slug))
        next_id += 1
    raw = psycopg.connect(url.replace("+psycopg", ""))
    start = time.perf_counter()
    with raw.cursor() as cur:
        with cur.copy(
            "COPY report (id, source, status, occurred_at, time_precision, received_hour, location_precision,"
            " geom, easting, northing, ward_code, borough_code, main_category, external_id,"
            " flagged_near_duplicate, created_at) FROM STDIN"
        ) as copy:
            for row in prepared:
                copy.write_row(row)
        with cur.copy("COPY report_category (report_id, category) FROM STDIN") as copy:
            for row in cats:
                copy.write_row(row)
    raw.commit()
    wall = time.perf_counter() - start
    raw.close()
    return {"rows": len(prepared), "seconds": wall, "rate": len(prepared) / wall}


# --- 3. peak memory -----------------------------------------------------------------------------------

RSS_CHILD = """
import resource, sys, time
from datetime import UTC, datetime
from pathlib import Path
import nte.models  # noqa: F401
from nte.config import get_settings
from nte.db import engine_for, session_factory
from nte.reports.importer import import_file
url, path = sys.argv[1], Path(sys.argv[2])
settings = get_settings().model_copy(update={"database_url": url})
factory = session_factory(engine_for(url, "mod_spatialite"))
start = time.perf_counter()
with factory() as session:
    summary, _ = import_file(session, path=path, settings=settings, now=datetime.now(UTC), checkpoint=session.commit)
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(summary.inserted, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, hwm)
"""


def bench_rss(cluster, csv_path: Path, name: str) -> dict:
    url = prepare(cluster, name)
    out = subprocess.run(  # noqa: S603 - our own code
        [sys.executable, "-c", RSS_CHILD, url, str(csv_path)],
        cwd=ROOT,
        capture_output=True,  # noqa: S603
        text=True,
        check=True,
    )
    inserted, seconds, maxrss_kb, hwm_kb = out.stdout.split()[-4:]
    # ru_maxrss of a child also carries the parent's peak from before exec (Linux keeps the signal
    # struct's maxrss across fork + exec), so the child's own peak is VmHWM of its address space.
    return {
        "rows": int(inserted),
        "seconds": float(seconds),
        "rss_mb": int(hwm_kb) / 1024,
        "ru_maxrss_mb": int(maxrss_kb) / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()

    base = real_rows()
    cluster = start_cluster()
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="nte-bench-reports-") as tmp:
            small = Path(tmp) / "street-small.csv"
            write_police_csv(small, args.rows, base, seed=1)
            print(f"HTTP API ({args.threads} client threads, {args.requests} reports) ...", flush=True)
            results["http"] = bench_http(cluster, base, args.requests, args.threads)
            results["http2"] = bench_http(cluster, base, args.requests, args.threads, workers=2)
            results["ceiling"] = bench_http(cluster, base, args.requests, args.threads, ceiling=True)
            results["raw"] = bench_raw_insert(cluster, base, args.requests, args.threads)
            print(f"bulk import of {args.rows:,} rows ...", flush=True)
            results["import"] = bench_import(cluster, small)
            results["copy"] = bench_copy(cluster, small)
            print("peak memory ...", flush=True)
            tenth = Path(tmp) / "street-100k.csv"
            write_police_csv(tenth, args.big // 10, base, seed=5)
            results["rss_small"] = bench_rss(cluster, tenth, "bench_rss_small")
            tenth.unlink()
            big = Path(tmp) / "street-big.csv"
            write_police_csv(big, args.big, base, seed=6)
            results["rss_big"] = bench_rss(cluster, big, "bench_rss_big")
    finally:
        cluster.destroy()

    http, raw, imp, copy = results["http"], results["raw"], results["import"], results["copy"]
    rs, rb = results["rss_small"], results["rss_big"]
    print("\n1. Reports accepted per second (PostGIS)")
    print(f"{'method':<44}{'reports/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
    print(
        f"{'HTTP POST /api/reports (uvicorn, 1 worker)':<44}"
        f"{http['rate']:>12,.0f}{http['p50']:>10.1f}{http['p99']:>10.1f}"
    )
    http2, ceiling = results["http2"], results["ceiling"]
    print(
        f"{'HTTP POST /api/reports (uvicorn, 2 workers)':<44}"
        f"{http2['rate']:>12,.0f}{http2['p50']:>10.1f}{http2['p99']:>10.1f}"
    )
    print(
        f"{'ceiling: same schema, endpoint stores nothing':<44}"
        f"{ceiling['rate']:>12,.0f}{ceiling['p50']:>10.1f}{ceiling['p99']:>10.1f}"
    )
    print(f"{'raw psycopg INSERT report + category':<44}{raw['rate']:>12,.0f}{raw['p50']:>10.1f}{raw['p99']:>10.1f}")
    best = max(http, http2, key=lambda r: r["rate"])
    share = best["rate"] / raw["rate"]
    ok1 = share >= 0.5 and best["p99"] < 50
    print(
        f"HTTP is {100 * share:.0f}% of raw (target >= 50%), p99 {best['p99']:.1f} ms (target < 50): "
        f"{'meets target' if ok1 else 'BELOW TARGET'}"
    )
    print(
        f"the ceiling (uvicorn + FastAPI + this client, no work at all) is {100 * ceiling['rate'] / raw['rate']:.0f}% "
        "of raw on this machine; the service reaches "
        f"{100 * best['rate'] / ceiling['rate']:.0f}% of the ceiling"
    )
    print("\n2. Bulk import rows per second (PostGIS)")
    print(f"{'method':<44}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
    print(
        f"{'NTE import (parse, wards, dedupe, COPY)':<44}{imp['rows']:>12,}{imp['seconds']:>10.2f}{imp['rate']:>12,.0f}"
    )
    print(f"{'COPY of the prepared rows':<44}{copy['rows']:>12,}{copy['seconds']:>10.2f}{copy['rate']:>12,.0f}")
    share2 = imp["rate"] / copy["rate"]
    ok2 = share2 >= 0.5
    print(f"import is {100 * share2:.0f}% of COPY (target >= 50%): {'meets target' if ok2 else 'BELOW TARGET'}")
    print(
        "\n3. Peak memory of an import (PostGIS, a subprocess; peak MB = its VmHWM; ru_maxrss also carries "
        "this parent's peak from before exec)"
    )
    print(f"{'file':<44}{'rows':>12}{'seconds':>10}{'peak MB':>10}{'ru_maxrss':>11}")
    print(
        f"{'synthetic police.uk CSV, 1/10 size':<44}{rs['rows']:>12,}{rs['seconds']:>10.1f}"
        f"{rs['rss_mb']:>10.0f}{rs['ru_maxrss_mb']:>11.0f}"
    )
    print(
        f"{'synthetic police.uk CSV, full size':<44}{rb['rows']:>12,}{rb['seconds']:>10.1f}"
        f"{rb['rss_mb']:>10.0f}{rb['ru_maxrss_mb']:>11.0f}"
    )
    ok3 = rb["rss_mb"] < 300 and rb["rss_mb"] < rs["rss_mb"] * 1.5
    print(
        f"growth x{rb['rss_mb'] / rs['rss_mb']:.2f} for 10x rows, peak {rb['rss_mb']:.0f} MB (target flat, < 300 MB): "
        f"{'meets target' if ok3 else 'BELOW TARGET'}"
    )
    return 0 if (ok1 and ok2 and ok3) else 1


if __name__ == "__main__":
    raise SystemExit(main())
