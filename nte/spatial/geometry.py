"""Geometry columns and conversions between Shapely, the database and coordinate systems."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import shapely
from geoalchemy2 import Geometry, WKBElement
from geoalchemy2.shape import from_shape, to_shape
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = 4326  # stored: GeoJSON and Leaflet speak it
BNG = 27700  # British National Grid, metres: distances, areas, hotspot grids


def GeometryColumn(geometry_type: str) -> Geometry:  # noqa: N802 - reads like a type
    """A WGS84 geometry column with a spatial index, identical on PostGIS and SpatiaLite."""
    return Geometry(geometry_type=geometry_type, srid=WGS84, spatial_index=True)


def to_db(geom: BaseGeometry) -> WKBElement:
    return from_shape(geom, srid=WGS84)


def from_db(value: Any) -> BaseGeometry | None:
    if value is None:
        return None
    return to_shape(value)


@lru_cache(maxsize=2)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(geom: BaseGeometry) -> BaseGeometry:
    """WGS84 lon/lat -> British National Grid metres."""
    return shapely.transform(geom, _vectorised(WGS84, BNG))


def to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, _vectorised(BNG, WGS84))


def _vectorised(source: int, target: int):
    transformer = _transformer(source, target)

    def apply(coords):  # (N, 2) array -> (N, 2) array
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        coords = coords.copy()
        coords[:, 0], coords[:, 1] = x, y
        return coords

    return apply


def area_km2(geom_wgs84: BaseGeometry) -> float:
    return to_bng(geom_wgs84).area / 1_000_000


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance in metres between two WGS84 points (British National Grid, exact enough in London)."""
    t = _transformer(WGS84, BNG)
    x1, y1 = t.transform(lon1, lat1)
    x2, y2 = t.transform(lon2, lat2)
    return math.hypot(x2 - x1, y2 - y1)
