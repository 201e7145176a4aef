"""Migrations create the schema on both databases, go down and up again, and agree with the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from nte.config import get_settings
from nte.db import engine_for
from nte.models import metadata
from nte.schema import current_revision, downgrade, head_revision, upgrade
from nte.spatial.migrations import include_object

#: How many tables the models declare today (``nte.models.metadata``). Raise it when you add one.
TABLES_TODAY = 43


def _fresh_url(backend, tmp_path, request) -> str:
    if backend == "spatialite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite'}"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database("nte_migrations")


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        return compare_metadata(ctx, metadata)


def test_upgrade_downgrade_upgrade_and_models_agree(backend, tmp_path, request):
    # "downgrade left tables behind" checks the models' tables: none would pass it vacuously.
    tables_declared = len(metadata.sorted_tables)
    assert tables_declared >= TABLES_TODAY, f"the models declare {tables_declared} tables; they had {TABLES_TODAY}"
    engine = engine_for(_fresh_url(backend, tmp_path, request), get_settings().spatialite_library)
    upgrade(engine)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
    assert _diff(engine) == []

    downgrade(engine, "base")
    with engine.connect() as conn:
        assert current_revision(conn) is None
        tables = set(sa.inspect(conn).get_table_names())
    assert not {t.name for t in metadata.sorted_tables} & tables, "downgrade left tables behind"

    upgrade(engine)
    assert _diff(engine) == []
    engine.dispose()
