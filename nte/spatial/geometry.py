"""Geometry columns and conversions between Shapely, the database and coordinate systems, and
the checks uploaded GeoJSON passes before it becomes a Shapely geometry."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import shapely
import shapely.errors
import shapely.geometry
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


def many_to_bng(geoms: Any) -> Any:
    """An array of WGS84 geometries in British National Grid metres, in one PROJ call."""
    return shapely.transform(geoms, _vectorised(WGS84, BNG))


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


# --- uploaded GeoJSON ------------------------------------------------------------------------------

#: Uploaded GeoJSON nested deeper than this is refused before anything is done with it. A
#: MultiPolygon in a Feature in a FeatureCollection is 8 levels deep (collection, features, feature,
#: geometry, polygons, rings, ring, position); 20 leaves room for properties holding a list of
#: objects. Without a limit, collections inside collections (or properties holding nested objects)
#: make the JSON decoder give up with a RecursionError at about 1,000 levels, depending on the stack.
MAX_GEOJSON_DEPTH = 20

#: The GeoJSON geometry types read by :func:`shape_from_geojson` (not GeometryCollection).
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


class GeoJSONError(ValueError):
    """Uploaded GeoJSON that is refused; ``str(exc)`` is a sentence for the person who sent it."""


def nested_too_deeply(what: str, limit: int = MAX_GEOJSON_DEPTH) -> str:
    return (
        f"{what} is nested more than {limit} levels deep (collections inside collections, or properties "
        "holding nested objects); upload plain features with simple properties."
    )


def too_deep(value: Any, limit: int = MAX_GEOJSON_DEPTH) -> bool:
    """Whether a decoded JSON value nests objects and arrays more than ``limit`` levels deep (``{}``
    is one level). Iterative, so any depth is measured without recursing."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_geojson(text: str | bytes, *, limit: int = MAX_GEOJSON_DEPTH) -> Any:
    """Decode uploaded GeoJSON text, refusing text that is not JSON or is nested too deeply."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise GeoJSONError(nested_too_deeply("The GeoJSON", limit)) from None
    except json.JSONDecodeError as exc:
        raise GeoJSONError(f"The GeoJSON is not valid JSON (at character {exc.pos}).") from None
    except (ValueError, UnicodeDecodeError):
        raise GeoJSONError("The GeoJSON is not valid JSON: save it as UTF-8 text.") from None
    if too_deep(value, limit):
        raise GeoJSONError(nested_too_deeply("The GeoJSON", limit))
    return value


def shape_from_geojson(geometry: Mapping[str, Any]) -> BaseGeometry:
    """A Shapely geometry from a GeoJSON geometry object (RFC 7946), checked first for what Shapely
    would silently mend or fail on: every position is two or three finite numbers, a line has at
    least two positions, and every polygon ring has at least four and is closed (its last position
    repeats its first; Shapely would quietly close it, so a ring drawn with a missing corner would
    be stored as a different area than the one meant)."""
    if too_deep(geometry):
        raise GeoJSONError(nested_too_deeply("The geometry"))
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        raise GeoJSONError(f"The geometry type must be one of {', '.join(GEOMETRY_TYPES)}.")
    coordinates = geometry.get("coordinates")
    _check_coordinates(str(kind), coordinates)
    try:
        return shapely.geometry.shape({"type": kind, "coordinates": coordinates})
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, shapely.errors.GEOSException):
        raise GeoJSONError(
            f"The {kind}'s coordinates are not readable: give [longitude, latitude] positions."
        ) from None


def _check_coordinates(kind: str, coordinates: Any) -> None:
    if kind == "Point":
        _check_position(coordinates, "The point")
        return
    if not isinstance(coordinates, list):
        raise GeoJSONError(f"The {kind}'s coordinates must be a list of [longitude, latitude] positions.")
    if kind == "MultiPoint":
        for n, position in enumerate(coordinates, start=1):
            _check_position(position, f"Point {n} of the MultiPoint")
    elif kind == "LineString":
        _check_line(coordinates, "The line", minimum=2, closed=False)
    elif kind == "MultiLineString":
        for n, line in enumerate(coordinates, start=1):
            _check_line(line, f"Line {n} of the MultiLineString", minimum=2, closed=False)
    elif kind == "Polygon":
        _check_polygon(coordinates, "the polygon")
    else:  # MultiPolygon
        for n, polygon in enumerate(coordinates, start=1):
            _check_polygon(polygon, f"polygon {n}")


def _check_polygon(rings: Any, label: str) -> None:
    """A polygon's rings: the outline first, then any holes, each closed."""
    if not isinstance(rings, list) or not rings:
        raise GeoJSONError(f"The rings of {label} are missing: give its outline as a closed ring of positions.")
    for n, ring in enumerate(rings, start=1):
        _check_line(ring, f"Ring {n} of {label}", minimum=4, closed=True)


def _check_line(positions: Any, where: str, *, minimum: int, closed: bool) -> None:
    if not isinstance(positions, list):
        raise GeoJSONError(f"{where} is not a list of [longitude, latitude] positions.")
    for n, position in enumerate(positions, start=1):
        _check_position(position, f"{where}, position {n},")
    if len(positions) < minimum:
        raise GeoJSONError(f"{where} has {len(positions)} positions; it needs at least {minimum}.")
    if closed and positions[0] != positions[-1]:
        raise GeoJSONError(
            f"{where} is not closed: its last position must repeat its first "
            f"(GeoJSON rings end where they start; add [{positions[0][0]}, {positions[0][1]}] at the end)."
        )


def _check_position(position: Any, where: str) -> None:
    if (
        not isinstance(position, list)
        or not 2 <= len(position) <= 3
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in position)
    ):
        raise GeoJSONError(f"{where} must be two or three numbers, [longitude, latitude].")
