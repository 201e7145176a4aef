"""scripts/backup.sh and scripts/restore.sh round-trip a PostGIS database: every table's rows and
geometries come back, and the restored database passes the service's start-up check."""

from __future__ import annotations

import os
import subprocess

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from nte.auth import service as auth_service
from nte.config import PROJECT_ROOT, get_settings
from nte.db import engine_for, utcnow
from nte.health import check_database
from nte.models import metadata
from tests.test_migrations import TABLES_TODAY


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables
        }


def test_the_round_trip_compares_every_table():
    # ``_counts(target) == _counts(source)`` over no tables would pass whatever the restore lost.
    tables = len(metadata.sorted_tables)
    assert tables >= TABLES_TODAY, f"the round trip compares {tables} tables; the models had {TABLES_TODAY}"


@pytest.mark.slow
def test_backup_and_restore_round_trip(pg_cluster, tmp_path):
    if pg_cluster is None:
        pytest.skip("needs the suite's own PostgreSQL cluster (pg_dump runs against it)")
    from tests.conftest import make_database

    source_url = make_database("postgis", "nte_backup_src", tmp_path, pg_cluster)
    source = engine_for(source_url, get_settings().spatialite_library)
    with sessionmaker(bind=source).begin() as s:
        auth_service.create_user(
            s,
            email="backup@example.org",
            display_name="Backup",
            role="officer",
            password="a long backup password",
            confirmed_at=utcnow(),
        )
    target_url = pg_cluster.url("nte_backup_dst")
    pg_cluster.psql('DROP DATABASE IF EXISTS "nte_backup_dst"')
    pg_cluster.psql('CREATE DATABASE "nte_backup_dst"')

    dump = tmp_path / "nte.dump"
    os.chmod(tmp_path, 0o777)
    env = {**os.environ, "PATH": f"{pg_cluster.bindir}:{os.environ['PATH']}"}
    subprocess.run(
        ["bash", "scripts/backup.sh", str(dump)],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        env={**env, "NTE_DATABASE_URL": source_url},
    )
    assert dump.stat().st_size > 10_000
    subprocess.run(
        ["bash", "scripts/restore.sh", str(dump)],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        env={**env, "NTE_DATABASE_URL": target_url},
    )

    target = engine_for(target_url, get_settings().spatialite_library)
    assert _counts(target) == _counts(source)
    assert check_database(target) is None
    with target.connect() as conn:
        ward = conn.execute(sa.text("SELECT ST_Area(geom::geography) FROM ward WHERE code = 'E05013806'")).scalar()
    assert 3.0e6 < ward < 3.4e6  # St James's, about 3.2 km2: geometries survived
