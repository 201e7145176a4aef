"""What Alembic must ignore: SpatiaLite's and PostGIS's own bookkeeping tables."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import alembic_helpers

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
