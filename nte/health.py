"""Start-up database check and ``/healthz``."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from nte.auth.deps import public
from nte.schema import current_revision, head_revision
from nte.spatial.engine import SpatialDatabaseError, check_spatial_support

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


@router.get("/healthz", summary="Liveness and database check")
def healthz(request: Request) -> JSONResponse:
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
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "not answering",
                "detail": "The database is not answering; the service will recover when it returns.",
            },
            status_code=503,
            headers={"Retry-After": "5", "Cache-Control": "no-store"},
        )
    return JSONResponse({"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"})
