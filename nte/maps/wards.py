"""Ward boundaries: import a vintage, find the ward at a point, the service area, GeoJSON.

Ward sets are immutable once imported (a new vintage is a new set), so anything derived from
one (the service-area union, GeoJSON) may be cached per process, keyed by the set's id."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.config import Settings
from nte.maps import repository as repo
from nte.maps.exceptions import (
    InvalidCoordinates,
    InvalidWardFile,
    LocationOutsideServiceArea,
    NoWardSet,
    UnknownWard,
)
from nte.maps.models import Ward, WardSet
from nte.spatial import area_km2, from_db, to_db

SHIPPED_WARDS = Path(__file__).resolve().parent.parent / "data" / "wards" / "six-boroughs-wards-dec2013.geojson"
SHIPPED_ATTRIBUTION = (
    "Contains Ordnance Survey, Office of National Statistics, National Records Scotland and LPS Intellectual "
    "Property data © Crown copyright and database right [2016]. Data licensed under the terms of the Open "
    "Government Licence v3.0. Ordnance Survey data covered by OS OpenData Licence. Boundaries: ONS generalised "
    "clipped electoral wards, December 2013, via martinjc/UK-GeoJSON."
)
# London bounds, generously: anything outside is certainly not in a London borough.
LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)


def validate_point(lon: Any, lat: Any, *, lon_field: str = "lon", lat_field: str = "lat") -> tuple[float, float]:
    """Finite WGS84 longitude/latitude, or a clear error naming the field."""
    values = []
    for value, name, (low, high) in ((lon, lon_field, LON_RANGE), (lat, lat_field, LAT_RANGE)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidCoordinates(f"{name} must be a number.", field=name) from None
        if not math.isfinite(number) or not (low <= number <= high):
            raise InvalidCoordinates(f"{name} must be between {low:g} and {high:g}.", field=name)
        values.append(number)
    return values[0], values[1]


def require_active_set(session: Session) -> WardSet:
    ward_set = repo.active_ward_set(session)
    if ward_set is None:
        raise NoWardSet()
    return ward_set


def locate(session: Session, *, lon: float, lat: float, settings: Settings, field: str = "location") -> Ward:
    """The served ward containing the point, or LocationOutsideServiceArea."""
    lon, lat = validate_point(lon, lat)
    ward_set = require_active_set(session)
    ward = repo.ward_at_point(session, ward_set_id=ward_set.id, lon=lon, lat=lat, borough_codes=settings.boroughs)
    if ward is None:
        raise LocationOutsideServiceArea(field=field)
    return ward


def get_ward(session: Session, *, code: str, field: str = "code") -> Ward:
    ward_set = require_active_set(session)
    ward = repo.get_ward(session, ward_set_id=ward_set.id, code=code)
    if ward is None:
        raise UnknownWard(code, field=field)
    return ward


def served_wards(session: Session, *, settings: Settings, borough: str | None = None) -> list[Ward]:
    ward_set = require_active_set(session)
    codes = settings.boroughs if borough is None else [b for b in settings.boroughs if b == borough]
    if borough is not None and not codes:
        raise UnknownWard(borough, field="borough")
    return repo.list_wards(session, ward_set_id=ward_set.id, borough_codes=codes)


@lru_cache(maxsize=16)
def _union(ward_set_id: int, boroughs: tuple[str, ...], wkbs: tuple[bytes, ...]) -> BaseGeometry:
    del ward_set_id, boroughs  # part of the cache key only
    return shapely.union_all([shapely.from_wkb(w) for w in wkbs])


def service_area(session: Session, *, settings: Settings) -> BaseGeometry:
    """The union of the served boroughs' wards (WGS84)."""
    ward_set = require_active_set(session)
    key = (ward_set.id, tuple(sorted(settings.boroughs)))
    try:
        return _service_area_cache[key]
    except KeyError:
        pass
    wkbs = []
    for ward in repo.list_wards(session, ward_set_id=ward_set.id, borough_codes=settings.boroughs):
        geom = from_db(ward.geom)
        assert geom is not None  # ward.geom is NOT NULL
        wkbs.append(geom.wkb)
    area = _union(ward_set.id, key[1], tuple(wkbs))
    _service_area_cache[key] = area
    return area


_service_area_cache: dict[tuple[int, tuple[str, ...]], BaseGeometry] = {}


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
        feature["geometry"] = _rfc7946_geometry(from_db(ward.geom))
    return feature


def _rfc7946_geometry(geom: BaseGeometry) -> dict[str, Any]:
    """Exterior rings counter-clockwise (RFC 7946 section 3.1.6), 6 decimals (~10 cm)."""
    if isinstance(geom, Polygon):
        geom = orient(geom, sign=1.0)
    elif isinstance(geom, MultiPolygon):
        geom = MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    return _round(mapping(geom))


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, (list, tuple)):
        return [_round(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    return obj


def feature_collection(wards: Iterable[Ward], ward_set: WardSet) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [ward_feature(w) for w in wards],
        "ward_set": ward_set.name,
        "attribution": ward_set.attribution,
    }


# --- import --------------------------------------------------------------------------------------


@dataclass
class WardImport:
    ward_set: WardSet
    count: int
    repaired: list[str] = field(default_factory=list)


def _polygonal(geom: BaseGeometry) -> MultiPolygon | None:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom]) if not geom.is_empty else None
    if isinstance(geom, MultiPolygon):
        return geom if not geom.is_empty else None
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in geom.geoms if isinstance(g, (Polygon, MultiPolygon))]
        parts: list[Polygon] = []
        for p in polys:
            parts.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
        return MultiPolygon(parts) if parts else None
    return None


def read_feature_collection(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidWardFile(f"{path.name} is not readable GeoJSON: {exc}", field="file") from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise InvalidWardFile(f"{path.name} is not a GeoJSON FeatureCollection.", field="file")
    return data["features"]


def import_ward_set(
    session: Session,
    *,
    features: list[dict[str, Any]],
    name: str,
    source: str,
    attribution: str,
    vintage_date: date | None = None,
    code_property: str = "WD13CD",
    name_property: str = "WD13NM",
    borough_code_property: str | None = "LAD13CD",
    borough_name_property: str | None = "LAD13NM",
    borough_code: str | None = None,
    borough_name: str | None = None,
    activate: bool = True,
    actor: Any = None,
) -> WardImport:
    """Validate every feature (repairing invalid polygons, or failing with the feature named) and
    store the set. Nothing is stored if any feature is unusable."""
    if not name.strip():
        raise InvalidWardFile("Give the ward set a name (its vintage, e.g. 'May 2022').", field="name")
    if not attribution.strip():
        raise InvalidWardFile("Boundary data needs its attribution text.", field="attribution")
    if repo.get_ward_set_by_name(session, name):
        raise InvalidWardFile(f"A ward set called {name!r} already exists.", field="name")
    if not features:
        raise InvalidWardFile("The file holds no features.", field="file")
    rows: list[Ward] = []
    repaired: list[str] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        props = (feature or {}).get("properties") or {}
        code = str(props.get(code_property) or "").strip()
        label = f"feature {index} ({code or 'no code'})"
        if not code:
            raise InvalidWardFile(
                f"{label}: property {code_property!r} (the ward code) is missing.", field=code_property
            )
        if code in seen:
            raise InvalidWardFile(f"{label}: ward code {code} appears twice.", field=code_property)
        seen.add(code)
        ward_name = str(props.get(name_property) or "").strip()
        if not ward_name:
            raise InvalidWardFile(
                f"{label}: property {name_property!r} (the ward name) is missing.", field=name_property
            )
        b_code = borough_code or str(props.get(borough_code_property or "") or "").strip()
        b_name = borough_name or str(props.get(borough_name_property or "") or "").strip() or b_code
        if not b_code:
            raise InvalidWardFile(
                f"{label}: no borough code (set --borough-code or --borough-code-property).", field="borough_code"
            )
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            raise InvalidWardFile(f"{label}: geometry is missing or malformed ({exc}).", field="geometry") from None
        if not isinstance(geom, (Polygon, MultiPolygon)):
            raise InvalidWardFile(f"{label}: geometry is a {geom.geom_type}, not a polygon.", field="geometry")
        if not geom.is_valid:
            fixed = _polygonal(shapely.make_valid(geom))
            if fixed is None or fixed.area < geom.area * 0.5:
                raise InvalidWardFile(
                    f"{label}: invalid polygon that cannot be repaired ({shapely.is_valid_reason(geom)}).",
                    field="geometry",
                )
            repaired.append(f"{label}: {shapely.is_valid_reason(geom)}")
            geom = fixed
        multi = _polygonal(geom)
        if multi is None:
            raise InvalidWardFile(f"{label}: empty geometry.", field="geometry")
        minx, miny, maxx, maxy = multi.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise InvalidWardFile(f"{label}: coordinates are not WGS84 longitude/latitude.", field="geometry")
        rows.append(
            Ward(
                code=code,
                name=ward_name[:120],
                borough_code=b_code,
                borough_name=b_name[:120],
                area_km2=area_km2(multi),
                geom=to_db(multi),
            )
        )
    if activate:
        repo.deactivate_all(session)
    ward_set = WardSet(
        name=name.strip(), vintage_date=vintage_date, source=source, attribution=attribution, is_active=activate
    )
    session.add(ward_set)
    session.flush()
    for row in rows:
        row.ward_set_id = ward_set.id
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="wards.import",
        target_type="ward_set",
        target_id=ward_set.id,
        detail={"name": ward_set.name, "wards": len(rows), "repaired": len(repaired)},
    )
    return WardImport(ward_set=ward_set, count=len(rows), repaired=repaired)


def import_shipped_wards(session: Session) -> WardImport | None:
    """Load the December 2013 wards shipped with NTE Safe, once."""
    if repo.get_ward_set_by_name(session, "December 2013") is not None:
        return None
    return import_ward_set(
        session,
        features=read_feature_collection(SHIPPED_WARDS),
        name="December 2013",
        vintage_date=date(2013, 12, 1),
        source="ONS generalised clipped electoral wards Dec 2013, via martinjc/UK-GeoJSON",
        attribution=SHIPPED_ATTRIBUTION,
        activate=repo.active_ward_set(session) is None,
    )
