"""Engine set-up for PostGIS and SpatiaLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session


class SpatialDatabaseError(RuntimeError):
    """The database cannot serve NTE Safe (SpatiaLite missing, PostGIS missing, ...)."""


def _sqlite_connect_hook(library: str):
    def on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see on_begin) instead of pysqlite's implicit one.
        dbapi_conn.isolation_level = None
        try:
            dbapi_conn.enable_load_extension(True)
            dbapi_conn.load_extension(library)
            dbapi_conn.enable_load_extension(False)
        except (AttributeError, sqlite3.OperationalError) as exc:
            raise SpatialDatabaseError(
                f"SpatiaLite could not be loaded from {library!r} ({exc}); "
                "install libsqlite3-mod-spatialite or set NTE_SPATIALITE_LIBRARY"
            ) from exc
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        if cur.execute("SELECT CheckSpatialMetaData()").fetchone()[0] < 1:
            cur.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
        # British National Grid for distances, areas and hotspot grids (metres).
        if cur.execute("SELECT count(*) FROM spatial_ref_sys WHERE srid = 27700").fetchone()[0] == 0:
            cur.execute("SELECT InsertEpsgSrid(27700)")
        cur.close()

    return on_connect


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN: two transactions can never both read a count and
    # then both write (the SQLite equivalent of SELECT ... FOR UPDATE), and a busy writer waits
    # for busy_timeout instead of failing on a lock upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_spatial_engine(
    url: str,
    *,
    spatialite_library: str = "mod_spatialite",
    pg_pool_size: int = 10,
    pg_max_overflow: int = 20,
    **kwargs: Any,
) -> Engine:
    """Create an engine for a PostGIS or SpatiaLite URL with the set-up each needs. ``pg_pool_*``
    size the PostgreSQL pool (SQLite keeps SQLAlchemy's default pool)."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": 30}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_connect_hook(spatialite_library))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", pg_pool_size)
    kwargs.setdefault("max_overflow", pg_max_overflow)
    kwargs.setdefault("pool_timeout", 5)
    connect_args = {"connect_timeout": 5}
    connect_args.update(kwargs.pop("connect_args", {}))
    return sa.create_engine(url, connect_args=connect_args, **kwargs)


def dialect_name(bind: Engine | Connection | Session) -> str:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name


def is_postgres(bind: Engine | Connection | Session) -> bool:
    return dialect_name(bind) == "postgresql"


def check_spatial_support(conn: Connection) -> str:
    """Return the spatial library version or raise SpatialDatabaseError with one clear line."""
    if is_postgres(conn):
        try:
            return str(conn.execute(sa.text("SELECT postgis_lib_version()")).scalar_one())
        except sa.exc.DBAPIError as exc:
            raise SpatialDatabaseError(
                "the PostGIS extension is not installed in this database (run: CREATE EXTENSION postgis)"
            ) from exc
    return str(conn.execute(sa.text("SELECT spatialite_version()")).scalar_one())
