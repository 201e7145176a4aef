"""Start-up database check and ``/healthz``."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from nte.auth.deps import public
from nte.schema import current_revision, head_revision
from nte.spatial.engine import SpatialDatabaseError, check_spatial_support, probe_write_transaction

router = APIRouter(tags=["health"], dependencies=[Depends(public)])


def _database_errors() -> tuple[type[Exception], ...]:
    """SQLAlchemy's errors and those of the raw drivers (imported only when an error is matched)."""
    import sqlite3

    import psycopg

    return (sa.exc.SQLAlchemyError, sqlite3.Error, psycopg.Error)


def check_database(engine: Engine) -> str | None:
    """None when the database can serve NTE Safe, else a one-line explanation."""
    try:
        with engine.connect() as conn:
            check_spatial_support(conn)
            current = current_revision(conn)
    except SpatialDatabaseError as exc:
        return str(exc)
    except sa.exc.SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        return f"cannot reach the database at {where} ({type(getattr(exc, 'orig', None) or exc).__name__})"
    head = head_revision()
    if current != head:
        return (
            f"the database schema is at migration {current or 'none'} but the code needs {head}; "
            "run: python main.py migrate"
        )
    return None


#: How long ``/healthz`` waits to begin a write transaction before it answers 503.
WRITE_PROBE_SECONDS = 2.0


def _unavailable(database: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"status": "unavailable", "database": database, "detail": detail},
        status_code=503,
        headers={"Retry-After": "5", "Cache-Control": "no-store"},
    )


@router.get("/healthz", summary="Liveness and database check")
def healthz(request: Request) -> JSONResponse:
    """200 only when the database answers AND a write transaction can begin and end within
    ``WRITE_PROBE_SECONDS``: a lock that nothing releases (which would make every report
    submission wait and fail) makes this 503 too, so a load balancer sees it."""
    engine: Engine = request.app.state.engine
    try:
        # A raw pooled connection: no transaction, so no lock is taken (SQLite BEGINs IMMEDIATE).
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        finally:
            raw.close()
    except _database_errors():
        return _unavailable("not answering", "The database is not answering; the service will recover when it returns.")
    try:
        probe_write_transaction(request.app.state.session_factory, timeout_seconds=WRITE_PROBE_SECONDS)
    except _database_errors():
        return _unavailable(
            "cannot write",
            f"The database answers but no write transaction could begin within {WRITE_PROBE_SECONDS:g} s "
            "(a lock is held); reports cannot be saved until it is released.",
        )
    return JSONResponse({"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"})
