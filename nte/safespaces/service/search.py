"""Finding help: the nearest safe spaces to a point (open now, or not), the public GeoJSON layer,
and the wards a person without a map chooses from."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.errors import NTEError
from nte.london import LONDON
from nte.places import service as places_service
from nte.safespaces import repository as repo
from nte.safespaces.exceptions import InvalidSearch
from nte.safespaces.hours import OpenStatus, week_hour
from nte.safespaces.service.status import STALE_AFTER_DAYS, schedule_from_text, status_json, status_of
from nte.spatial import ScanStats, distances_m
from nte.spatial.coords import round_coord, rounded_point
from nte.wards import service as ward_service
from nte.wards.exceptions import InvalidCoordinates

MAX_LIMIT = 20
NHS_ATTRIBUTION = (
    "Example pharmacies: contains public sector information licensed under the Open Government "
    "Licence v3.0 (NHS Choices, 2020)."
)
MAX_DISTANCE_M = 50_000.0
"""Nearest-search radius: nothing further than this is offered as help nearby."""


@dataclass(frozen=True)
class NearbySpace:
    id: int
    name: str
    kind: str
    address: str | None
    postcode: str | None
    phone: str | None
    access_note: str | None
    lon: float
    lat: float
    distance_m: float
    status: OpenStatus
    verified: bool
    is_example: bool
    help_offered: tuple[str, ...]
    codewords: tuple[str, ...]
    step_free: bool | None
    languages: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "address": self.address,
            "postcode": self.postcode,
            "phone": self.phone,
            "access_note": self.access_note,
            "lon": round_coord(self.lon),
            "lat": round_coord(self.lat),
            "distance_m": round(self.distance_m),
            "verified": self.verified,
            "is_example": self.is_example,
            "help_offered": list(self.help_offered),
            "codewords": list(self.codewords),
            "step_free": self.step_free,
            "languages": list(self.languages),
            **status_json(self.status),
        }


@dataclass
class NearestResult:
    lon: float
    lat: float
    at: datetime
    open_only: bool
    limit: int
    spaces: list[NearbySpace]
    stats: ScanStats = field(default_factory=ScanStats)

    def to_json(self) -> dict[str, Any]:
        return {
            "lon": self.lon,
            "lat": self.lat,
            "at": self.at.isoformat(),
            "open_only": self.open_only,
            "limit": self.limit,
            "results": [s.to_json() for s in self.spaces],
        }


def validate_search(
    lon: Any, lat: Any, *, at: datetime | None, limit: Any, now: datetime
) -> tuple[float, float, datetime, int]:
    try:
        lon, lat = ward_service.validate_point(lon, lat)
    except InvalidCoordinates as exc:
        raise InvalidSearch(exc.detail, field=exc.field) from None
    if at is None:
        at = now
    elif at.tzinfo is None or at.utcoffset() is None:
        at = at.replace(tzinfo=LONDON)  # a wall-clock time means London time
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise InvalidSearch(f"limit must be a whole number from 1 to {MAX_LIMIT}.", field="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidSearch(f"limit must be from 1 to {MAX_LIMIT}.", field="limit")
    return lon, lat, at, limit


def _tagged(keys: Iterator[tuple[int, float, Any]], source: str) -> Iterator[tuple[float, str, int, Any]]:
    for key, bound, row in keys:
        yield bound, source, key, row


def find_nearest(
    session: Session,
    *,
    lon: Any,
    lat: Any,
    at: datetime | None = None,
    open_only: bool = False,
    limit: Any = 5,
    now: datetime | None = None,
    stale_after_days: int = STALE_AFTER_DAYS,
    max_distance_m: float = MAX_DISTANCE_M,
) -> NearestResult:
    """The ``limit`` nearest safe spaces (not withdrawn) to a point at ``at``, optionally open ones only.

    Candidates come from the spatial index nearest first (spaces' own points and charter venues'
    points, merged by distance), in growing chunks; each chunk's exact distances (BNG metres) and
    opening status are computed, and the search stops once ``limit`` matches are nearer than the
    lower bound of every row not yet read."""
    lon, lat, at, limit = validate_search(lon, lat, at=at, limit=limit, now=now or datetime.now(UTC))
    stats = ScanStats()
    prefilter = None
    if open_only:
        # Inside the index scan, skip the spaces surely closed at this hour of the week (or with
        # stale hours): the few candidates left are nearly all open, so a small chunk will do.
        hour, today = week_hour(at)
        prefilter = repo.MaybeOpen(week_hour=hour, confirmed_since=today - timedelta(days=stale_after_days))
    chunk = max(8, limit * (2 if open_only else 3))
    streams = [
        _tagged(
            repo.nearest_space_keys(
                session, lon, lat, max_distance_m=max_distance_m, stats=stats, first_batch=chunk, prefilter=prefilter
            ),
            "s",
        )
    ]
    if repo.any_venue_linked(session):
        streams.append(
            _tagged(
                repo.nearest_venue_keys(
                    session, lon, lat, max_distance_m=max_distance_m, stats=stats, prefilter=prefilter
                ),
                "v",
            )
        )
    found: list[_Candidate] = []
    pending: list[tuple[str, int, Any]] = []
    bound = 0.0
    for bound, source, key, row in heapq.merge(*streams, key=lambda item: (item[0], item[1], item[2])):
        pending.append((source, key, row))
        if len(pending) < chunk:
            continue
        found.extend(_evaluate(session, pending, lon=lon, lat=lat, at=at, stale_after_days=stale_after_days))
        pending, chunk = [], chunk * 3
        matches = [c for c in found if c.status.is_open or not open_only]
        if sum(1 for c in matches if c.distance_m <= bound) >= limit:
            break
    else:
        found.extend(_evaluate(session, pending, lon=lon, lat=lat, at=at, stale_after_days=stale_after_days))
    best = sorted(
        (c for c in found if (c.status.is_open or not open_only) and c.distance_m <= max_distance_m),
        key=lambda c: (c.distance_m, c.id),
    )[:limit]
    spaces = [_nearby(c.row, c) for c in best]
    return NearestResult(lon=lon, lat=lat, at=at, open_only=open_only, limit=limit, spaces=spaces, stats=stats)


@dataclass(frozen=True, slots=True)
class _Candidate:
    id: int
    distance_m: float
    status: OpenStatus
    row: Any


def _evaluate(
    session: Session,
    pending: list[tuple[str, int, Any]],
    *,
    lon: float,
    lat: float,
    at: datetime,
    stale_after_days: int,
) -> list[_Candidate]:
    """Distance and opening status of a chunk of candidates: spaces' own public rows came with
    the index scan; those at venues are read in one go."""
    if not pending:
        return []
    rows = [row for source, _, row in pending if source == "s"]
    rows += repo.public_rows_at_venues(session, venue_ids=[k for s, k, _ in pending if s == "v"])
    if not rows:
        return []
    metres = distances_m(lon, lat, np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    return [
        _Candidate(
            r.id, float(d), status_of(schedule_from_text(r.hours_text), at, r.hours_confirmed_date, stale_after_days), r
        )
        for r, d in zip(rows, metres, strict=True)
    ]


def _nearby(r: Any, candidate: _Candidate) -> NearbySpace:
    return NearbySpace(
        id=r.id,
        name=r.name,
        kind=r.kind,
        address=r.address,
        postcode=r.postcode,
        phone=r.phone,
        access_note=r.access_note,
        lon=float(r.lon),
        lat=float(r.lat),
        distance_m=candidate.distance_m,
        status=candidate.status,
        verified=r.status == "verified",
        is_example=bool(r.is_example),
        help_offered=tuple(r.help_offered or ()),
        codewords=tuple(r.codewords or ()),
        step_free=r.step_free,
        languages=tuple(r.languages or ()),
    )


def geojson(
    session: Session, *, at: datetime, bbox: tuple[float, float, float, float] | None = None, attribution: str = ""
) -> dict[str, Any]:
    """Every safe space that is not withdrawn, as an RFC 7946 FeatureCollection with its opening
    status at ``at`` (verified flag and example label in the properties)."""
    if at.tzinfo is None:
        raise InvalidSearch("at must include a time zone.", field="at")
    features = [_layer_feature(r, at) for r in repo.public_rows(session, bbox=bbox)]
    return {"type": "FeatureCollection", "features": features, "at": at.isoformat(), "attribution": attribution}


def public_spaces(session: Session, *, at: datetime) -> list[dict[str, Any]]:
    """The public layer's features (``geojson``: every space not withdrawn, sorted by id) with their
    opening hours, as the space's public page shows them: in words (``opening_hours``, the text form,
    e.g. ``"Mo-Th 09:00-18:00; Fr 20:00-04:00"``) and as data (``hours``: the weekly spans and date
    overrides in London wall-clock time; None when not known)."""
    if at.tzinfo is None:
        raise InvalidSearch("at must include a time zone.", field="at")
    out = []
    for r in repo.public_rows(session):
        feature = _layer_feature(r, at)
        schedule = schedule_from_text(r.hours_text)
        feature["properties"]["opening_hours"] = schedule.to_text() if schedule is not None else None
        feature["properties"]["hours"] = schedule.to_json() if schedule is not None else None
        out.append(feature)
    return sorted(out, key=lambda f: f["id"])


def _layer_feature(r: Any, at: datetime) -> dict[str, Any]:
    status = status_of(schedule_from_text(r.hours_text), at, r.hours_confirmed_date)
    return {
        "type": "Feature",
        "id": r.id,
        "geometry": {"type": "Point", "coordinates": rounded_point(r.lon, r.lat)},
        "properties": {
            "id": r.id,
            "name": r.name,
            "kind": r.kind,
            "address": r.address,
            "postcode": r.postcode,
            "phone": r.phone,
            "verified": r.status == "verified",
            "is_example": bool(r.is_example),
            "help_offered": list(r.help_offered or []),
            "codewords": list(r.codewords or []),
            "step_free": r.step_free,
            **status_json(status),
        },
    }


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise InvalidSearch("bbox must be minlon,minlat,maxlon,maxlat.", field="bbox")
    minx, miny, maxx, maxy = parts
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InvalidSearch("bbox must be minlon,minlat,maxlon,maxlat within WGS84 bounds.", field="bbox")
    return minx, miny, maxx, maxy


# --- wards (no-JS search) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WardChoice:
    code: str
    name: str
    borough_name: str
    lon: float
    lat: float


def ward_choices(session: Session, *, settings: Settings) -> list[WardChoice]:
    """Served wards with a point inside each (its representative point), for choosing without a map."""
    return [
        WardChoice(w.code, w.name, w.borough_name, w.lon, w.lat)
        for w in ward_service.ward_choices(session, settings=settings)
    ]


def ward_point(session: Session, *, code: str) -> WardChoice:
    w = ward_service.ward_choice(session, code=code[:20], field="ward")
    return WardChoice(w.code, w.name, w.borough_name, w.lon, w.lat)


def public_layer(
    session: Session, *, at: datetime | None, bbox: str | None, now: datetime, attribution: str = ""
) -> dict[str, Any]:
    """The public GeoJSON layer at ``at`` (London time when it has no offset; default ``now``),
    within ``bbox`` (``minlon,minlat,maxlon,maxlat`` text) when given."""
    when = validate_search(0, 0, at=at, limit=1, now=now)[2]
    return geojson(session, at=when, bbox=parse_bbox(bbox), attribution=attribution)


# --- the "Find help now" page's search -------------------------------------------------------------

FALLBACK_DISTANCE_M = 20_000.0
"""How far the "nothing open near you" fallback looks for places open now."""
PAGE_LIMIT, FALLBACK_LIMIT = 5, 3


@dataclass
class HelpSearch:
    """What the help-now page searched from and found. ``error`` names what went wrong (``place``,
    ``place_short``, ``ward`` or ``location``), ``status_code`` the page's status."""

    ward: str = ""
    place: str = ""
    where: str | None = None
    point: dict[str, str] | None = None
    result: NearestResult | None = None
    fallback: NearestResult | None = None
    error: str | None = None
    status_code: int = 200

    @property
    def error_field(self) -> str | None:
        """The form field the error is shown under."""
        return "place" if self.error in ("place", "place_short") else self.error

    @property
    def shown(self) -> list[NearbySpace]:
        """Every space on the page: the results, then the fallback's."""
        if self.result is None:
            return []
        return [*self.result.spaces, *(self.fallback.spaces if self.fallback else [])]


def _point_params(lon: float, lat: float, *, near: str | None = None) -> dict[str, str]:
    params = {"lon": f"{lon:.6f}", "lat": f"{lat:.6f}"}
    if near:
        params["near"] = near
    return params


def _search_from(
    session: Session,
    found: HelpSearch,
    *,
    typed: str,
    lon: Any,
    lat: Any,
    near: str | None,
    settings: Settings,
    search: dict[str, Any],
) -> None:
    """Search from the place typed in, else the ward chosen, else the point the form carries."""
    place = places_service.resolve(session, q=typed, settings=settings) if len(typed) >= 2 else None
    if typed and place is None:
        found.place, found.error, found.status_code = typed, "place" if len(typed) >= 2 else "place_short", 422
    elif place is not None:
        found.result = find_nearest(session, lon=place.lon, lat=place.lat, **search)
        found.where, found.ward = place.label, ""
        found.point = _point_params(found.result.lon, found.result.lat, near=place.label)
    elif found.ward:
        choice = ward_point(session, code=found.ward)
        found.result = find_nearest(session, lon=choice.lon, lat=choice.lat, **search)
        found.where, found.point = f"{choice.name} ({choice.borough_name})", {"ward": found.ward}
    elif lon not in (None, "") or lat not in (None, ""):
        found.result = find_nearest(session, lon=lon, lat=lat, **search)
        found.where = (near or "").strip() or None
        found.point = _point_params(found.result.lon, found.result.lat, near=found.where)


def help_search(
    session: Session,
    *,
    place: str | None,
    ward: str | None,
    lon: Any,
    lat: Any,
    near: str | None,
    open_only: bool,
    now: datetime,
    settings: Settings,
) -> HelpSearch:
    """Find help now: from a postcode, street or place typed in (``place``), a ward, or the
    browser's location or a point on the map (``lon``/``lat``, with ``near`` naming it). A place
    typed in wins, then a ward chosen in the list, then the point the form still carries, so "Show"
    can change without losing the place searched from. Nothing open nearby: the nearest open
    within ``FALLBACK_DISTANCE_M``."""
    found = HelpSearch(ward=ward or "")
    typed = " ".join((place or "").split())
    search = {"open_only": open_only, "limit": PAGE_LIMIT, "now": now}
    try:
        _search_from(session, found, typed=typed, lon=lon, lat=lat, near=near, settings=settings, search=search)
        if found.result is not None and open_only and not found.result.spaces:
            found.fallback = find_nearest(
                session,
                lon=found.result.lon,
                lat=found.result.lat,
                open_only=True,
                limit=FALLBACK_LIMIT,
                now=now,
                max_distance_m=FALLBACK_DISTANCE_M,
            )
    except NTEError as exc:
        found.error = "ward" if exc.field in ("ward", "code") else "location"
        found.status_code = exc.status_code
    return found
