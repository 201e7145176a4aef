"""The one place where PostGIS and SpatiaLite differ.

Everything else in NTE Safe calls these helpers and never looks at the dialect itself:
engine set-up (loading SpatiaLite, its SRIDs, SQLite locking), geometry columns, spatially
indexed predicates, row locking, and conversion between Shapely and database geometries.
"""

from __future__ import annotations

from nte.spatial.bulk import bulk_insert, ewkt_point, existing_values, refresh_statistics, reserve_ids
from nte.spatial.engine import create_spatial_engine, dialect_name, is_postgres
from nte.spatial.geometry import (
    BNG,
    WGS84,
    GeometryColumn,
    area_km2,
    distance_m,
    from_db,
    to_bng,
    to_db,
    to_wgs84,
)
from nte.spatial.nearest import ScanStats, distances_m, nearest_rows
from nte.spatial.queries import (
    contains_point,
    lock_row,
    lock_rows,
    point_expr,
    within_bbox,
)

__all__ = [
    "BNG",
    "WGS84",
    "GeometryColumn",
    "area_km2",
    "bulk_insert",
    "ScanStats",
    "contains_point",
    "create_spatial_engine",
    "dialect_name",
    "distance_m",
    "ewkt_point",
    "distances_m",
    "from_db",
    "existing_values",
    "is_postgres",
    "lock_row",
    "lock_rows",
    "nearest_rows",
    "point_expr",
    "refresh_statistics",
    "reserve_ids",
    "to_bng",
    "to_db",
    "to_wgs84",
    "within_bbox",
]
