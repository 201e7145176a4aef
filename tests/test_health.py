from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from nte.app import create_app
from nte.config import get_settings
from nte.db import engine_for
from nte.health import check_database
from tests.support.postgres import free_port


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_does_not_answer():
    settings = get_settings().model_copy(
        update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nte"}
    )
    app = create_app(settings, check_db=False)
    with TestClient(app) as client:
        r = client.get("/healthz")
        assert r.status_code == 503 and "not answering" in r.json()["detail"]
        r = client.get("/api/wards/E05013806")
        assert r.status_code == 503 and r.json()["error"] == "database_unavailable"


def test_refuses_to_start_on_an_unmigrated_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    problem = check_database(engine_for(url, "mod_spatialite"))
    assert problem and "python main.py migrate" in problem and "\n" not in problem
    # The real command refuses to start, with one line on stderr.
    import subprocess
    import sys

    from nte.config import PROJECT_ROOT

    env = {**os.environ, "NTE_DATABASE_URL": url}
    proc = subprocess.run(
        [sys.executable, "main.py", "serve", "--port", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    refusal = [line for line in proc.stderr.splitlines() if "will not start" in line]
    assert len(refusal) == 1 and "python main.py migrate" in refusal[0]


def test_refuses_to_start_without_spatialite(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'x.sqlite'}", "/nonexistent/mod_spatialite")
    problem = check_database(engine)
    assert problem and "SpatiaLite could not be loaded" in problem


def test_refuses_to_start_without_postgis(pg_cluster):
    if pg_cluster is None:
        pytest.skip("needs the suite's own PostgreSQL cluster")
    pg_cluster.psql('DROP DATABASE IF EXISTS "nte_nopostgis"')
    pg_cluster.psql('CREATE DATABASE "nte_nopostgis"')
    problem = check_database(engine_for(pg_cluster.url("nte_nopostgis"), "mod_spatialite"))
    assert problem and "PostGIS extension is not installed" in problem


@pytest.mark.slow
def test_recovers_by_itself_when_postgres_comes_back(tmp_path):
    from tests.conftest import make_database
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    try:
        url = make_database("postgis", "nte_recover", tmp_path, cluster)
        app = create_app(get_settings().model_copy(update={"database_url": url}))
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            cluster.stop(mode="fast")
            down = client.get("/healthz")
            assert down.status_code == 503
            assert client.get("/api/boroughs").status_code == 503
            cluster.start()
            assert client.get("/healthz").status_code == 200
            assert client.get("/api/boroughs").status_code == 200
    finally:
        cluster.destroy()


def test_postgres_pool_size_comes_from_the_settings(pg_cluster, monkeypatch):
    from nte.config import Settings
    from nte.db import get_engine

    monkeypatch.setenv("NTE_DB_POOL_SIZE", "3")
    monkeypatch.setenv("NTE_DB_MAX_OVERFLOW", "1")
    settings = Settings(database_url=pg_cluster.url("nte_pool_settings"))
    engine = get_engine(settings)
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 1)
    with pytest.raises(ValueError, match="db_pool_size"):
        Settings(db_pool_size=0)


def test_healthz_503_while_a_write_lock_is_held(tmp_path):
    """A lock that nothing releases (as a stuck export once held) shows on /healthz, not only as
    every report submission waiting 30 s: the check begins a write transaction with a short timeout."""
    import sqlite3

    from tests.conftest import make_database

    url = make_database("spatialite", "health_lock", tmp_path, None)
    app = create_app(get_settings().model_copy(update={"database_url": url}))
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        holder.execute("BEGIN IMMEDIATE")
        try:
            r = client.get("/healthz")
            assert r.status_code == 503 and r.json()["database"] == "cannot write", r.json()
            assert "lock" in r.json()["detail"] and r.headers["retry-after"] == "5"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert client.get("/healthz").status_code == 200
