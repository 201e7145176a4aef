"""The register for officers: every venue with its contacts, pledges met, schemes and last
training, filtered by ward, status and scheme; as rows, spreadsheet-safe CSV or GeoJSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.exports import csv_text
from nte.london import london_today
from nte.spatial.coords import round_coord
from nte.venues import repository as repo
from nte.venues.models import Venue
from nte.venues.service.wards import check_filters, check_ward, ward_names

REGISTER_COLUMNS = (
    "id",
    "name",
    "venue_type",
    "status",
    "address",
    "postcode",
    "licence_number",
    "ward_code",
    "ward_name",
    "borough_code",
    "longitude",
    "latitude",
    "champion_name",
    "champion_role",
    "contact_email",
    "contact_phone",
    "ask_for_angela",
    "pledges_met",
    "renewal_date",
    "schemes",
    "last_training_date",
    "example",
)


def register(
    session: Session,
    *,
    ward: str | None,
    status: str | None,
    scheme: str | None,
    include_examples: bool,
    settings: Settings,
    now: datetime,
) -> list[dict[str, Any]]:
    check_filters(None, scheme, status)
    ward = check_ward(session, ward=ward, settings=settings)
    today = london_today(now)
    venues = repo.list_venues(
        session,
        statuses=[status] if status else None,
        ward_code=ward,
        scheme=scheme,
        on_date=today,
        include_examples=include_examples,
    )
    points = repo.venue_points(session, [v.id for v in venues])
    schemes = repo.current_schemes(session, on_date=today)
    trained = repo.last_training_dates(session)
    names = ward_names(session, settings=settings)
    return [
        _row(v, point=points[v.id], ward_name=names.get(v.ward_code, ""), schemes=schemes, trained=trained)
        for v in venues
    ]


def _row(
    v: Venue, *, point: tuple[float, float], ward_name: str, schemes: dict[int, list[str]], trained: dict[int, Any]
) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "venue_type": v.venue_type,
        "status": v.status,
        "address": v.address,
        "postcode": v.postcode,
        "licence_number": v.licence_number or "",
        "ward_code": v.ward_code,
        "ward_name": ward_name,
        "borough_code": v.borough_code,
        "longitude": round_coord(point[0]),
        "latitude": round_coord(point[1]),
        "champion_name": v.champion_name,
        "champion_role": v.champion_role,
        "contact_email": v.contact_email,
        "contact_phone": v.contact_phone,
        "ask_for_angela": v.ask_for_angela,
        "pledges_met": sum(1 for p in v.pledges if p.met),
        "renewal_date": v.renewal_date.isoformat() if v.renewal_date else "",
        "schemes": ";".join(schemes.get(v.id, [])),
        "last_training_date": trained[v.id].isoformat() if v.id in trained else "",
        "example": v.is_example,
    }


def register_csv(rows: list[dict[str, Any]]) -> str:
    return csv_text(REGISTER_COLUMNS, ([row[c] for c in REGISTER_COLUMNS] for row in rows))


def register_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [r["longitude"], r["latitude"]]},
                "properties": {k: v for k, v in r.items() if k not in ("longitude", "latitude")},
            }
            for r in rows
        ],
    }
