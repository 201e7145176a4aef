"""CQL2 filters (parsed by pygeofilter) as SQLAlchemy conditions, on PostGIS and SpatiaLite alike.

pygeofilter's SQLAlchemy backend writes PostGIS SQL (``ST_GeomFromEWKT``, ``col.ST_Intersects``).
Here its evaluator is kept for everything but geometry: literals become WGS84 geometries built the
same way on both databases, and spatial predicates go through each database's spatial index
(SpatiaLite's R*Tree only through its ``SpatialIndex`` table) and compare as booleans on both
(SpatiaLite's ``ST_Intersects`` answers 1, 0 or -1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
import sqlalchemy as sa
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import handle
from pygeofilter.backends.sqlalchemy.evaluate import SQLAlchemyFilterEvaluator
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.spatial.engine import is_postgres
from nte.spatial.geometry import BNG, WGS84, to_wgs84
from nte.spatial.queries import _spatialite_index_filter

#: CQL2 spatial predicates -> the SQL function (the same name on both databases).
SPATIAL_FUNCTIONS = {
    "INTERSECTS": "ST_Intersects",
    "DISJOINT": "ST_Disjoint",
    "CONTAINS": "ST_Contains",
    "WITHIN": "ST_Within",
    "TOUCHES": "ST_Touches",
    "CROSSES": "ST_Crosses",
    "OVERLAPS": "ST_Overlaps",
    "EQUALS": "ST_Equals",
}
#: Predicates only true where the two bounding boxes meet: the spatial index may narrow them.
_INDEXABLE = {"INTERSECTS", "CONTAINS", "WITHIN", "TOUCHES", "CROSSES", "OVERLAPS", "EQUALS"}


def literal_geometry(geometry: Mapping[str, Any] | BaseGeometry, *, srid: int = WGS84) -> BaseGeometry:
    """A filter's geometry literal in WGS84 (``srid`` is the filter's CRS: WGS84 or BNG)."""
    geom = geometry if isinstance(geometry, BaseGeometry) else shape(geometry)
    return to_wgs84(geom) if srid == BNG else geom


def geometry_literal_sql(geom: BaseGeometry) -> ColumnElement[Any]:
    return sa.func.ST_GeomFromText(sa.literal(shapely.to_wkt(geom, rounding_precision=-1)), WGS84)


class _Evaluator(SQLAlchemyFilterEvaluator):  # type: ignore[misc]
    def __init__(
        self,
        field_mapping: Mapping[str, Any],
        *,
        postgres: bool,
        geometry: InstrumentedAttribute[Any] | None,
        srid: int,
    ) -> None:
        super().__init__(dict(field_mapping), None)
        self.postgres = postgres
        self.geometry_column = geometry
        self.srid = srid

    def _spatial(self, name: str, lhs: Any, rhs: Any, rhs_geom: BaseGeometry | None) -> ColumnElement[bool]:
        predicate = getattr(sa.func, SPATIAL_FUNCTIONS[name])(lhs, rhs)
        if self.postgres:
            return predicate  # type: ignore[no-any-return]
        condition = predicate == 1
        column = self.geometry_column
        if name in _INDEXABLE and column is not None and lhs is column and rhs_geom is not None:
            frame = sa.func.BuildMbr(*rhs_geom.bounds, WGS84)
            return sa.and_(_spatialite_index_filter(column, frame), condition)
        return condition

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial_operation(self, node: Any, lhs: Any, rhs: Any) -> Any:
        return self._spatial(node.op.name, lhs, rhs, getattr(rhs, "nte_geometry", None))

    @handle(ast.BBox)
    def bbox(self, node: Any, lhs: Any) -> Any:
        geom = literal_geometry(box(node.minx, node.miny, node.maxx, node.maxy), srid=self.srid)
        return self._spatial("INTERSECTS", lhs, self._geometry_sql(geom), geom)

    def _geometry_sql(self, geom: BaseGeometry) -> Any:
        expr = geometry_literal_sql(geom)
        expr.nte_geometry = geom  # type: ignore[attr-defined]  # for the index frame
        return expr

    @handle(values.Geometry)
    def geometry(self, node: Any) -> Any:
        return self._geometry_sql(literal_geometry(node.__geo_interface__, srid=self.srid))

    @handle(values.Envelope)
    def envelope(self, node: Any) -> Any:
        return self._geometry_sql(literal_geometry(box(node.x1, node.y1, node.x2, node.y2), srid=self.srid))


def cql_condition(
    session: Session,
    tree: ast.Node,
    *,
    fields: Mapping[str, Any],
    geometry: InstrumentedAttribute[Any] | None,
    srid: int = WGS84,
) -> ColumnElement[bool]:
    """The SQL condition of a parsed CQL2 filter. ``fields`` maps each queryable to its column
    expression (the geometry queryable to ``geometry``); ``srid`` is the CRS of the filter's
    geometry literals (``filter-crs``)."""
    evaluator = _Evaluator(fields, postgres=is_postgres(session), geometry=geometry, srid=srid)
    return evaluator.evaluate(tree)  # type: ignore[no-any-return]


def bbox_condition(session: Session, column: InstrumentedAttribute[Any], area: BaseGeometry) -> ColumnElement[bool]:
    """Rows whose geometry intersects ``area`` (WGS84), through the spatial index."""
    evaluator = _Evaluator({}, postgres=is_postgres(session), geometry=column, srid=WGS84)
    return evaluator._spatial("INTERSECTS", column, evaluator._geometry_sql(area), area)
