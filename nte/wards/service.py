"""Wards: the served area, the ward at a point (in any vintage), importing a vintage, choosing the
current vintage per borough, and assigning every located record to a ward in every vintage.

A *placement* says which ward set each served borough's figures are in: by default each borough's
current set, or one vintage for all. Anything derived from a set (its ``WardIndex``, the service
area) is cached per process, keyed by the sets' ids and versions, so an import or a switch is seen
at once and nothing stale is served."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.config import Settings
from nte.db import utcnow
from nte.spatial import area_km2, from_db, to_bng, to_db
from nte.wards import repository as repo
from nte.wards.exceptions import (
    BoroughWithoutWards,
    InvalidCoordinates,
    InvalidWardFile,
    LocationOutsideServiceArea,
    NoWardSet,
    UnknownVintage,
    UnknownWard,
    WardSetConflict,
)
from nte.wards.geojson import ParsedWards
from nte.wards.index import OUTSIDE, WardIndex
from nte.wards.models import Ward, WardSet

LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)
CURRENT = "current"


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


# --- placements ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Which ward set each borough's figures are in."""

    vintage: str | None  # None: each borough's current set
    label: str  # "current boundaries (May 2022)" or "December 2013", said beside every figure
    by_set: tuple[tuple[int, tuple[str, ...]], ...]  # (ward set id, borough codes), ascending
    versions: tuple[tuple[int, str], ...]  # (ward set id, its stamp): part of every cache key
    attribution: str
    set_vintages: tuple[tuple[int, str], ...] = ()  # (ward set id, its vintage key)
    missing: tuple[str, ...] = ()  # served boroughs without wards in this placement

    def vintage_of(self, borough: str) -> str:
        """The vintage key a borough's figures are in ('' when the borough is not placed)."""
        keys = dict(self.set_vintages)
        return next((keys.get(s, "") for s, bs in self.by_set if borough in bs), "")

    @property
    def key(self) -> str:
        sets = ";".join(f"{s}.{v}:{','.join(self.by_set_dict[s])}" for s, v in self.versions)
        return f"{self.vintage or CURRENT}|{sets}"

    @property
    def by_set_dict(self) -> dict[int, tuple[str, ...]]:
        return dict(self.by_set)

    @property
    def boroughs(self) -> list[str]:
        return sorted(b for _, bs in self.by_set for b in bs)


def stamp(ward_set: WardSet) -> str:
    """Identifies a set's content for caches: its id, version and import instant (an id can come
    back after a rolled-back import, with other wards)."""
    return f"{ward_set.id}.{ward_set.version}.{ward_set.imported_at.timestamp():.6f}"


def vintages(session: Session) -> list[WardSet]:
    """Every ward set, oldest vintage first."""
    return repo.list_ward_sets(session)


def resolve_vintage(session: Session, vintage: str, *, field: str = "vintage") -> WardSet:
    """A ward set by its vintage key ("2022-05") or name ("May 2022")."""
    text = (vintage or "").strip()[:120]
    found = repo.get_ward_set_by_vintage(session, text) or repo.get_ward_set_by_name(session, text)
    if found is None:
        raise UnknownVintage(text, [s.vintage for s in repo.list_ward_sets(session)], field=field)
    return found


def placement(
    session: Session,
    *,
    settings: Settings,
    vintage: str | None = None,
    borough: str | None = None,
    field: str = "vintage",
) -> Placement:
    """The served boroughs (or one of them), each in its current set or all in ``vintage``."""
    served = sorted(settings.boroughs)
    if borough is not None:
        if borough not in served:
            raise UnknownWard(borough, field="borough")
        served = [borough]
    sets: dict[int, WardSet] = {}
    by_set: dict[int, list[str]] = {}
    missing: list[str] = []
    if vintage is None or vintage.strip().lower() in ("", CURRENT):
        current = repo.current_sets(session)
        for b in served:
            set_id = current.get(b)
            if set_id is None:
                missing.append(b)
                continue
            by_set.setdefault(set_id, []).append(b)
        for set_id in by_set:
            found = repo.get_ward_set(session, set_id)
            assert found is not None  # ward_current.ward_set_id is a foreign key
            sets[set_id] = found
        key = None
    else:
        ward_set = resolve_vintage(session, vintage, field=field)
        held = repo.boroughs_in_set(session, ward_set.id)
        inside = [b for b in served if b in held]
        missing = [b for b in served if b not in held]
        if inside:
            by_set[ward_set.id] = inside
            sets[ward_set.id] = ward_set
        key = ward_set.vintage
    if not by_set:
        if borough is not None:
            raise BoroughWithoutWards(borough, key, field="borough")
        if key is not None:
            raise BoroughWithoutWards(", ".join(served), key, field=field)
        raise NoWardSet()
    ordered = sorted(by_set.items())
    names = [sets[s].name for s, _ in ordered]
    label = f"{sets[ordered[0][0]].name}" if key is not None else f"current boundaries ({', '.join(names)})"
    attribution = " ".join(dict.fromkeys(sets[s].attribution for s, _ in ordered))
    return Placement(
        vintage=key,
        label=label,
        by_set=tuple((s, tuple(sorted(bs))) for s, bs in ordered),
        versions=tuple((s, stamp(sets[s])) for s, _ in ordered),
        attribution=attribution,
        set_vintages=tuple((s, sets[s].vintage) for s, _ in ordered),
        missing=tuple(missing),
    )


def served_wards(
    session: Session, *, settings: Settings, borough: str | None = None, vintage: str | None = None
) -> list[Ward]:
    """The served wards (by borough and name) of one placement."""
    return repo.wards_in(session, placement(session, settings=settings, vintage=vintage, borough=borough).by_set)


def wards_of(session: Session, where: Placement) -> list[Ward]:
    return repo.wards_in(session, where.by_set)


# --- indexes and the service area (cached per set version) -----------------------------------------

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
    ward = session.get(Ward, index.ids[k])
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
    return [w for w in (session.get(Ward, i) for i in found) if w is not None]


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


# --- assigning located records ---------------------------------------------------------------------


def assign_points(
    session: Session,
    *,
    subject: str,
    ids: Sequence[int],
    lon: np.ndarray,
    lat: np.ndarray,
    ward_sets: Sequence[WardSet] | None = None,
) -> int:
    """Assign records (new ones: nothing stored for them yet) to their ward in every ward set."""
    if len(ids) == 0:
        return 0
    rows: list[tuple[str, int, int, str | None, str | None]] = []
    for ward_set in ward_sets if ward_sets is not None else repo.list_ward_sets(session):
        index = set_index(session, ward_set)
        found = index.assign(lon, lat)
        for record_id, k in zip(ids, found.tolist(), strict=True):
            if k == OUTSIDE:
                rows.append((subject, ward_set.id, int(record_id), None, None))
            else:
                rows.append((subject, ward_set.id, int(record_id), index.codes[k], index.borough_codes[k]))
    return repo.write_assignments(session, rows)


def assign_record(session: Session, *, subject: str, subject_id: int, lon: float, lat: float) -> None:
    """(Re)assign one record from its point, in every ward set."""
    session.flush()
    repo.replace_assignments(session, subject=subject, subject_id=subject_id)
    assign_points(session, subject=subject, ids=[subject_id], lon=np.array([lon]), lat=np.array([lat]))


def assign_record_in_ward(session: Session, *, subject: str, subject_id: int, ward: Ward) -> None:
    """A record known only to a ward (a report placed by choosing its ward): that ward in its own
    set, and in every other set the ward holding the chosen ward's representative point."""
    geom = from_db(ward.geom)
    assert geom is not None
    point = geom.representative_point()
    assign_record(session, subject=subject, subject_id=subject_id, lon=point.x, lat=point.y)
    # Its own set says exactly what was chosen, whatever the representative point's edge rule gives.
    repo.replace_assignment_in_set(
        session, subject=subject, subject_id=subject_id, ward_set_id=ward.ward_set_id, ward=ward
    )


def wards_of_record(session: Session, *, subject: str, subject_id: int) -> tuple[Ward | None, set[str]]:
    """A record's ward in its borough's current boundaries (None: outside them), and its ward
    codes in every vintage."""
    rows = repo.assignments_of(session, subject=subject, subject_id=subject_id)
    current = repo.current_sets(session)
    codes = {r.ward_code for r in rows if r.ward_code}
    for r in rows:
        if r.ward_code and r.borough_code and current.get(r.borough_code) == r.ward_set_id:
            return repo.get_ward(session, ward_set_id=r.ward_set_id, code=r.ward_code), codes
    return None, codes


def refresh_statistics(session: Session) -> None:
    """After writing many assignments (a bulk import): see ``nte.spatial.refresh_statistics``."""
    repo.refresh_assignment_statistics(session)


def forget_records(session: Session, *, subject: str, subject_ids: Sequence[int]) -> None:
    repo.delete_assignments_of(session, subject=subject, subject_ids=list(subject_ids))


@dataclass(frozen=True)
class Located:
    """A table of located records: what ``wards assign`` walks through (declared by each domain)."""

    subject: str  # "report", "venue", "safe_space"
    label: str  # "reports"
    id_column: Any
    geom_column: Any


@dataclass
class AssignResult:
    subject: str
    ward_set: str
    assigned: int = 0
    outside: int = 0


def pending(session: Session, *, ward_set: WardSet, located: Located) -> int:
    return repo.count_unassigned(
        session,
        subject=located.subject,
        id_column=located.id_column,
        geom_column=located.geom_column,
        ward_set_id=ward_set.id,
    )


def assign_set(
    session: Session,
    *,
    ward_set: WardSet,
    located: Located,
    batch_size: int = 50_000,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> AssignResult:
    """Assign every stored record of one table that has no ward yet in ``ward_set``: read a batch
    by id, assign it in memory, write it (COPY on PostgreSQL), ``checkpoint`` (the CLI commits).
    Resumable: a record looked at has a row (NULL ward when outside the set), so a second run
    starts where the first stopped."""
    result = AssignResult(located.subject, ward_set.vintage)
    index = set_index(session, ward_set)
    after = 0
    while True:
        block, last = repo.unassigned_points(
            session,
            subject=located.subject,
            id_column=located.id_column,
            geom_column=located.geom_column,
            ward_set_id=ward_set.id,
            after_id=after,
            limit=batch_size,
        )
        if last is None:
            break
        after = last
        if len(block) == 0:  # every record of this stretch was assigned by an earlier run
            continue
        ids = block[:, 0].astype(np.int64)
        found = index.assign(block[:, 1], block[:, 2])
        codes = np.array(index.codes + [None], dtype=object)[found]  # OUTSIDE (-1) picks the None
        boroughs = np.array(index.borough_codes + [None], dtype=object)[found]
        rows = list(
            zip(
                [located.subject] * len(ids),
                [ward_set.id] * len(ids),
                ids.tolist(),
                codes.tolist(),
                boroughs.tolist(),
                strict=True,
            )
        )
        repo.write_assignments(session, rows)
        outside = int(np.count_nonzero(found == OUTSIDE))
        result.assigned += len(ids) - outside
        result.outside += outside
        if checkpoint is not None:
            checkpoint()
        if progress is not None:
            progress(len(ids))
    result.assigned += _assign_ward_only(session, ward_set=ward_set, located=located)
    if result.assigned or result.outside:
        repo.refresh_assignment_statistics(session)
        if checkpoint is not None:
            checkpoint()
    return result


def _assign_ward_only(session: Session, *, ward_set: WardSet, located: Located) -> int:
    """Records without a point (placed by choosing a ward): by their ward's representative point."""
    rows = repo.unassigned_without_point(
        session,
        subject=located.subject,
        id_column=located.id_column,
        geom_column=located.geom_column,
        ward_set_id=ward_set.id,
    )
    count = 0
    for subject_id, ward in rows:
        geom = from_db(ward.geom)
        assert geom is not None
        point = geom.representative_point()
        assign_points(
            session,
            subject=located.subject,
            ids=[subject_id],
            lon=np.array([point.x]),
            lat=np.array([point.y]),
            ward_sets=[ward_set],
        )
        count += 1
    return count


# --- GeoJSON out -----------------------------------------------------------------------------------


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
        return round(obj, 6)
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


# --- importing a vintage and choosing the current one ----------------------------------------------


@dataclass
class WardImport:
    ward_set: WardSet
    count: int
    boroughs: list[str]
    made_current: list[str]
    notes: list[str] = field(default_factory=list)
    created: bool = True


def _vintage_key(vintage: str | None, vintage_date: date | None) -> str:
    key = (vintage or "").strip() or (vintage_date.isoformat()[:7] if vintage_date else "")
    if not key:
        raise InvalidWardFile("Give the vintage (e.g. --vintage 2022-05) or the date it took effect.", field="vintage")
    if len(key) > 20 or not all(c.isalnum() or c in "-_." for c in key):
        raise InvalidWardFile("A vintage is up to 20 letters, digits, '-', '_' or '.' (e.g. 2022-05).", field="vintage")
    return key


def import_wards(
    session: Session,
    *,
    parsed: ParsedWards,
    name: str,
    source: str,
    attribution: str,
    vintage: str | None = None,
    vintage_date: date | None = None,
    borough: str | None = None,
    make_current: bool | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> WardImport:
    """Store a vintage's wards (all or nothing). A vintage may be imported one borough at a time:
    a borough it already holds is refused. ``borough`` keeps only that borough's features of a
    larger file. ``make_current``: True makes the imported boroughs current, False never, None
    (default) only those with no current set yet. Records are assigned by ``assign_set``."""
    now = now or utcnow()
    key = _vintage_key(vintage, vintage_date)
    name = (name or "").strip()
    attribution = (attribution or parsed.attribution or "").strip()
    if not name:
        raise InvalidWardFile("Give the ward set a name (its vintage, e.g. 'May 2022').", field="name")
    if not attribution:
        raise InvalidWardFile("Boundary data needs its attribution text.", field="attribution")
    features = parsed.features
    if borough is not None:
        features = [f for f in features if f.borough_code == borough]
        if not features:
            held = sorted({f.borough_code for f in parsed.features})
            raise InvalidWardFile(
                f"Borough {borough} has no wards in this file (it holds {', '.join(held) or 'none'}).",
                field="borough",
            )
    if not features:
        raise InvalidWardFile("The file holds no wards.", field="file")
    boroughs = sorted({f.borough_code for f in features})
    ward_set = repo.get_ward_set_by_vintage(session, key)
    created = ward_set is None
    if ward_set is None:
        clash = repo.get_ward_set_by_name(session, name)
        if clash is not None:
            raise WardSetConflict(
                f"A ward set called {name!r} already exists with vintage {clash.vintage}.", field="name"
            )
        ward_set = WardSet(
            name=name[:120],
            vintage=key,
            vintage_date=vintage_date,
            source=(source or "")[:300],
            attribution=attribution,
            imported_at=now,
            version=1,
        )
        session.add(ward_set)
        session.flush()
    else:
        in_set = repo.boroughs_in_set(session, ward_set.id)
        already = [b for b in boroughs if b in in_set]
        if already:
            raise WardSetConflict(
                f"Vintage {key} already holds the wards of {', '.join(already)}; import another vintage instead.",
                field="borough",
            )
        existing = {w.code for w in repo.wards_of_set(session, ward_set.id)}
        dup = sorted(existing & {f.code for f in features})
        if dup:
            raise InvalidWardFile(f"Ward code {dup[0]} is already in vintage {key}.", field="code")
        ward_set.version += 1
        if attribution not in ward_set.attribution:
            ward_set.attribution = f"{ward_set.attribution} {attribution}"
    session.add_all(
        [
            Ward(
                ward_set_id=ward_set.id,
                code=f.code,
                name=f.name,
                borough_code=f.borough_code,
                borough_name=f.borough_name,
                area_km2=area_km2(f.geometry),
                geom=to_db(f.geometry),
            )
            for f in features
        ]
    )
    session.flush()
    current = repo.current_sets(session)
    made_current = [b for b in boroughs if make_current or (make_current is None and b not in current)]
    for b in made_current:
        repo.set_current(session, borough_code=b, ward_set_id=ward_set.id, now=now)
    repo.refresh_active_flags(session)
    audit.record(
        session,
        actor=actor,
        action="wards.import",
        target_type="ward_set",
        target_id=ward_set.id,
        detail={
            "vintage": key,
            "name": ward_set.name,
            "wards": len(features),
            "boroughs": boroughs,
            "current": made_current,
            "notes": len(parsed.notes),
            "reprojected_from": parsed.source_crs if parsed.reprojected else None,
        },
        at=now,
    )
    session.refresh(ward_set)
    return WardImport(ward_set, len(features), boroughs, made_current, list(parsed.notes), created)


@dataclass
class Activation:
    vintage: str
    changed: list[tuple[str, str | None]]  # (borough, vintage it was current in before)


def activate(
    session: Session,
    *,
    vintage: str,
    borough: str | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> Activation:
    """Make ``vintage`` current in one borough (or in every borough it holds). Audited; switching
    back is the same call with the earlier vintage. Stored assignments are untouched."""
    now = now or utcnow()
    ward_set = resolve_vintage(session, vintage)
    held = repo.boroughs_in_set(session, ward_set.id)
    if borough is not None and borough not in held:
        raise BoroughWithoutWards(borough, ward_set.vintage)
    targets = [borough] if borough is not None else sorted(held)
    current = repo.current_sets(session)
    names = {s.id: s.vintage for s in repo.list_ward_sets(session)}
    changed: list[tuple[str, str | None]] = []
    for b in targets:
        before = current.get(b)
        if before == ward_set.id:
            continue
        repo.set_current(session, borough_code=b, ward_set_id=ward_set.id, now=now)
        changed.append((b, names.get(before) if before is not None else None))
    repo.refresh_active_flags(session)
    audit.record(
        session,
        actor=actor,
        action="wards.activate",
        target_type="ward_set",
        target_id=ward_set.id,
        detail={"vintage": ward_set.vintage, "boroughs": [{"borough": b, "from": f} for b, f in changed]},
        at=now,
    )
    return Activation(ward_set.vintage, changed)


@dataclass(frozen=True)
class VintageSummary:
    ward_set: WardSet
    boroughs: dict[str, tuple[str, int]]  # code -> (name, wards)
    current_in: list[str]
    assigned: dict[str, tuple[int, int]]  # subject -> (in a ward, outside)


def summaries(session: Session) -> list[VintageSummary]:
    current = repo.current_sets(session)
    out = []
    for s in repo.list_ward_sets(session):
        out.append(
            VintageSummary(
                s,
                repo.boroughs_in_set(session, s.id),
                sorted(b for b, set_id in current.items() if set_id == s.id),
                repo.assignment_counts(session, ward_set_id=s.id),
            )
        )
    return out
