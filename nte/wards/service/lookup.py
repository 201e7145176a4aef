"""The ward at a point, a ward by code, the wards a polygon touches, and the service area: all through
in-memory indexes cached per process, keyed by the sets' ids and versions, so an import or a switch
is seen at once and nothing stale is served."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.spatial import from_db, to_bng
from nte.wards import repository as repo
from nte.wards.exceptions import LocationOutsideServiceArea, NoWardSet, UnknownWard
from nte.wards.index import OUTSIDE, WardIndex
from nte.wards.models import Ward, WardSet
from nte.wards.service.features import rfc7946_geometry
from nte.wards.service.placements import CURRENT, Placement, placement, resolve_vintage, stamp, validate_point, wards_of

_indexes: dict[str, WardIndex] = {}
_areas: dict[str, BaseGeometry] = {}
_CACHE_SIZE = 8


def _remember(cache: dict[str, Any], key: str, value: Any) -> Any:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def _build(wards: Sequence[Ward]) -> WardIndex:
    parts = []
    for w in wards:
        geom = from_db(w.geom)
        assert geom is not None  # ward.geom is NOT NULL
        parts.append((w.code, w.name, w.borough_code, geom))
    return WardIndex.build(parts, ids=[w.id for w in wards])


def index_for(session: Session, where: Placement) -> WardIndex:
    """The in-memory index of a placement's wards."""
    cached = _indexes.get(where.key)
    if cached is None:
        cached = _remember(_indexes, where.key, _build(wards_of(session, where)))
    return cached


def set_index(session: Session, ward_set: WardSet) -> WardIndex:
    """The index of every ward in one set (all its boroughs)."""
    key = f"set|{stamp(ward_set)}"
    cached = _indexes.get(key)
    if cached is None:
        cached = _remember(_indexes, key, _build(repo.wards_of_set(session, ward_set.id)))
    return cached


def placement_area(session: Session, where: Placement, *, bng: bool = False) -> BaseGeometry:
    """The union of a placement's wards, in WGS84 or (``bng``) EPSG:27700."""
    key = f"{where.key}|{'bng' if bng else 'wgs84'}"
    cached = _areas.get(key)
    if cached is None:
        geoms = [from_db(w.geom) for w in wards_of(session, where)]
        area = shapely.union_all([g for g in geoms if g is not None])
        cached = _remember(_areas, key, to_bng(area) if bng else area)
    return cached


def service_area(session: Session, *, settings: Settings) -> BaseGeometry:
    """The union of each served borough's current wards (WGS84)."""
    return placement_area(session, placement(session, settings=settings))


_geometries: dict[tuple[str, str], dict[str, Any]] = {}


def ward_geometry(session: Session, ward: Ward) -> dict[str, Any]:
    """A ward's RFC 7946 geometry (cached per set stamp: built once per process)."""
    ward_set = repo.get_ward_set(session, ward.ward_set_id)
    assert ward_set is not None
    key = (stamp(ward_set), ward.code)
    cached = _geometries.get(key)
    if cached is None:
        if len(_geometries) > 2000:
            _geometries.clear()
        cached = _geometries[key] = rfc7946_geometry(from_db(ward.geom))
    return cached


def locate(
    session: Session,
    *,
    lon: float,
    lat: float,
    settings: Settings,
    field: str = "location",
    vintage: str | None = None,
) -> Ward:
    """The served ward containing the point (current boundaries unless ``vintage``), or
    LocationOutsideServiceArea. Goes through the same ``WardIndex`` as every bulk assignment."""
    lon, lat = validate_point(lon, lat)
    where = placement(session, settings=settings, vintage=vintage)
    index = index_for(session, where)
    k = index.locate(lon, lat)
    if k == OUTSIDE:
        raise LocationOutsideServiceArea(field=field)
    ward = repo.get_ward_by_id(session, index.ids[k])
    assert ward is not None  # the index is built from these rows and keyed by the set's version
    return ward


def get_ward(session: Session, *, code: str, field: str = "code", vintage: str | None = None) -> Ward:
    """A ward by code: in its borough's current set, or in ``vintage``."""
    code = (code or "").strip()[:40]
    if vintage is not None and vintage.strip().lower() not in ("", CURRENT):
        ward_set = resolve_vintage(session, vintage)
        ward = repo.get_ward(session, ward_set_id=ward_set.id, code=code)
        if ward is None:
            raise UnknownWard(code, field=field, vintage=ward_set.name)
        return ward
    current = repo.current_sets(session)
    if not current:
        raise NoWardSet()
    for set_id in sorted(set(current.values())):
        ward = repo.get_ward(session, ward_set_id=set_id, code=code)
        if ward is not None and current.get(ward.borough_code) == set_id:
            return ward
    raise UnknownWard(code, field=field)


def wards_touching(session: Session, geom: BaseGeometry, *, ward_set: WardSet) -> list[Ward]:
    """The wards of one set that a polygon (a patrol area) overlaps, by code."""
    index = set_index(session, ward_set)
    found = []
    for k, poly in enumerate(index.polygons):
        if poly.intersects(geom) and poly.intersection(geom).area > 0:
            found.append(index.ids[k])
    return [w for w in (repo.get_ward_by_id(session, i) for i in found) if w is not None]


@dataclass(frozen=True)
class WardChoice:
    """A served ward with a point inside it (its representative point), for choosing without a map."""

    code: str
    name: str
    borough_code: str
    borough_name: str
    lon: float
    lat: float


_choices: dict[str, list[WardChoice]] = {}


def ward_choices(session: Session, *, settings: Settings, vintage: str | None = None) -> list[WardChoice]:
    """The placement's wards by borough name and ward name, each with a point inside it."""
    where = placement(session, settings=settings, vintage=vintage)
    cached = _choices.get(where.key)
    if cached is None:
        out = []
        for ward in wards_of(session, where):
            geom = from_db(ward.geom)
            assert geom is not None  # ward.geom is NOT NULL
            point = geom.representative_point()
            out.append(WardChoice(ward.code, ward.name, ward.borough_code, ward.borough_name, point.x, point.y))
        cached = _remember(_choices, where.key, sorted(out, key=lambda w: (w.borough_name, w.name)))
    return cached


def ward_choice(session: Session, *, code: str, field: str = "code") -> WardChoice:
    """One ward (current boundaries) with a point inside it."""
    ward = get_ward(session, code=code, field=field)
    geom = from_db(ward.geom)
    assert geom is not None
    point = geom.representative_point()
    return WardChoice(ward.code, ward.name, ward.borough_code, ward.borough_name, point.x, point.y)


def ward_name_at(session: Session, *, settings: Settings, lon: float, lat: float) -> str | None:
    """The name of the current served ward at a point, or None (outside, or no wards loaded)."""
    try:
        index = index_for(session, placement(session, settings=settings))
    except NoWardSet:
        return None
    k = index.locate(lon, lat)
    return None if k == OUTSIDE else index.names[k]
