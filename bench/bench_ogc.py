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
from urllib.parse import urlsplit

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
NTE_ITEMS = "/ogc/collections/reports/items"
TIPG_ITEMS = "/collections/public.report/items"
PYGEOAPI_ITEMS = "/collections/reports/items"
NTE_FILTER = "category = 'followed'"
TIPG_FILTER = "main_category = 'followed'"
#: The report columns tipg serves when NTE is not measured (otherwise: the columns behind the properties
#: NTE's reports collection returns, see TIPG_COLUMN); tipg returns every column of the table unless told.
TIPG_PROPERTIES = ["occurred_at", "main_category", "ward_code", "borough_code", "source", "status"]
#: NTE property -> report column, where the names differ.
TIPG_COLUMN = {"category": "main_category"}
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
    client: httpx.Client,
    url: str,
    params: dict[str, str] | None,
    *,
    repeat: int,
    max_seconds: float = math.inf,
    expect: int = PAGE,
) -> Timing:
    """One warm-up, then ``repeat`` timed requests (fewer, but at least 5, if they take longer than
    ``max_seconds`` in all); each must return ``expect`` features."""
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
            if i >= 5 and sum(timing.seconds) > max_seconds:
                break
    return timing


def next_link(body: dict) -> str | None:
    """The ``next`` link's path and query: the server writes its public address (NTE_BASE_URL) into
    its links, and the bench talks to it on a loopback port."""
    href = next((link["href"] for link in body.get("links", []) if link.get("rel") == "next"), None)
    if href is None:
        return None
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


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


def walk_all(client: httpx.Client, first_url: str, params: dict[str, str], *, pid: int) -> Walk:
    """Page through the whole set by ``next`` links, sampling the server's RSS (after a first page)
    at 0/10/50/100 %."""
    _s, body, _n = get_page(client, first_url, params)
    pages = math.ceil(int(body["numberMatched"]) / PAGE)
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


# ---------------------------------------------------------------- the reference servers


@dataclass(frozen=True)
class Venv:
    """A reference server's own venv, installed from its lock (and made again when the lock changes)."""

    name: str

    @property
    def path(self) -> Path:
        return ROOT / f".venv-{self.name}"

    @property
    def lock(self) -> Path:
        return ROOT / "bench" / f"{self.name}.lock"

    def ensure(self) -> Path:
        marker = self.path / "installed-lock.sha256"
        digest = hashlib.sha256(self.lock.read_bytes()).hexdigest()
        if marker.exists() and marker.read_text().strip() == digest:
            return self.path
        print(f"Installing {self.name} into {self.path.name} from bench/{self.lock.name} ...", flush=True)
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--clear", str(self.path)], check=True)
        pip = [str(self.path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", str(self.lock)], check=True)
        marker.write_text(digest + "\n")
        return self.path


TIPG = Venv("tipg")
PYGEOAPI = Venv("pygeoapi")


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


def start_uvicorn(venv: Venv, app: str, *, env: dict[str, str], workdir: Path, port: int, health: str) -> Process:
    """``app`` under the venv's uvicorn, one worker, on loopback; waits until ``health`` answers 200."""
    log = workdir / f"{venv.name}.log"
    cmd = [str(venv.ensure() / "bin" / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", "1", "--no-access-log", "--log-level", "warning"]
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir)}
    with log.open("wb") as out:
        # cwd: no stray .env file is read
        proc = subprocess.Popen(cmd, cwd=workdir, env={**base_env, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{venv.name} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + health, timeout=5).status_code == 200:
                return Process(proc, url, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{venv.name} did not start: {log.read_text()[-2000:]}")


def libpq_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def tipg_env(database_url: str, properties: Sequence[str]) -> dict[str, str]:
    conf = "TIPG_TABLE_CONFIG__public_report__"
    return {
        "DATABASE_URL": libpq_dsn(database_url),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.report"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        f"{conf}pk": "id",
        f"{conf}geomcol": "geom",
        f"{conf}datetimecol": "occurred_at",
        f"{conf}properties": json.dumps(list(properties)),
    }


def start_tipg(database_url: str, properties: Sequence[str], workdir: Path) -> Process:
    env = tipg_env(database_url, properties)
    return start_uvicorn(TIPG, "tipg.main:app", env=env, workdir=workdir, port=free_port(), health="/healthz")


def pygeoapi_config(sqlite_path: Path, port: int, bbox: Sequence[float]) -> dict[str, Any]:
    """pygeoapi's configuration: the report table by its SQLite/GeoPackage provider, pages up to 10,000,
    any other query parameter an equality filter on that column (its only attribute filter)."""
    url = f"http://127.0.0.1:{port}"
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 10_000},
            "pretty_print": False,
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OpenStreetMap"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": url,
                "url": url,
            },
            "license": {"name": "CC-BY 4.0", "url": url},
            "provider": {"name": "bench", "url": url},
            "contact": {"name": "bench", "email": "bench@example.org", "url": url},
        },
        "resources": {
            "reports": {
                "type": "collection",
                "title": "Reports",
                "description": "NTE Safe reports",
                "keywords": ["reports"],
                "extents": {"spatial": {"bbox": list(bbox), "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
                "providers": [
                    {
                        "type": "feature",
                        "name": "SQLiteGPKG",
                        "data": str(sqlite_path),
                        "id_field": "id",
                        "table": "report",
                        "include_extra_query_parameters": True,
                    }
                ],
            }
        },
    }


def start_pygeoapi(sqlite_path: Path, bbox: Sequence[float], workdir: Path) -> Process:
    venv = PYGEOAPI.ensure()
    port = free_port()
    config, openapi = workdir / "pygeoapi-config.yml", workdir / "pygeoapi-openapi.yml"
    config.write_text(json.dumps(pygeoapi_config(sqlite_path, port, bbox)))  # JSON is YAML
    env = {
        "PYGEOAPI_CONFIG": str(config),
        "PYGEOAPI_OPENAPI": str(openapi),
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
    }
    subprocess.run(
        [str(venv / "bin" / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
        cwd=workdir,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), **env},
        check=True,
        capture_output=True,
    )
    return start_uvicorn(
        PYGEOAPI, "pygeoapi.starlette_app:APP", env=env, workdir=workdir, port=port, health="/conformance?f=json"
    )


# ---------------------------------------------------------------- data


def data_bbox(data: dict[str, np.ndarray]) -> list[float]:
    """A box around the middle of the points (the 35th to 65th percentile of each axis, 4 decimals)."""
    lo_x, hi_x = np.quantile(data["lon"], [0.35, 0.65])
    lo_y, hi_y = np.quantile(data["lat"], [0.35, 0.65])
    return [round(float(v), 4) for v in (lo_x, lo_y, hi_x, hi_y)]


def officer_token(url: str) -> str:
    """A bearer token of a new officer, made by the auth service (committed)."""
    from nte.auth import service as auth_service
    from nte.db import engine_for, session_factory, utcnow

    engine = engine_for(url, "mod_spatialite")
    with session_factory(engine).begin() as session:
        user = auth_service.create_user(
            session,
            email="bench.officer@example.org",
            display_name="Bench officer",
            role="officer",
            password=None,
            confirmed_at=utcnow(),
        )
        token = auth_service.create_api_token(session, user=user, name="bench", now=utcnow()).token
    engine.dispose()
    return token


def migrated_with_wards(url: str) -> list[Any]:
    """Migrate ``url``, load the shipped wards; the wards as (code, borough, name, WKB)."""
    from nte.db import engine_for, session_factory
    from nte.schema import upgrade
    from nte.wards.shipped import import_shipped_wards

    engine = engine_for(url, "mod_spatialite")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        import_shipped_wards(session)
    with engine.connect() as conn:
        wards = conn.exec_driver_sql("SELECT code, borough_code, name, ST_AsBinary(geom) FROM ward").all()
    engine.dispose()
    return list(wards)


def load_reports(url: str, n: int) -> dict[str, np.ndarray]:
    """``n`` reports (fewer: those outside the wards are dropped) by bench_maps, COPY-loaded."""
    wards = migrated_with_wards(url)
    data = synthesise(n, np.random.default_rng(1), wards)
    bulk_load(url, data, wards)
    return data


REPORT_COLUMNS = (
    "id",
    "source",
    "status",
    "occurred_at",
    "time_precision",
    "received_hour",
    "location_precision",
    "geom",
    "easting",
    "northing",
    "ward_code",
    "borough_code",
    "main_category",
    "flagged_near_duplicate",
    "created_at",
)


def copy_to_spatialite(pg_url: str, sqlite_url: str, *, chunk: int = 50_000) -> int:
    """The same reports (and their categories) from PostGIS into a migrated SpatiaLite database,
    through ``nte.spatial.bulk.bulk_insert`` (the importer's own way in)."""
    import psycopg
    import sqlalchemy as sa

    from nte.db import engine_for, session_factory
    from nte.reports.models import Report, ReportCategory
    from nte.spatial.bulk import bulk_insert, ewkt_point

    migrated_with_wards(sqlite_url)
    engine = engine_for(sqlite_url, "mod_spatialite")
    select = ", ".join("ST_X(geom), ST_Y(geom)" if c == "geom" else c for c in REPORT_COLUMNS)
    copied = 0
    with psycopg.connect(libpq_dsn(pg_url)) as pg, session_factory(engine).begin() as session:
        # A page cache that holds the table's dozen indexes (SQLite's default 2 MB made the copy
        # rewrite index pages from disk: 341 s for 1,000,000 reports).
        session.execute(sa.text("PRAGMA cache_size = -1000000"))
        with pg.cursor(name="reports") as cur:
            cur.execute(f"SELECT {select} FROM report ORDER BY id")  # noqa: S608 - our column names
            while batch := cur.fetchmany(chunk):
                rows = [(*r[:7], ewkt_point(r[7], r[8]), *r[9:]) for r in batch]
                copied += bulk_insert(session, Report.__table__, REPORT_COLUMNS, rows)
        with pg.cursor(name="categories") as cur:
            cur.execute("SELECT report_id, category FROM report_category ORDER BY report_id")
            while batch := cur.fetchmany(chunk):
                bulk_insert(session, ReportCategory.__table__, ("report_id", "category"), batch)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return copied


# ---------------------------------------------------------------- the rows


@dataclass
class Target:
    """How one server is asked for the three pages."""

    name: str
    items: str
    params: dict[str, str]  # on every request (format, page size)
    filtered: dict[str, str]  # bbox + attribute filter, added to params
    deep: Callable[[int], tuple[str, dict[str, str] | None]]  # numberMatched -> deep page request


@dataclass
class Side:
    name: str
    rows: dict[str, Timing] = field(default_factory=dict)
    matched: dict[str, int | None] = field(default_factory=dict)
    first_ids: dict[str, Any] = field(default_factory=dict)
    properties: list[str] = field(default_factory=list)


def matched_of(body: dict) -> int | None:
    value = body.get("numberMatched")
    return None if value is None else int(value)


def measure_side(client: httpx.Client, target: Target, *, repeat: int, max_row_seconds: float) -> Side:
    side = Side(target.name)
    _s, body, _n = get_page(client, target.items, target.params)
    side.matched["first"] = matched_of(body)
    side.properties = sorted(body["features"][0]["properties"])
    requests = {
        "first": (target.items, target.params),
        "deep": target.deep(side.matched["first"] or 0),
        "filtered": (target.items, {**target.params, **target.filtered}),
    }
    for key, (url, params) in requests.items():
        _s, body, _n = get_page(client, url, params)
        side.matched.setdefault(key, matched_of(body))
        side.first_ids[key] = body["features"][0]["id"]
        side.rows[key] = repeat_page(client, url, params, repeat=repeat, max_seconds=max_row_seconds)
    return side


LABELS = {
    "first": "(a) first page",
    "deep": f"(b) page {DEEP:.0%} deep",
    "filtered": "(c) bbox + filter",
}


def print_table(title: str, ours: Side | None, ref: Side | None, walk: Walk | None) -> bool:
    """The rows side by side with pass/fail against the targets; True if every target is met."""
    print()
    print(title)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average now (1, 5, 15 min): {load} on {os.cpu_count()} cores (other work on the machine shows here)")
    head = f"{'row':<22}{'server':<10}{'runs':>5}{'features/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'KB/page':>9}"
    head += f"{'matched':>11}  target"
    print(head)
    print("-" * len(head))
    ok = ours is not None
    for key, label in LABELS.items():
        for side in (ours, ref):
            if side is None:
                continue
            t = side.rows[key]
            verdict = ""
            if side is ours:
                goals = [t.p99_ms < TARGET_P99_MS]
                if ref is not None:
                    goals.append(t.rate >= ref.rows[key].rate)
                verdict = "pass" if all(goals) else "FAIL"
                ok &= all(goals)
            matched = side.matched.get(key)
            print(
                f"{label:<22}{side.name:<10}{len(t.seconds):>5}{t.rate:>12,.0f}{t.p50_ms:>9.1f}{t.p99_ms:>9.1f}"
                f"{t.bytes / len(t.seconds) / 1024:>9.0f}{'-' if matched is None else f'{matched:,}':>11}  {verdict}"
            )
            label = ""
    if walk is not None:
        rss = ", ".join(f"{p} %: {mb:.1f} MB" for p, mb in sorted(walk.rss_mb.items()))
        print(
            f"(d) {ours.name if ours else ''} RSS while paging all {walk.features:,} features by next links "
            f"({walk.pages} pages in {walk.seconds:.0f} s, {walk.features / walk.seconds:,.0f} features/s, "
            f"each id once: {walk.ids_unique}): {rss}"
        )
        growth = walk.rss_mb[100] / walk.rss_mb[10] - 1
        print(f"    growth 10 % -> 100 %: {growth:+.1%} (target < {FLAT:.0%}): {'pass' if walk.flat else 'FAIL'}")
        ok &= walk.flat and walk.ids_unique
    ref_name = ref.name if ref else "(none)"
    print(
        f"targets: NTE features/s >= {ref_name} on every row, NTE p99 < {TARGET_P99_MS:g} ms, RSS flat: "
        f"{'met' if ok else 'NOT met' if ours else 'not measured (no NTE side)'}"
    )
    return ok


def nte_target(name: str, deep_url: str, bbox: Sequence[float]) -> Target:
    return Target(
        name=name,
        items=NTE_ITEMS,
        params={"limit": str(PAGE)},
        filtered={"bbox": ",".join(f"{v:g}" for v in bbox), "filter": NTE_FILTER, "filter-lang": "cql2-text"},
        deep=lambda _matched: (deep_url, None),
    )


def offset_deep(items: str, params: dict[str, str], pages: int | None) -> Callable[[int], tuple[str, dict[str, str]]]:
    def deep(matched: int) -> tuple[str, dict[str, str]]:
        offset = int((pages or math.ceil(matched / PAGE)) * DEEP) * PAGE
        return items, {**params, "offset": str(offset)}

    return deep


def run_nte(
    base_url: str, *, pid: int, token: str, bbox: Sequence[float], repeat: int, max_row_seconds: float
) -> tuple[Side, Walk]:
    headers = {**IDENTITY, "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        print("  NTE Safe: every page by next links ...", flush=True)
        walk = walk_all(client, NTE_ITEMS, {"limit": str(PAGE)}, pid=pid)
        if walk.deep_url is None:
            raise RuntimeError("the walk found no next link at the deep page")
        print("  NTE Safe: timed pages ...", flush=True)
        side = measure_side(
            client, nte_target("NTE Safe", walk.deep_url, bbox), repeat=repeat, max_row_seconds=max_row_seconds
        )
    return side, walk


def measure_nte(database_url: str, *, bbox: Sequence[float], args: argparse.Namespace, servers: list) -> tuple:
    """NTE Safe served on ``database_url`` (one worker) and measured; ``servers`` holds it while it runs,
    so the bench's clean-up stops it if a row fails."""
    from tests.support.server import serve

    token = officer_token(database_url)
    app = serve(database_url, workers=1)
    servers.append(app)
    try:
        return run_nte(
            app.url,
            pid=app.proc.pid,
            token=token,
            bbox=bbox,
            repeat=args.repeat,
            max_row_seconds=args.max_row_seconds,
        )
    finally:
        app.stop()
        servers.remove(app)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per row (after one warm-up)")
    parser.add_argument(
        "--max-row-seconds", type=float, default=60, help="stop a row after this long (at least 5 requests)"
    )
    parser.add_argument("--no-reference", action="store_true", help="NTE Safe alone")
    parser.add_argument("--no-nte", action="store_true", help="the reference servers alone")
    parser.add_argument("--no-spatialite", action="store_true", help="PostGIS only")
    parser.add_argument(
        "--no-jit",
        action="store_true",
        help="ALTER DATABASE ... SET jit = off before the servers start (both servers: a deployment setting)",
    )
    args = parser.parse_args(argv)

    from tests.support.postgres import start_cluster

    if not args.no_reference:
        TIPG.ensure()
        if not args.no_spatialite:
            PYGEOAPI.ensure()
    print(f"Starting PostGIS and loading {args.reports:,} reports ...", flush=True)
    cluster = start_cluster()
    servers: list[Any] = []
    ok = True
    cores = os.cpu_count()
    try:
        with tempfile.TemporaryDirectory(prefix="nte-bench-ogc-") as tmp:
            work = Path(tmp)
            t = time.perf_counter()
            pg_url = cluster.create_database("nte_bench_ogc")
            data = load_reports(pg_url, args.reports)
            loaded = int(cluster.psql("SELECT count(*) FROM report", database="nte_bench_ogc"))
            if loaded < PAGE * 10:
                raise RuntimeError(f"only {loaded} reports loaded")
            print(f"  {loaded:,} reports loaded in {time.perf_counter() - t:.1f} s", flush=True)
            bbox = data_bbox(data)
            pages = math.ceil(loaded / PAGE)
            if args.no_jit:
                cluster.psql("ALTER DATABASE nte_bench_ogc SET jit = off")
            jit = cluster.psql("SHOW jit", database="nte_bench_ogc").strip()
            print(f"bbox {bbox}; NTE filter {NTE_FILTER!r}", flush=True)

            nte = ref = walk = None
            if not args.no_nte:
                nte, walk = measure_nte(pg_url, bbox=bbox, args=args, servers=servers)
            if not args.no_reference:
                columns = set(
                    cluster.psql(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = 'report'",
                        database="nte_bench_ogc",
                    ).split()
                )
                wanted = [TIPG_COLUMN.get(p, p) for p in nte.properties] if nte else TIPG_PROPERTIES
                properties = [p for p in wanted if p in columns]
                tipg = start_tipg(pg_url, ["id", *properties], work)
                servers.append(tipg)
                print(f"  tipg (properties {properties}, filter {TIPG_FILTER!r}): timed pages ...", flush=True)
                with httpx.Client(base_url=tipg.url, headers=IDENTITY, timeout=600) as client:
                    params = {"limit": str(PAGE)}
                    target = Target(
                        name="tipg",
                        items=TIPG_ITEMS,
                        params=params,
                        filtered={
                            "bbox": ",".join(f"{v:g}" for v in bbox),
                            "filter": TIPG_FILTER,
                            "filter-lang": "cql2-text",
                        },
                        deep=offset_deep(TIPG_ITEMS, params, pages),
                    )
                    ref = measure_side(client, target, repeat=args.repeat, max_row_seconds=args.max_row_seconds)
                tipg.stop()
                servers.remove(tipg)
            for side in (nte, ref):
                if side:
                    print(f"{side.name} properties: {', '.join(side.properties)}; first ids {side.first_ids}")
            title = (
                f"PostGIS: OGC API - Features items, pages of {PAGE:,}, {loaded:,} reports, 1 uvicorn worker each, "
                f"one request at a time; {cores} cores shared by client, server and database; PostgreSQL jit {jit}"
            )
            ok &= print_table(title, nte, ref, walk)

            if args.no_spatialite:
                return 0 if ok else 1
            print("\nCopying the reports into SpatiaLite ...", flush=True)
            t = time.perf_counter()
            sqlite_path = work / "nte.sqlite"
            sqlite_url = f"sqlite:///{sqlite_path}"
            copied = copy_to_spatialite(pg_url, sqlite_url)
            print(f"  {copied:,} reports copied in {time.perf_counter() - t:.1f} s", flush=True)
            nte = ref = walk = None
            if not args.no_nte:
                nte, walk = measure_nte(sqlite_url, bbox=bbox, args=args, servers=servers)
            if not args.no_reference:
                pygeoapi = start_pygeoapi(sqlite_path, bbox, work)
                servers.append(pygeoapi)
                print("  pygeoapi (SQLiteGPKG provider, main_category=followed): timed pages ...", flush=True)
                with httpx.Client(base_url=pygeoapi.url, headers=IDENTITY, timeout=600) as client:
                    params = {"f": "json", "limit": str(PAGE)}
                    target = Target(
                        name="pygeoapi",
                        items=PYGEOAPI_ITEMS,
                        params=params,
                        filtered={"bbox": ",".join(f"{v:g}" for v in bbox), "main_category": "followed"},
                        deep=offset_deep(PYGEOAPI_ITEMS, params, pages),
                    )
                    ref = measure_side(client, target, repeat=args.repeat, max_row_seconds=args.max_row_seconds)
                pygeoapi.stop()
                servers.remove(pygeoapi)
            for side in (nte, ref):
                if side:
                    print(f"{side.name} properties: {', '.join(side.properties)}; first ids {side.first_ids}")
            title = (
                f"SpatiaLite: the same pages, {copied:,} reports; pygeoapi (SQLiteGPKG provider) has no CQL2 "
                "and no keyset: its filter is the main_category=followed query parameter, its deep page an offset"
            )
            ok &= print_table(title, nte, ref, walk)
    finally:
        for server in servers:
            server.stop()
        cluster.destroy()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
