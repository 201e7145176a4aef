"""Wards as RFC 7946 GeoJSON: exterior rings counter-clockwise, coordinates rounded once
(``nte.spatial.coords``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from nte.spatial import from_db
from nte.spatial.coords import round_coord
from nte.wards.models import Ward
from nte.wards.service.placements import CURRENT, Placement


def ward_feature(ward: Ward, *, with_geometry: bool = True) -> dict[str, Any]:
    feature: dict[str, Any] = {
        "type": "Feature",
        "id": ward.code,
        "properties": {
            "code": ward.code,
            "name": ward.name,
            "borough_code": ward.borough_code,
            "borough_name": ward.borough_name,
            "area_km2": round(ward.area_km2, 4),
        },
        "geometry": None,
    }
    if with_geometry:
        feature["geometry"] = rfc7946_geometry(from_db(ward.geom))
    return feature


def rfc7946_geometry(geom: BaseGeometry) -> dict[str, Any]:
    """Exterior rings counter-clockwise (RFC 7946 section 3.1.6), 6 decimals (~10 cm)."""
    if isinstance(geom, Polygon):
        geom = orient(geom, sign=1.0)
    elif isinstance(geom, MultiPolygon):
        geom = MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    return _round(mapping(geom))


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round_coord(obj)
    if isinstance(obj, (list, tuple)):
        return [_round(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    return obj


def feature_collection(wards: Iterable[Ward], where: Placement) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [ward_feature(w) for w in wards],
        "vintage": where.vintage or CURRENT,
        "ward_set": where.label,
        "attribution": where.attribution,
    }
