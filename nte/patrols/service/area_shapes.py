"""A patrol area's shape: GeoJSON read into one Shapely polygon, and the checks it must pass
(corners, validity, size, inside the boroughs the council covers)."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.exceptions import (
    InvalidPatrolArea,
)
from nte.spatial import to_bng
from nte.spatial.geometry import GeoJSONError, load_geojson, nested_too_deeply, shape_from_geojson, too_deep
from nte.wards.service import service_area


def parse_area_geometry(data: Any, *, field: str = "geometry") -> Polygon:
    """A GeoJSON Polygon (bare, in a Feature, or a one-feature FeatureCollection) as Shapely.
    Text is decoded here; GeoJSON nested too deeply and rings that are not closed are refused
    (``nte.spatial.geometry`` checks both), naming ``field``."""
    try:
        if isinstance(data, (str, bytes)):
            data = load_geojson(data)
        elif too_deep(data):
            raise GeoJSONError(nested_too_deeply("The GeoJSON"))
    except GeoJSONError as exc:
        raise InvalidPatrolArea(str(exc), field=field) from None
    if not isinstance(data, dict):
        raise InvalidPatrolArea("The area must be a GeoJSON Polygon.", field=field)
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise InvalidPatrolArea("Upload a FeatureCollection with exactly one polygon feature.", field=field)
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidPatrolArea("The area must be a polygon (GeoJSON type Polygon).", field=field)
    try:
        geom = shape_from_geojson(data)
    except GeoJSONError as exc:
        raise InvalidPatrolArea(str(exc), field=field) from None
    if isinstance(geom, MultiPolygon):
        if len(geom.geoms) != 1:
            raise InvalidPatrolArea("A patrol area must be one connected polygon.", field=field)
        geom = geom.geoms[0]
    if not isinstance(geom, Polygon) or geom.is_empty:
        raise InvalidPatrolArea("The area must be a polygon with at least three corners.", field=field)
    if geom.has_z:
        geom = shapely.force_2d(geom)
    return geom


def validate_area(
    session: Session,
    geom: Polygon,
    *,
    settings: Settings,
    patrol: PatrolSettings | None = None,
    field: str = "geometry",
) -> Polygon:
    patrol = patrol or get_patrol_settings()
    coords = list(geom.exterior.coords) + [c for ring in geom.interiors for c in ring.coords]
    if len(coords) > patrol.max_area_vertices:
        raise InvalidPatrolArea(
            f"The polygon has {len(coords)} corners; at most {patrol.max_area_vertices} are allowed. Simplify it.",
            field=field,
        )
    for lon, lat in (c[:2] for c in coords):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidPatrolArea("Coordinates must be longitude, latitude in degrees (WGS84).", field=field)
    if not geom.is_valid:
        raise InvalidPatrolArea(
            f"The polygon is not valid ({explain_validity(geom)}); its edges must not cross.", field=field
        )
    bng = to_bng(geom)
    if bng.area < patrol.min_area_m2:
        raise InvalidPatrolArea(
            f"The area is too small ({bng.area:.0f} m²); draw at least {patrol.min_area_m2:.0f} m².", field=field
        )
    if bng.area > patrol.max_area_km2 * 1_000_000:
        raise InvalidPatrolArea(
            f"The area is too large ({bng.area / 1e6:.1f} km²); a patrol area may be at most "
            f"{patrol.max_area_km2:g} km².",
            field=field,
        )
    served = service_area(session, settings=settings)
    outside = to_bng(geom.difference(served)).area if not served.covers(geom) else 0.0
    if outside > 1.0:
        raise InvalidPatrolArea(
            f"Part of the area (about {outside:,.0f} m²) lies outside the boroughs this council covers: "
            "move the corners inside the blue line on the map.",
            field=field,
        )
    return orient(geom, sign=1.0)
