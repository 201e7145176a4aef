"""Patrol areas: create, look up, and show them (GeoJSON features, the wards they overlap)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.config import Settings
from nte.errors import Conflict, Invalid, NTEError
from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    PatrolNotFound,
)
from nte.patrols.models import (
    PatrolArea,
    ShiftSeries,
)
from nte.patrols.service._common import clean_text
from nte.patrols.service.area_shapes import parse_area_geometry, validate_area
from nte.spatial import area_km2, from_db, to_db
from nte.spatial.coords import round_coord
from nte.wards.service import vintages as ward_vintages
from nte.wards.service import wards_touching


@dataclass(frozen=True)
class PatrolAreaInfo:
    """A patrol area for other domains (maps): the polygon is Shapely, WGS84."""

    id: int
    name: str
    description: str | None
    area_km2: float
    geometry: BaseGeometry


def list_patrol_areas(session: Session) -> list[PatrolAreaInfo]:
    """Every patrol area with its polygon (Shapely, WGS84). Used by the maps domain."""
    return [PatrolAreaInfo(a.id, a.name, a.description, a.area_km2, area_geometry(a)) for a in repo.list_areas(session)]


def area_geometry(area: PatrolArea) -> BaseGeometry:
    geom = from_db(area.geom)
    assert geom is not None
    return geom


def area_problems(
    session: Session, *, name: str, description: str | None, geometry: Any, settings: Settings, field: str = "geometry"
) -> dict[str, str]:
    """Every problem with a new area's fields at once (name, description, shape), keyed by field;
    empty when :func:`create_area` can save it. ``geometry`` None means it is missing (reported by
    the caller)."""
    problems: dict[str, str] = {}
    clean_name = (name or "").strip()
    if not clean_name:
        problems["name"] = "Enter a name for the area."
    elif len(clean_name) > 120:
        problems["name"] = "The name must be at most 120 characters."
    elif repo.area_by_name(session, clean_name) is not None:
        problems["name"] = "There is already a patrol area with this name: choose another name."
    try:
        clean_text(description, limit=500, field="description", label="The description")
    except NTEError as exc:
        problems["description"] = exc.detail
    if geometry is not None:
        try:
            validate_area(session, parse_area_geometry(geometry, field=field), settings=settings, field=field)
        except NTEError as exc:
            problems[exc.field or field] = exc.detail
    return problems


def create_area(
    session: Session,
    *,
    actor: User,
    name: str,
    geometry: Any,
    description: str | None = None,
    settings: Settings,
    now: datetime,
) -> PatrolArea:
    clean_name = (name or "").strip()
    if not clean_name:
        raise Invalid("Enter a name for the area.", field="name")
    if len(clean_name) > 120:
        raise Invalid("The name must be at most 120 characters.", field="name")
    clean_description = clean_text(description, limit=500, field="description", label="The description")
    geom = validate_area(session, parse_area_geometry(geometry), settings=settings)
    if repo.area_by_name(session, clean_name) is not None:
        raise Conflict("There is already a patrol area with this name.", field="name", code="area_exists")
    area = PatrolArea(
        name=clean_name,
        description=clean_description,
        area_km2=area_km2(geom),
        geom=to_db(geom),
        created_at=now,
        updated_at=now,
    )
    session.add(area)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.area.create",
        target_type="patrol_area",
        target_id=area.id,
        detail={"name": clean_name, "km2": round(area.area_km2, 4)},
        at=now,
    )
    return area


def get_area(session: Session, area_id: int, *, field: str = "area_id") -> PatrolArea:
    area = repo.get_area(session, area_id)
    if area is None:
        raise PatrolNotFound("patrol area", field=field)
    return area


def area_feature(area: PatrolArea, *, series: Iterable[ShiftSeries] = ()) -> dict[str, Any]:
    geom = area_geometry(area)
    return {
        "type": "Feature",
        "id": area.id,
        "properties": {
            "id": area.id,
            "name": area.name,
            "description": area.description or "",
            "area_km2": round(area.area_km2, 4),
            "series": [{"id": s.id, "name": s.name} for s in series],
        },
        "geometry": _round_coords(mapping(geom)),
    }


def area_wards(session: Session, area: PatrolArea) -> dict[str, list[dict[str, str]]]:
    """The wards an area overlaps, in every ward vintage (vintage key -> [{code, name}])."""
    geom = area_geometry(area)
    return {
        ward_set.vintage: [{"code": w.code, "name": w.name} for w in wards_touching(session, geom, ward_set=ward_set)]
        for ward_set in ward_vintages(session)
    }


def areas_geojson(session: Session) -> dict[str, Any]:
    by_area: dict[int, list[ShiftSeries]] = defaultdict(list)
    for series in repo.list_series(session, active_only=True):
        by_area[series.area_id].append(series)
    features = []
    for a in repo.list_areas(session):
        feature = area_feature(a, series=by_area[a.id])
        feature["properties"]["wards"] = area_wards(session, a)
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, float):
        return round_coord(obj)
    if isinstance(obj, (list, tuple)):
        return [_round_coords(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _round_coords(v) for k, v in obj.items()}
    return obj
