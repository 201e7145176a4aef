"""Benchmark: OGC API - Features items pages, NTE Safe (``/ogc``) against tipg on the same PostGIS table.

Data: ``--reports`` reports (1,000,000 by default) resampled from the real 2016 police.uk points of the
five boroughs, built and COPY-loaded by ``bench_maps.synthesise`` / ``bulk_load`` into a throwaway PostGIS
cluster (``tests.support.postgres.start_cluster``) migrated with ``nte.schema.upgrade``.

Both servers run for real as their own uvicorn process with one worker on loopback, against the same
database and the same ``report`` table, and are asked for pages of 1,000 features:

* NTE Safe: ``python main.py serve --workers 1``, ``/ogc/collections/reports/items`` with an officer's
  bearer token (made with the auth service); deep pages by the keyset cursor of its ``next`` links.
* tipg (its own venv ``.venv-tipg``, installed from ``bench/tipg.lock`` if missing):
  ``/collections/public.report/items``, the same properties, deep pages by ``offset`` (its only way).

Rows, each repeated ``--repeat`` times after one warm-up, one request at a time on a kept-alive
connection (``Accept-Encoding: identity`` on both: tipg compresses by default, and compression is a
deployment choice, not the server's work): (a) the first page, (b) a page 90 % deep into the set,
(c) a bbox + CQL2 filtered page (``category = 'followed'`` on NTE, ``main_category = 'followed'`` on
tipg's raw table: the bench loads one category per report, so both name the same rows). Latency is
the time to the last byte; features/s = features / summed latency. (d) NTE's RSS (VmRSS of the server
process and its children) while paging through the whole set by ``next`` links, at 0, 10, 50, 100 %.

Targets: NTE at least tipg's features/s on every row, NTE p99 < 100 ms per 1,000-feature page, RSS flat
(growth from 10 % to 100 % of the walk under 10 %).

    .venv/bin/python bench/bench_ogc.py [--reports 1000000] [--repeat 30] [--no-tipg]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_maps import bulk_load, synthesise  # noqa: E402

from tests.support.postgres import free_port  # noqa: E402

PAGE = 1000
DEEP = 0.9
TARGET_P99_MS = 100.0
FLAT = 0.10
TIPG_VENV = ROOT / ".venv-tipg"
TIPG_LOCK = ROOT / "bench" / "tipg.lock"
NTE_ITEMS = "/ogc/collections/reports/items"
TIPG_ITEMS = "/collections/public.report/items"
NTE_FILTER = "category = 'followed'"
TIPG_FILTER = "main_category = 'followed'"
#: The report columns tipg serves: the ones NTE's reports collection returns (see the header the
#: bench prints); tipg returns every column of the table unless told.
TIPG_PROPERTIES = ["id", "occurred_at", "main_category", "ward_code", "borough_code", "source", "status"]
IDENTITY = {"Accept-Encoding": "identity"}


# ---------------------------------------------------------------- measuring


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    features: int = 0
    bytes: int = 0

    @property
    def rate(self) -> float:
        return self.features / sum(self.seconds)

    @property
    def p50_ms(self) -> float:
        return 1000 * percentile(self.seconds, 50)

    @property
    def p99_ms(self) -> float:
        return 1000 * percentile(self.seconds, 99)


def get_page(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> tuple[float, dict, int]:
    """Seconds to the last byte, the parsed body and its size (the parse is not timed)."""
    start = time.perf_counter()
    response = client.get(url, params=params)
    body = response.content
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {response.url} answered {response.status_code}: {body[:500]!r}")
    return elapsed, json.loads(body), len(body)


def repeat_page(
    client: httpx.Client, url: str, params: dict[str, str] | None, *, repeat: int, expect: int = PAGE
) -> Timing:
    """One warm-up, then ``repeat`` timed requests; each must return ``expect`` features."""
    timing = Timing()
    for i in range(repeat + 1):
        seconds, body, size = get_page(client, url, params)
        got = len(body["features"])
        if got != expect:
            raise RuntimeError(f"{url} returned {got} features, not {expect}: the rows would not compare")
        if i:
            timing.seconds.append(seconds)
            timing.features += got
            timing.bytes += size
    return timing


def next_link(body: dict) -> str | None:
    return next((link["href"] for link in body.get("links", []) if link.get("rel") == "next"), None)


# ---------------------------------------------------------------- memory


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant (uvicorn with workers > 1 forks; with 1 it serves itself)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tree_rss_mb(root: int) -> float:
    return sum(rss_kb(pid) for pid in process_tree(root)) / 1024


@dataclass
class Walk:
    pages: int
    features: int
    seconds: float
    rss_mb: dict[int, float]  # percent of the walk -> MB
    deep_url: str | None
    ids_unique: bool

    @property
    def flat(self) -> bool:
        return self.rss_mb[100] <= self.rss_mb[10] * (1 + FLAT)


def walk_all(client: httpx.Client, first_url: str, params: dict[str, str], *, pid: int, matched: int) -> Walk:
    """Page through the whole set by ``next`` links, sampling the server's RSS at 0/10/50/100 %."""
    pages = math.ceil(matched / PAGE)
    marks = {max(1, round(pages * p / 100)): p for p in (10, 50, 100)}
    deep_page = int(pages * DEEP)
    rss = {0: tree_rss_mb(pid)}
    url: str | None = first_url
    query: dict[str, str] | None = params
    seen: set[Any] = set()
    features = page = 0
    deep_url = None
    start = time.perf_counter()
    while url:
        _s, body, _n = get_page(client, url, query)
        query = None  # a next link carries its own query
        page += 1
        features += len(body["features"])
        seen.update(f["id"] for f in body["features"])
        url = next_link(body)
        if page == deep_page:
            deep_url = url  # the link to page deep_page + 1: offset deep_page * PAGE
        if page in marks:
            rss[marks[page]] = tree_rss_mb(pid)
    seconds = time.perf_counter() - start
    rss.setdefault(100, tree_rss_mb(pid))
    return Walk(page, features, seconds, rss, deep_url, len(seen) == features)


# ---------------------------------------------------------------- tipg


def lock_digest() -> str:
    return hashlib.sha256(TIPG_LOCK.read_bytes()).hexdigest()


def ensure_tipg_venv() -> Path:
    """``.venv-tipg`` with exactly ``bench/tipg.lock`` (made again when the lock changes)."""
    marker = TIPG_VENV / "installed-lock.sha256"
    if marker.exists() and marker.read_text().strip() == lock_digest():
        return TIPG_VENV
    print("Installing tipg into .venv-tipg from bench/tipg.lock ...", flush=True)
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--clear", str(TIPG_VENV)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603 - the locked requirements of our own bench
        [
            str(TIPG_VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "-r",
            str(TIPG_LOCK),
        ],
        check=True,
    )
    marker.write_text(lock_digest() + "\n")
    return TIPG_VENV


@dataclass
class Process:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def libpq_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def tipg_env(database_url: str, properties: Sequence[str]) -> dict[str, str]:
    conf = "TIPG_TABLE_CONFIG__public_report__"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": libpq_dsn(database_url),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.report"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        f"{conf}pk": "id",
        f"{conf}geomcol": "geom",
        f"{conf}datetimecol": "occurred_at",
        f"{conf}properties": json.dumps(list(properties)),
        "TIPG_DB_MAX_CONN_SIZE": "10",
    }


def start_tipg(database_url: str, properties: Sequence[str], workdir: Path) -> Process:
    venv = ensure_tipg_venv()
    port = free_port()
    log = workdir / "tipg.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our bench's own venv
            [
                str(venv / "bin" / "uvicorn"),
                "tipg.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=workdir,  # no stray .env file is read
            env=tipg_env(database_url, properties),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tipg exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Process(proc, url, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"tipg did not start: {log.read_text()[-2000:]}")


# ---------------------------------------------------------------- data


def data_bbox(data: dict[str, np.ndarray]) -> list[float]:
    """A box around the middle of the points (the 35th to 65th percentile of each axis, 4 decimals)."""
    lo_x, hi_x = np.quantile(data["lon"], [0.35, 0.65])
    lo_y, hi_y = np.quantile(data["lat"], [0.35, 0.65])
    return [round(float(v), 4) for v in (lo_x, lo_y, hi_x, hi_y)]


def officer_token(url: str) -> str:
    from nte.auth import service as auth_service
    from nte.db import engine_for, session_factory, utcnow

    factory = session_factory(engine_for(url, "mod_spatialite"))
    with factory.begin() as session:
        user = auth_service.create_user(
            session,
            email="bench.officer@example.org",
            display_name="Bench officer",
            role="officer",
            password=None,
            confirmed_at=utcnow(),
        )
        return auth_service.create_api_token(session, user=user, name="bench", now=utcnow()).token


def load_reports(cluster: Any, n: int) -> tuple[str, dict[str, np.ndarray]]:
    from nte.db import engine_for
    from nte.schema import upgrade
    from nte.wards.shipped import import_shipped_wards

    url = cluster.create_database("nte_bench_ogc")
    engine = engine_for(url, "mod_spatialite")
    upgrade(engine)
    from sqlalchemy.orm import sessionmaker

    with sessionmaker(bind=engine).begin() as session:
        import_shipped_wards(session)
    with engine.connect() as conn:
        wards = conn.exec_driver_sql("SELECT code, borough_code, name, ST_AsBinary(geom) FROM ward").all()
    engine.dispose()
    data = synthesise(n, np.random.default_rng(1), wards)
    bulk_load(url, data, wards)
    return url, data


# ---------------------------------------------------------------- the run


@dataclass
class Side:
    name: str
    rows: dict[str, Timing] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)
    first_ids: dict[str, Any] = field(default_factory=dict)
    properties: list[str] = field(default_factory=list)


def measure_side(
    name: str,
    client: httpx.Client,
    items: str,
    *,
    filter_text: str,
    bbox: list[float],
    repeat: int,
    deep: Callable[[int], tuple[str, dict[str, str] | None]],
) -> Side:
    side = Side(name)
    first = {"limit": str(PAGE)}
    _s, body, _n = get_page(client, items, first)
    side.matched["first"] = int(body["numberMatched"])
    side.properties = sorted(body["features"][0]["properties"])
    side.first_ids["first"] = body["features"][0]["id"]
    side.rows["first"] = repeat_page(client, items, first, repeat=repeat)
    url, params = deep(side.matched["first"])
    _s, body, _n = get_page(client, url, params)
    side.first_ids["deep"] = body["features"][0]["id"]
    side.rows["deep"] = repeat_page(client, url, params, repeat=repeat)
    filtered = {
        "limit": str(PAGE),
        "bbox": ",".join(f"{v:g}" for v in bbox),
        "filter": filter_text,
        "filter-lang": "cql2-text",
    }
    _s, body, _n = get_page(client, items, filtered)
    side.matched["filtered"] = int(body["numberMatched"])
    side.first_ids["filtered"] = body["features"][0]["id"]
    side.rows["filtered"] = repeat_page(client, items, filtered, repeat=repeat)
    return side


LABELS = {
    "first": "(a) first page",
    "deep": f"(b) page {DEEP:.0%} deep",
    "filtered": "(c) bbox + CQL2 filter",
}


def print_table(nte: Side | None, tipg: Side | None, walk: Walk | None, *, reports: int, repeat: int) -> bool:
    print()
    print(
        f"OGC API - Features items, pages of {PAGE:,}, {reports:,} reports on PostGIS, 1 uvicorn worker each, "
        f"{repeat} requests per row after a warm-up, one at a time; {os.cpu_count()} cores shared by client, "
        "servers and PostgreSQL"
    )
    head = f"{'row':<26}{'server':<10}{'features/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'KB/page':>9}{'matched':>11}  target"
    print(head)
    print("-" * len(head))
    ok = nte is not None
    for key, label in LABELS.items():
        for side in (nte, tipg):
            if side is None:
                continue
            t = side.rows[key]
            verdict = ""
            if side is nte:
                goals = [t.p99_ms < TARGET_P99_MS]
                if tipg is not None:
                    goals.append(t.rate >= tipg.rows[key].rate)
                verdict = "pass" if all(goals) else "FAIL"
                ok &= all(goals)
            matched = side.matched.get(key, side.matched["first"])
            print(
                f"{label:<26}{side.name:<10}{t.rate:>12,.0f}{t.p50_ms:>9.1f}{t.p99_ms:>9.1f}"
                f"{t.bytes / len(t.seconds) / 1024:>9.0f}{matched:>11,}  {verdict}"
            )
            label = ""
    if walk is not None:
        rss = "  ".join(f"{p} %: {mb:.0f} MB" for p, mb in sorted(walk.rss_mb.items()))
        print(
            f"(d) NTE RSS paging all {walk.features:,} features by next links ({walk.pages} pages, "
            f"{walk.features / walk.seconds:,.0f} features/s, every id once: {walk.ids_unique}): {rss}"
        )
        growth = walk.rss_mb[100] / walk.rss_mb[10] - 1
        print(f"    growth 10 % -> 100 %: {growth:+.1%} (target < {FLAT:.0%}): {'pass' if walk.flat else 'FAIL'}")
        ok &= walk.flat and walk.ids_unique and walk.features == (nte.matched["first"] if nte else walk.features)
    print(
        f"targets: NTE features/s >= tipg on every row, NTE p99 < {TARGET_P99_MS:g} ms, RSS flat: "
        f"{'met' if ok else 'NOT met' if nte else 'not measured (no NTE side)'}"
    )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-tipg", action="store_true", help="NTE Safe alone")
    parser.add_argument("--no-nte", action="store_true", help="tipg alone (before /ogc exists)")
    args = parser.parse_args(argv)

    from tests.support.postgres import start_cluster
    from tests.support.server import serve

    if not args.no_tipg:
        ensure_tipg_venv()
    print(f"Starting PostGIS and loading {args.reports:,} reports ...", flush=True)
    cluster = start_cluster()
    servers: list[Any] = []
    try:
        t = time.perf_counter()
        url, data = load_reports(cluster, args.reports)
        loaded = int(cluster.psql("SELECT count(*) FROM report", database="nte_bench_ogc"))
        if loaded < PAGE * 10:
            raise RuntimeError(f"only {loaded} reports loaded")
        print(f"  {loaded:,} reports loaded in {time.perf_counter() - t:.1f} s", flush=True)
        bbox = data_bbox(data)
        nte = tipg = None
        walk = None
        with tempfile.TemporaryDirectory(prefix="nte-bench-ogc-") as tmp:
            if not args.no_nte:
                token = officer_token(url)
                app = serve(url, workers=1)
                servers.append(app)
                headers = {**IDENTITY, "Authorization": f"Bearer {token}"}
                with httpx.Client(base_url=app.url, headers=headers, timeout=300) as client:
                    print("NTE Safe: walking every page by next links ...", flush=True)
                    _s, body, _n = get_page(client, NTE_ITEMS, {"limit": str(PAGE)})
                    walk = walk_all(
                        client, NTE_ITEMS, {"limit": str(PAGE)}, pid=app.proc.pid, matched=int(body["numberMatched"])
                    )
                    deep_url = walk.deep_url
                    if deep_url is None:
                        raise RuntimeError("the walk found no next link at the deep page")
                    print("NTE Safe: timed pages ...", flush=True)
                    nte = measure_side(
                        "NTE Safe",
                        client,
                        NTE_ITEMS,
                        filter_text=NTE_FILTER,
                        bbox=bbox,
                        repeat=args.repeat,
                        deep=lambda _matched: (deep_url, None),
                    )
                app.stop()
                servers.remove(app)
            if not args.no_tipg:
                properties = nte.properties if nte else TIPG_PROPERTIES
                columns = {
                    c.split("|")[0]
                    for c in cluster.psql(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = 'report'",
                        database="nte_bench_ogc",
                    ).split()
                }
                tipg_props = [p for p in ["id", *properties] if p in columns] or TIPG_PROPERTIES
                tipg_app = start_tipg(url, tipg_props, Path(tmp))
                servers.append(tipg_app)
                with httpx.Client(base_url=tipg_app.url, headers=IDENTITY, timeout=300) as client:
                    print("tipg: timed pages ...", flush=True)

                    def tipg_deep(matched: int) -> tuple[str, dict[str, str]]:
                        offset = int(math.ceil(matched / PAGE) * DEEP) * PAGE
                        return TIPG_ITEMS, {"limit": str(PAGE), "offset": str(offset)}

                    tipg = measure_side(
                        "tipg",
                        client,
                        TIPG_ITEMS,
                        filter_text=TIPG_FILTER,
                        bbox=bbox,
                        repeat=args.repeat,
                        deep=tipg_deep,
                    )
        print(f"bbox {bbox}; NTE filter {NTE_FILTER!r}, tipg filter {TIPG_FILTER!r}")
        for side in (nte, tipg):
            if side:
                print(f"{side.name} properties: {', '.join(side.properties)}; first ids {side.first_ids}")
        ok = print_table(nte, tipg, walk, reports=loaded, repeat=args.repeat)
    finally:
        for server in servers:
            server.stop()
        cluster.destroy()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
