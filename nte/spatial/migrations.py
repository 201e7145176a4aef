"""What Alembic must ignore (SpatiaLite's and PostGIS's own bookkeeping tables), and the connection
migrations run on.

On SQLite, Alembic's batch mode changes a table by copying it to a new one and dropping the old. With
foreign keys enforced, that DROP TABLE is an implicit DELETE FROM: every ``ON DELETE CASCADE`` child
row goes with it (adding a constrained column to ``patrol_shift`` deleted every sign-up and debrief).
So migrations run with foreign keys off, as SQLite's ALTER TABLE documentation prescribes, and
``PRAGMA foreign_key_check`` must come back empty before they are switched on again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from geoalchemy2 import alembic_helpers
from sqlalchemy.engine import Connection, Engine


class MigrationBrokeForeignKeys(RuntimeError):
    """A migration left rows whose foreign keys point nowhere (SQLite's foreign_key_check)."""


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for Alembic to migrate on; committed on leaving."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Outside any transaction (SQLite ignores this pragma inside one): straight to the driver,
            # since a statement through SQLAlchemy would begin the transaction first.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise MigrationBrokeForeignKeys(f"rows with dangling foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


_SYSTEM_TABLES = {
    "spatial_ref_sys",
    "spatial_ref_sys_aux",
    "spatialite_history",
    "sql_statements_log",
    "geometry_columns",
    "geometry_columns_auth",
    "geometry_columns_field_infos",
    "geometry_columns_statistics",
    "geometry_columns_time",
    "views_geometry_columns",
    "views_geometry_columns_auth",
    "views_geometry_columns_field_infos",
    "views_geometry_columns_statistics",
    "virts_geometry_columns",
    "virts_geometry_columns_auth",
    "virts_geometry_columns_field_infos",
    "virts_geometry_columns_statistics",
    "data_licenses",
    "SpatialIndex",
    "ElementaryGeometries",
    "KNN",
    "KNN2",
    "alembic_version",
    "topology",
    "layer",
}


def include_object(obj: Any, name: str | None, obj_type: str, reflected: bool, compare_to: Any) -> bool:
    if (
        obj_type == "table"
        and name is not None
        and (name in _SYSTEM_TABLES or name.startswith("idx_") or name.startswith("sqlite_"))
    ):
        return False
    return bool(alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to))
