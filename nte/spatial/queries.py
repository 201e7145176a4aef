"""Spatial predicates that use each database's spatial index."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.spatial.engine import is_postgres
from nte.spatial.geometry import WGS84


def point_expr(lon: float, lat: float) -> ColumnElement[Any]:
    return sa.func.ST_GeomFromText(sa.literal(f"POINT({float(lon)!r} {float(lat)!r})"), WGS84)


def _spatialite_index_filter(column: InstrumentedAttribute[Any], frame: ColumnElement[Any]) -> ColumnElement[bool]:
    """SpatiaLite's R*Tree is only used through the SpatialIndex virtual table."""
    table = column.class_.__table__
    spatial_index = sa.table(
        "SpatialIndex",
        sa.column("rowid"),
        sa.column("f_table_name"),
        sa.column("f_geometry_column"),
        sa.column("search_frame"),
    )
    sub = sa.select(spatial_index.c.rowid).where(
        spatial_index.c.f_table_name == table.name,
        spatial_index.c.f_geometry_column == column.key,
        spatial_index.c.search_frame == frame,
    )
    return sa.literal_column(f"{table.name}.rowid").in_(sub)


def contains_point(session: Session, column: InstrumentedAttribute[Any], lon: float, lat: float) -> ColumnElement[bool]:
    """``column`` intersects the point (ST_Intersects: a point on a shared edge still matches)."""
    point = point_expr(lon, lat)
    predicate = sa.func.ST_Intersects(column, point)
    if is_postgres(session):
        return predicate  # the GiST index is used by ST_Intersects directly
    return sa.and_(_spatialite_index_filter(column, point), predicate == 1)


def within_bbox(
    session: Session,
    column: InstrumentedAttribute[Any],
    minx: float,
    miny: float,
    maxx: float,
    maxy: float,
) -> ColumnElement[bool]:
    """Index-backed bounding-box filter (candidates only; refine in Python or SQL)."""
    if is_postgres(session):
        envelope = sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, WGS84)
        return column.op("&&")(envelope)
    frame = sa.func.BuildMbr(minx, miny, maxx, maxy, WGS84)
    return _spatialite_index_filter(column, frame)


def lock_rows(stmt: Select[Any], session: Session, *, skip_locked: bool = False) -> Select[Any]:
    """SELECT ... FOR UPDATE on PostgreSQL. On SQLite every write transaction already holds the
    database write lock from BEGIN IMMEDIATE (see engine.py), which serialises writers."""
    if is_postgres(session):
        return stmt.with_for_update(skip_locked=skip_locked)
    return stmt


def lock_row(session: Session, key: ColumnElement[Any] | InstrumentedAttribute[Any], value: Any) -> None:
    """Lock the row where ``key == value`` until the commit, as a statement of its own: under READ
    COMMITTED the next statement then reads everything committed by whoever held it before (a
    locking SELECT that joins other tables would re-check only the locked row). Nothing to do on
    SQLite, where BEGIN IMMEDIATE already serialises writers."""
    if is_postgres(session):
        session.connection().execute(_lock_statement(key), {"value": value})


@functools.cache
def _lock_statement(key: ColumnElement[Any] | InstrumentedAttribute[Any]) -> Select[Any]:
    return sa.select(key).where(key == sa.bindparam("value")).with_for_update()


def extent_of(
    session: Session, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> tuple[float, ...] | None:
    """The bounding box (minx, miny, maxx, maxy) of ``column`` over the rows ``where`` selects."""
    if is_postgres(session):
        box = sa.func.ST_Extent(column)
        parts = [sa.func.ST_XMin(box), sa.func.ST_YMin(box), sa.func.ST_XMax(box), sa.func.ST_YMax(box)]
        row = session.execute(sa.select(*parts).where(*where)).one()
    else:  # SpatiaLite's Extent() is a geometry; its corners come from MbrMin/MaxX/Y
        row = session.execute(
            sa.select(
                sa.func.min(sa.func.MbrMinX(column)),
                sa.func.min(sa.func.MbrMinY(column)),
                sa.func.max(sa.func.MbrMaxX(column)),
                sa.func.max(sa.func.MbrMaxY(column)),
            ).where(*where)
        ).one()
    if any(v is None for v in row):
        return None
    return tuple(float(v) for v in row)
