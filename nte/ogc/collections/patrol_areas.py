"""Patrol areas for coordinators: each area's polygon with its name, the boroughs it lies in,
whether a series patrols it, and how many series and shifts it has ahead.

Computed from the patrols service rather than read as rows: an area has no borough column (its
boroughs are the wards it overlaps, from the wards service) and "ahead" is measured from the
request's moment, which a row's columns cannot see. Areas are few (tens), so every feature is
built once per version and filtered in Python."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from datetime import datetime
from hashlib import sha256
from typing import Any

import orjson
import shapely
from sqlalchemy.orm import Session

from nte.auth.deps import CoordinatorApi
from nte.ogc.collections.base import ComputedCollection, Context, Feature, Queryable, Version
from nte.ogc.collections.patrol_shifts import shifts_version
from nte.ogc.crs import CRS84
from nte.patrols import service as patrols
from nte.wards import service as ward_service

#: How far ahead "shifts ahead" looks: the coordinators' staffing board (eight weeks).
AHEAD_DAYS = 56


class PatrolAreasCollection(ComputedCollection):
    id = "patrol-areas"
    title = "Patrol areas (coordinators)"
    description = (
        "The areas volunteer patrols cover, with the boroughs each lies in, whether a series patrols it (active), "
        f"how many active series it has, and how many scheduled shifts start in the next {AHEAD_DAYS} days (as on "
        "the staffing board). Filter with CQL2 on the queryables, e.g. active = true AND shifts_ahead < 4."
    )
    access = CoordinatorApi
    geometry_type = "Polygon"
    site_path = "/coordinator/areas"
    queryables = (
        Queryable("name", "string", "Area name"),
        Queryable(
            "borough_codes", "string", "Borough codes", "The ONS codes of the boroughs it lies in, comma-separated."
        ),
        Queryable("boroughs", "string", "Boroughs", "The boroughs it lies in, comma-separated."),
        Queryable("area_km2", "number", "Area (km²)"),
        Queryable("active", "boolean", "Patrolled", "An active series patrols it."),
        Queryable("series", "integer", "Active series"),
        Queryable("shifts_ahead", "integer", f"Scheduled shifts in the next {AHEAD_DAYS} days"),
    )

    def __init__(self) -> None:
        # Features per (session, moment): ``version`` builds them, ``features`` of the same request reuses them.
        self._recent: OrderedDict[tuple[int, datetime], tuple[list[Feature], Version]] = OrderedDict()
        self._lock = threading.Lock()

    def _build(self, session: Session, ctx: Context) -> tuple[list[Feature], Version]:
        key = (id(session), ctx.now)
        with self._lock:
            if key in self._recent:
                return self._recent[key]
        series = [s for s in patrols.list_series(session) if s.is_active]
        by_area = Counter(s.area_id for s in series)
        ahead = Counter(s.shift.area_id for s in patrols.open_shifts(session, now=ctx.now, days=AHEAD_DAYS))
        sets = [s for s in ward_service.vintages(session) if s.is_active]
        ward_set = sets[-1] if sets else None
        features = []
        for area in sorted(patrols.list_patrol_areas(session), key=lambda a: a.id):
            wards = ward_service.wards_touching(session, area.geometry, ward_set=ward_set) if ward_set else []
            boroughs = sorted({(w.borough_code, w.borough_name) for w in wards})
            features.append(
                Feature(
                    id=area.id,
                    geometry=area.geometry,
                    properties={
                        "name": area.name,
                        "description": area.description or "",
                        "area_km2": round(area.area_km2, 4),
                        "borough_codes": ",".join(code for code, _ in boroughs),
                        "boroughs": ", ".join(name for _, name in boroughs),
                        "active": by_area[area.id] > 0,
                        "series": by_area[area.id],
                        "shifts_ahead": ahead[area.id],
                    },
                )
            )
        # The features are the version: exact whatever changed (an area, a series, a shift's status,
        # a shift starting or coming into the window, new ward boundaries).
        digest = sha256()
        for f in features:
            digest.update(orjson.dumps([f.id, f.properties]))
            digest.update(shapely.to_wkb(f.geometry) if f.geometry is not None else b"")
        changed = [s.updated_at for s in series] + [shifts_version(session).modified]
        modified = max((m for m in changed if m is not None), default=None)
        built = (features, Version(f"patrol-areas:{digest.hexdigest()[:32]}", modified))
        with self._lock:
            self._recent[key] = built
            while len(self._recent) > 8:
                self._recent.popitem(last=False)
        return built

    def features(self, session: Session, ctx: Context) -> list[Feature]:
        return self._build(session, ctx)[0]

    def version(self, session: Session, ctx: Context) -> Version:
        return self._build(session, ctx)[1]

    def extent(self, session: Session, ctx: Context) -> dict[str, Any] | None:
        found = [f.geometry for f in self.features(session, ctx) if f.geometry is not None]
        if not found:
            return None
        return {"spatial": {"bbox": [list(shapely.GeometryCollection(found).bounds)], "crs": CRS84}}
