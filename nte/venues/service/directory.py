"""The public directory: verified venues (and, when asked, the labelled example venues) as GeoJSON
for the map and the list, built once per register version and filter (``cache``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import london_today
from nte.spatial.coords import rounded_point
from nte.venues import repository as repo
from nte.venues.service.cache import CachedGeoJSON, cached
from nte.venues.service.wards import check_filters, check_ward, ward_names
from nte.venues.vocabulary import VENUE_TYPE_LABELS

EXAMPLE_ATTRIBUTION = (
    "Example venues: Open Pubs (GetTheData) from the Food Standards Agency FHRS, Open Government Licence v3.0; "
    "contains OS data © Crown copyright and database right; contains Royal Mail data © Royal Mail copyright and "
    "database right; source: Office for National Statistics, OGL v3.0. Examples have not signed the charter."
)


def directory(
    session: Session,
    *,
    ward: str | None,
    venue_type: str | None,
    scheme: str | None,
    include_examples: bool,
    settings: Settings,
    now: datetime,
) -> list[dict[str, Any]]:
    return json.loads(
        public_geojson(
            session,
            ward=ward,
            venue_type=venue_type,
            scheme=scheme,
            include_examples=include_examples,
            settings=settings,
            now=now,
        ).body
    )["features"]


def public_geojson(
    session: Session,
    *,
    ward: str | None,
    venue_type: str | None,
    scheme: str | None,
    include_examples: bool,
    settings: Settings,
    now: datetime,
) -> CachedGeoJSON:
    """Verified venues (plus labelled example venues when asked) as GeoJSON. Cached per process,
    keyed by the register version (count, max id, max updated_at: one indexed query), so a change
    made through any worker is seen by every worker on its next read."""
    check_filters(venue_type, scheme)
    ward = check_ward(session, ward=ward, settings=settings)
    today = london_today(now)
    key = (
        str(session.get_bind().engine.url),
        repo.register_version(session),
        ward,
        venue_type,
        scheme,
        include_examples,
        today.isoformat(),
    )

    def build() -> bytes:
        rows = repo.public_rows(
            session,
            include_examples=include_examples,
            ward_code=ward,
            venue_type=venue_type,
            scheme=scheme,
            on_date=today,
        )
        schemes = repo.current_schemes(session, on_date=today) if rows else {}
        trained = repo.last_training_dates(session) if rows else {}
        names = ward_names(session, settings=settings)
        collection = {
            "type": "FeatureCollection",
            "features": [_feature(row, names=names, schemes=schemes, trained=trained) for row in rows],
            "attribution": EXAMPLE_ATTRIBUTION if include_examples else None,
        }
        return orjson.dumps(collection)  # ~10x faster than json for the 2 MB register

    return cached(key, build)


def _feature(
    row: Any, *, names: dict[str, str], schemes: dict[int, list[str]], trained: dict[int, Any]
) -> dict[str, Any]:
    vid, name, vtype, address, postcode, ward_code, example, renewal, x, y = row
    return {
        "type": "Feature",
        "id": vid,
        "geometry": {"type": "Point", "coordinates": rounded_point(x, y)},
        "properties": {
            "id": vid,
            "name": name,
            "venue_type": vtype,
            "venue_type_label": VENUE_TYPE_LABELS[vtype],
            "address": address,
            "postcode": postcode,
            "ward_code": ward_code,
            "ward_name": names.get(ward_code, ward_code),
            "example": bool(example),
            "status": "example" if example else "verified",
            "schemes": schemes.get(vid, []),
            "last_training_date": trained[vid].isoformat() if vid in trained else None,
            "renewal_date": renewal.isoformat() if renewal and not example else None,
            "url": f"/venues/{vid}",
        },
    }


def angela_poster_venues(session: Session) -> set[int]:
    """The venues that display Ask for Angela posters (their public page says so)."""
    return repo.angela_venue_ids(session)
