"""Nearest-neighbour scans that go through each database's spatial index (never a full scan).

``nearest_rows`` yields the rows of a table with a POINT column in order of distance from a
point, lazily, in growing batches:

* PostGIS: ``ORDER BY geom <-> point LIMIT k OFFSET o`` (a GiST KNN index scan). ``<->`` is a
  planar distance in degrees, so each row comes with a *lower bound* of its distance in metres.
* SpatiaLite: the ``KNN`` virtual table (SpatiaLite 5.0; ``KNN2`` in 5.1+) walks the R*Tree and
  returns geodesic metres, up to 1024 rows per call. Past that, expanding windows through the
  ``SpatialIndex`` virtual table (``search_frame`` = a box around the circle already covered).

Every yielded ``(key, bound_m)`` has ``bound_m`` <= the row's British National Grid distance in
metres, and bounds never decrease: once a row with bound B has been yielded, every row not yet
yielded is at least B metres away. Callers compute exact distances for the rows they fetch and
stop as soon as they hold enough rows closer than the last bound (see ``nte.safespaces``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.spatial.engine import is_postgres
from nte.spatial.geometry import BNG, WGS84, _transformer
from nte.spatial.queries import point_expr

SPATIALITE_KNN_MAX = 1024  # the KNN virtual table never returns more rows than this
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
    stats: ScanStats | None = None,
) -> Iterator[tuple[int, float]]:
    """Yield ``(primary key, lower bound in metres)`` of the rows of ``column``'s table, nearest
    first, through the spatial index. Rows with a NULL geometry are never yielded. Stops after
    ``max_distance_m`` (when given) or when the table is exhausted."""
    stats = stats if stats is not None else ScanStats()
    limit = max_distance_m if max_distance_m is not None else EARTH_HALF_CIRCUMFERENCE_M
    if is_postgres(session):
        yield from _postgis_knn(session, column, lon, lat, first_batch=first_batch, limit_m=limit, stats=stats)
    else:
        yield from _spatialite_knn(session, column, lon, lat, first_batch=first_batch, limit_m=limit, stats=stats)


def _postgis_knn(
    session: Session, column: InstrumentedAttribute[Any], lon: float, lat: float, *,
    first_batch: int, limit_m: float, stats: ScanStats,
) -> Iterator[tuple[int, float]]:
    table = column.class_.__table__
    (pk,) = table.primary_key.columns
    distance = column.op("<->", return_type=sa.Float)(point_expr(lon, lat)).label("distance")
    stats.methods.append("postgis-knn")
    offset, batch, bound = 0, max(1, first_batch), 0.0
    while True:
        stmt = (sa.select(pk, distance).where(column.is_not(None))
                .order_by(distance).limit(batch).offset(offset))
        rows = session.execute(stmt).all()
        stats.queries += 1
        stats.rows_examined += len(rows)
        for key, degrees in rows:
            bound = max(bound, _degrees_to_min_metres(float(degrees), lat))
            if bound > limit_m:
                return
            yield int(key), bound
        if len(rows) < batch:
            return
        offset += len(rows)
        batch *= 4


def _spatialite_knn(
    session: Session, column: InstrumentedAttribute[Any], lon: float, lat: float, *,
    first_batch: int, limit_m: float, stats: ScanStats,
) -> Iterator[tuple[int, float]]:
    table = column.class_.__table__
    knn = sa.text(
        "SELECT fid, distance FROM KNN WHERE f_table_name = :table AND f_geometry_column = :column "
        "AND ref_geometry = MakePoint(:lon, :lat, 4326) AND max_items = :items ORDER BY pos"
    )
    stats.methods.append("spatialite-knn")
    seen: set[int] = set()
    bound, batch = 0.0, min(max(1, first_batch), SPATIALITE_KNN_MAX)
    while True:
        rows = session.execute(knn, {"table": table.name, "column": column.key, "lon": lon, "lat": lat,
                                     "items": batch}).all()
        stats.queries += 1
        stats.rows_examined += len(rows)
        for key, metres in rows:
            if key in seen:
                continue
            seen.add(key)
            bound = max(bound, float(metres) * _GEODESIC_TO_GRID_LOWER)
            if bound > limit_m:
                return
            yield int(key), bound
        if len(rows) < batch:
            return  # the table holds no more rows
        if batch == SPATIALITE_KNN_MAX:
            break
        batch = min(batch * 4, SPATIALITE_KNN_MAX)
    # Beyond KNN's cap: rings of growing radius through the SpatialIndex virtual table.
    stats.methods.append("spatialite-window")
    covered = max(float(rows[-1][1]), 1.0)  # geodesic metres: every row nearer has been yielded
    while covered < limit_m:
        radius = min(covered * 2, max(limit_m, covered * 1.01))
        dlat = radius / 110_000.0
        dlon = radius / (_METRES_PER_DEGREE * max(math.cos(math.radians(min(89.9, abs(lat) + dlat))), 1e-6)) * 1.01
        window = sa.text(
            f'SELECT id, ST_Distance(geom_col, MakePoint(:lon, :lat, 4326), 1) AS d FROM "{table.name}" '  # noqa: S608 - table name from the model
            f'WHERE rowid IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = :table '
            f'AND f_geometry_column = :column AND search_frame = BuildMbr(:x0, :y0, :x1, :y1, 4326)) '
            f'AND ST_Distance(geom_col, MakePoint(:lon, :lat, 4326), 1) <= :radius ORDER BY d'
            .replace("geom_col", f'"{column.key}"')
        )
        rows = session.execute(window, {"lon": lon, "lat": lat, "table": table.name, "column": column.key,
                                        "x0": lon - dlon, "y0": lat - dlat, "x1": lon + dlon, "y1": lat + dlat,
                                        "radius": radius}).all()
        stats.queries += 1
        stats.rows_examined += len(rows)
        for key, metres in rows:
            if key in seen:
                continue
            seen.add(key)
            bound = max(bound, float(metres) * _GEODESIC_TO_GRID_LOWER)
            if bound > limit_m:
                return
            yield int(key), bound
        covered = radius
        if dlat > 180 and dlon > 360:
            return


def distances_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """British National Grid distances in metres from one WGS84 point to many (vectorised)."""
    transformer = _transformer(WGS84, BNG)
    x0, y0 = transformer.transform(lon, lat)
    xs, ys = transformer.transform(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return np.hypot(np.asarray(xs) - x0, np.asarray(ys) - y0)
