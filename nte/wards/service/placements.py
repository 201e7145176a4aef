"""Placements: which ward set each served borough's figures are in (each borough's current set, or
one vintage for all), the vintages loaded, and a point checked before it is placed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.wards import repository as repo
from nte.wards.exceptions import BoroughWithoutWards, InvalidCoordinates, NoWardSet, UnknownVintage, UnknownWard
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


def ward_set_of(session: Session, ward: Ward) -> WardSet:
    """The ward set (vintage) a ward belongs to."""
    ward_set = repo.get_ward_set(session, ward.ward_set_id)
    assert ward_set is not None  # ward.ward_set_id is a foreign key
    return ward_set


@dataclass(frozen=True)
class ServedBorough:
    code: str
    name: str
    wards: int
    vintage: str  # the vintage key its figures are in


def served_boroughs(session: Session, *, settings: Settings, vintage: str | None = None) -> list[ServedBorough]:
    """The served boroughs, each with its name, how many wards it has and the vintage they are of
    (each borough's current one, or ``vintage``), by name."""
    where = placement(session, settings=settings, vintage=vintage)
    keys = {s.id: s.vintage for s in repo.list_ward_sets(session)}
    out: list[ServedBorough] = []
    for set_id, boroughs in where.by_set:
        held = repo.boroughs_in_set(session, set_id)
        out.extend(ServedBorough(b, held[b][0], held[b][1], keys[set_id]) for b in boroughs)
    return sorted(out, key=lambda b: b.name)
