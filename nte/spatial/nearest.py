"""Nearest-neighbour scans that go through each database's spatial index (never a full scan).

``nearest_rows`` yields the rows of a table with a POINT column in order of distance from a
point, lazily, in growing batches:

* PostGIS: ``ORDER BY geom <-> point LIMIT k OFFSET o`` (a GiST KNN index scan). ``<->`` is a
  planar distance in degrees, so each row comes with a *lower bound* of its distance in metres.
* SpatiaLite: expanding rings through the ``SpatialIndex`` virtual table (its R*Tree, with
  ``search_frame`` = the box around a circle of growing radius), distances in geodesic metres.

Every yielded ``(key, bound_m)`` has ``bound_m`` <= the row's British National Grid distance in
metres, and bounds never decrease: once a row with bound B has been yielded, every row not yet
yielded is at least B metres away. Callers compute exact distances for the rows they fetch and
stop as soon as they hold enough rows closer than the last bound (see ``nte.safespaces``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.spatial.engine import is_postgres
from nte.spatial.geometry import BNG, WGS84, _transformer
from nte.spatial.queries import point_expr

EARTH_HALF_CIRCUMFERENCE_M = 20_040_000.0
_METRES_PER_DEGREE = 111_320.0
# BNG grid distances differ from geodesic ones by the projection's scale factor (0.9996..1.0004
# across Great Britain); 0.99 leaves ample room.
_GEODESIC_TO_GRID_LOWER = 0.99


@dataclass
class ScanStats:
    """What a scan cost: rows read from the database, queries run, and how."""

    rows_examined: int = 0
    queries: int = 0
    methods: list[str] = field(default_factory=list)


def _degrees_to_min_metres(degrees: float, lat: float) -> float:
    """A lower bound in metres for a planar distance of ``degrees`` around latitude ``lat``: a
    degree in any direction is at least a degree of longitude at the highest latitude reached."""
    highest = min(89.9, abs(lat) + degrees)
    return degrees * _METRES_PER_DEGREE * math.cos(math.radians(highest)) * _GEODESIC_TO_GRID_LOWER


def nearest_rows(
    session: Session,
    column: InstrumentedAttribute[Any],
    lon: float,
    lat: float,
    *,
    first_batch: int = 16,
    max_distance_m: float | None = None,
    where: Sequence[sa.ColumnElement[bool]] = (),
    columns: Sequence[sa.ColumnElement[Any]] = (),
    stats: ScanStats | None = None,
) -> Iterator[tuple[int, float, sa.Row[Any]]]:
    """Yield ``(primary key, lower bound in metres, row)`` of the rows of ``column``'s table,
    nearest first, through the spatial index; ``row`` holds the primary key and the ``columns``
    asked for (by label), read in the same query. Rows with a NULL geometry, or failing any
    ``where`` condition (on columns of the same table), are never yielded. Stops after
    ``max_distance_m`` (when given) or when the table is exhausted."""
    stats = stats if stats is not None else ScanStats()
    limit = max_distance_m if max_distance_m is not None else EARTH_HALF_CIRCUMFERENCE_M
    if is_postgres(session):
        yield from _postgis_knn(
            session, column, lon, lat, first_batch=first_batch, limit_m=limit, where=where, columns=columns, stats=stats
        )
    else:
        yield from _spatialite_knn(
            session, column, lon, lat, first_batch=first_batch, limit_m=limit, where=where, columns=columns, stats=stats
        )


def _postgis_knn(
    session: Session,
    column: InstrumentedAttribute[Any],
    lon: float,
    lat: float,
    *,
    first_batch: int,
    limit_m: float,
    where: Sequence[sa.ColumnElement[bool]],
    columns: Sequence[sa.ColumnElement[Any]],
    stats: ScanStats,
) -> Iterator[tuple[int, float, sa.Row[Any]]]:
    table = column.class_.__table__
    (pk,) = table.primary_key.columns
    distance = column.op("<->", return_type=sa.Float)(point_expr(lon, lat)).label("distance")
    stats.methods.append("postgis-knn")
    offset, batch, bound = 0, max(1, first_batch), 0.0
    while True:
        # The GiST index hands rows over nearest first; ``where`` filters them as they come.
        stmt = (
            sa.select(pk, distance, *columns)
            .where(column.is_not(None), *where)
            .order_by(distance)
            .limit(batch)
            .offset(offset)
        )
        rows = session.execute(stmt).all()
        stats.queries += 1
        stats.rows_examined += len(rows)
        for row in rows:
            bound = max(bound, _degrees_to_min_metres(float(row[1]), lat))
            if bound > limit_m:
                return
            yield int(row[0]), bound, row
        if len(rows) < batch:
            return
        # Each query reads its rows again from the nearest (OFFSET): grow fast, to read few twice.
        offset += len(rows)
        batch *= 4


def _spatialite_knn(
    session: Session,
    column: InstrumentedAttribute[Any],
    lon: float,
    lat: float,
    *,
    first_batch: int,
    limit_m: float,
    where: Sequence[sa.ColumnElement[bool]],
    columns: Sequence[sa.ColumnElement[Any]],
    stats: ScanStats,
) -> Iterator[tuple[int, float, sa.Row[Any]]]:
    """Rings of growing radius through the ``SpatialIndex`` virtual table (the R*Tree). Each ring
    reads the rows in the box around a circle and yields those inside the circle not yet yielded,
    nearest first (BNG metres, exact: so each one's bound is its distance).

    SpatiaLite 5.0's ``KNN`` virtual table is not used: it is approximate (measured here: asked for
    the 256 nearest of 10,000 points it left out 40-60 of them in most searches); ``KNN2`` (5.1+)
    is not available on Debian 12."""
    table = column.class_.__table__
    (pk,) = table.primary_key.columns
    in_frame = sa.text(
        "SELECT rowid FROM SpatialIndex WHERE f_table_name = :table "
        "AND f_geometry_column = :column AND search_frame = BuildMbr(:x0, :y0, :x1, :y1, 4326)"
    ).columns(rowid=sa.Integer)
    # The R*Tree answers the frame (rowid is the integer primary key); ``where`` filters its rows.
    window = sa.select(pk, sa.func.ST_X(column), sa.func.ST_Y(column), *columns).where(pk.in_(in_frame), *where)
    stats.methods.append("spatialite-rtree-rings")
    seen: set[int] = set()
    covered = 0.0
    radius = 50.0 * max(1, first_batch) ** 0.5  # ~200 m for a first batch of 16
    while covered < limit_m:
        radius = min(radius, limit_m)
        # A box that holds the circle: BNG metres are within 0.1% of true metres in Great Britain.
        dlat = radius / 110_000.0 * 1.02
        dlon = radius / (_METRES_PER_DEGREE * max(math.cos(math.radians(min(89.9, abs(lat) + dlat))), 1e-6)) * 1.02
        rows = session.execute(
            window,
            {
                "table": table.name,
                "column": column.key,
                "x0": lon - dlon,
                "y0": lat - dlat,
                "x1": lon + dlon,
                "y1": lat + dlat,
            },
        ).all()
        stats.queries += 1
        stats.rows_examined += len(rows)
        fresh = [r for r in rows if r[0] not in seen]
        if fresh:
            metres = distances_m(lon, lat, np.array([r[1] for r in fresh]), np.array([r[2] for r in fresh]))
            for index in np.argsort(metres, kind="stable"):
                if metres[index] > radius:
                    break  # the rest lie outside this ring's circle: read again by the next ring
                seen.add(fresh[index][0])
                yield int(fresh[index][0]), float(metres[index]), fresh[index]
        covered = radius
        if dlat > 90 and dlon > 180:
            return
        # The caller wants more: aim the next ring at twice as many rows as read so far (at least
        # first_batch), from the density seen, growing by 1.5x..4x.
        wanted = max(first_batch, 2 * len(seen))
        radius *= min(4.0, max(1.5, math.sqrt(wanted / max(1, len(seen)))))


def distances_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """British National Grid distances in metres from one WGS84 point to many (vectorised)."""
    transformer = _transformer(WGS84, BNG)
    x0, y0 = transformer.transform(lon, lat)
    xs, ys = transformer.transform(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return np.hypot(np.asarray(xs) - x0, np.asarray(ys) - y0)
