"""Engine set-up for PostGIS and SpatiaLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

#: How long a SQLite writer waits for the write lock before giving up (a 503 for the request).
SQLITE_BUSY_TIMEOUT_MS = 30_000


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
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        if cur.execute("SELECT CheckSpatialMetaData()").fetchone()[0] < 1:
            cur.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
        # British National Grid for distances, areas and hotspot grids (metres).
        if cur.execute("SELECT count(*) FROM spatial_ref_sys WHERE srid = 27700").fetchone()[0] == 0:
            cur.execute("SELECT InsertEpsgSrid(27700)")
        cur.close()

    return on_connect


#: Execution options of a read-only connection (``nte.db.read_session``): on SQLite its BEGIN is
#: deferred, so it never takes the write lock and never waits for one (WAL lets it read while
#: another connection writes); on PostgreSQL the transaction is READ ONLY.
READ_ONLY: dict[str, Any] = {"nte_read_only": True}


def _sqlite_on_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get("nte_read_only"):
        conn.exec_driver_sql("BEGIN DEFERRED")
        return
    # IMMEDIATE takes the write lock at BEGIN: two transactions can never both read a count and
    # then both write (the SQLite equivalent of SELECT ... FOR UPDATE), and a busy writer waits
    # for busy_timeout instead of failing on a lock upgrade.
    if wait_ms := options.get("nte_busy_timeout_ms"):
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_on_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("nte_read_only"):
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")  # the first statement of the transaction


def probe_write_transaction(factory: sessionmaker[Session], *, timeout_seconds: float) -> None:
    """Begin and end a write transaction as a request's session would, within ``timeout_seconds``,
    or raise the driver's error: what ``/healthz`` checks, so a write lock that nothing releases
    shows there (SQLite: the database-wide write lock, waited for ``timeout_seconds`` instead of the
    usual 30 s; PostgreSQL: a transaction id, with lock and statement timeouts). Nothing is written."""
    ms = int(timeout_seconds * 1000)
    session = factory()
    try:
        conn = session.connection(execution_options={"nte_busy_timeout_ms": ms})
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
            conn.exec_driver_sql("SELECT pg_current_xact_id()")  # assigns a transaction id: a writer
    finally:
        session.rollback()
        session.close()


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
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_connect_hook(spatialite_library))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", pg_pool_size)
    kwargs.setdefault("max_overflow", pg_max_overflow)
    kwargs.setdefault("pool_timeout", 5)
    # No JIT: the service's queries are short (a page, a count); compiling them costs more than it
    # saves (measured in bench/bench_ogc.py: 65-80 ms of a 130 ms filtered page was JIT).
    connect_args = {"connect_timeout": 5, "options": "-c jit=off"}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "begin", _postgres_on_begin)
    return engine


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
