"""A streamed export ends its database work. After an officer's export, read in full or abandoned
half-way, anonymous reporting and ``/healthz`` still answer at once and no connection is left in a
transaction, on both databases. A real server in this process (real commits, its own pool), real
HTTP on loopback: the shared test connection of the other tests cannot show a lock left behind.

Before the fix, each of these exports left the SQLite write lock taken (every later write waited
30 s and answered 503, until a restart) and a PostgreSQL connection idle in transaction."""

from __future__ import annotations

import io
import itertools
import sqlite3

import httpx
import pytest
import sqlalchemy as sa

from nte.auth import service as auth_service
from nte.auth.deps import SESSION_COOKIE
from nte.config import get_settings
from nte.db import engine_for, utcnow
from nte.reports.importer import import_stream
from tests.support.server import client_from, report_body, serve_in_thread
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

EXPORTS = [
    "/api/reports/export.csv",
    "/api/reports/export.geojson",
    "/officer/reports/export.csv",
    "/officer/reports/export.geojson",
]
#: More than one chunk of the export (``iter_reports`` reads 2,000 rows at a time).
REPORTS = 2_300
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context"
)
_addresses = itertools.count(1)


def _police_csv(n: int) -> bytes:
    lines = [HEADER]
    for i in range(n):
        lon, lat = -0.1400 + (i % 89) * 0.00012, 51.5095 + (i % 50) * 0.00008  # Soho, Westminster
        lines.append(
            f"stream{i:05d},2026-10,Metropolitan Police Service,Metropolitan Police Service,{lon:.6f},{lat:.6f},"
            "On or near X,E01004763,Westminster 018A,Public order,,"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def served(backend, tmp_path_factory, request):
    from sqlalchemy.orm import sessionmaker

    from tests.conftest import make_database

    cluster = request.getfixturevalue("pg_cluster") if backend == "postgis" else None
    url = make_database(backend, f"nte_streaming_{backend}", tmp_path_factory.mktemp("streaming"), cluster)
    settings = get_settings().model_copy(update={"database_url": url})
    engine = engine_for(url, settings.spatialite_library)
    with sessionmaker(bind=engine, expire_on_commit=False).begin() as session:
        summary, _ = import_stream(
            session, stream=io.BytesIO(_police_csv(REPORTS)), filename="street.csv", settings=settings, now=utcnow()
        )
        assert summary.inserted == REPORTS, summary
        officer = auth_service.create_user(
            session, email="stream-officer@example.org", display_name="Officer", role="officer", password="x" * 16
        )
        cookie = auth_service.start_session(session, user=officer, now=utcnow(), settings=settings).token
    server = serve_in_thread(settings)
    yield server, engine, cookie
    server.stop()


def _no_transaction_left(engine) -> bool:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            idle = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        return idle == 0
    # SQLite: a new connection takes the write lock at once (no waiting) and gives it back.
    conn = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _service_answers(url: str) -> None:
    """An anonymous report is stored and /healthz (which begins a write transaction) is green."""
    address = f"127.77.{next(_addresses) // 250}.{1 + next(_addresses) % 250}"
    with client_from(address, url, timeout=10) as anonymous:  # a held lock would wait 30 s: a time-out here
        created = anonymous.post("/api/reports", json=report_body(7))
        assert created.status_code == 201, created.text
        health = anonymous.get("/healthz")
        assert health.status_code == 200, health.text


@pytest.mark.parametrize("path", EXPORTS)
def test_after_an_export_the_service_still_writes(served, path):
    server, engine, cookie = served
    with httpx.Client(base_url=server.url, cookies={SESSION_COOKIE: cookie}, timeout=60) as officer:
        r = officer.get(path)
    assert r.status_code == 200, r.text[:300]
    rows = r.text.count("\r\n") - 1 if path.endswith(".csv") else r.json()["features"]
    assert (rows if isinstance(rows, int) else len(rows)) >= REPORTS
    assert _no_transaction_left(engine), "the export left a transaction open"
    _service_answers(server.url)


@pytest.mark.parametrize("path", [EXPORTS[0], EXPORTS[3]])
def test_an_export_abandoned_half_way_leaves_nothing_open(served, path):
    server, engine, cookie = served
    with httpx.Client(base_url=server.url, cookies={SESSION_COOKIE: cookie}, timeout=60) as officer:
        with officer.stream("GET", path) as r:
            assert r.status_code == 200
            first = next(r.iter_bytes())
            assert first
        # The connection is closed here, mid-body: the server stops producing.
    wait_for(lambda: _no_transaction_left(engine), what="no transaction left after the abandoned export")
    _service_answers(server.url)
