"""Demo data: 1,246 real licensed premises in the six boroughs, loaded as *unverified example*
venues (labelled wherever they appear, with the data attribution), and one verified charter venue
run by the demo venue manager whose renewal falls due within weeks. Idempotent."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.auth import repository as auth_repo
from nte.config import get_settings
from nte.db import utcnow
from nte.london import london_today
from nte.postcodes import normalise_postcode
from nte.spatial import from_db, to_db
from nte.venues import repository as repo
from nte.venues.models import WARD_SUBJECT, Venue, VenuePledge
from nte.venues.service import PLEDGES, REMINDER_DAYS, name_key
from nte.wards import service as wards_service
from nte.wards.index import OUTSIDE

MANAGER_EMAIL = "venue@demo.nte-safe.invalid"
MANAGED_VENUE_NAME = "The Lantern, Greek Street (demo venue)"
#: The demo venue's charter renewal falls due this many days after the demo is loaded: inside the
#: 30-day reminder window, so the renewal reminder job mails the demo venue manager.
RENEWAL_DUE_IN_DAYS = 25
EXAMPLES_CSV = (
    Path(__file__).resolve().parent.parent / "data" / "venues" / "six-boroughs-pubs-openpubs-fsa-with-wards.csv"
)


def load_examples(session: Session, console: Any = None, *, path: Path = EXAMPLES_CSV) -> int:
    """The example pubs, each in the ward its pin falls in (current boundaries; every vintage is
    assigned too). The file's own ward column is the December 2013 ward, not used."""
    settings = get_settings()
    seen = repo.example_source_ids(session)
    now = utcnow()
    index = wards_service.index_for(session, wards_service.placement(session, settings=settings))
    rows: list[tuple[dict[str, str], float, float]] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            source_id = f"fhrs:{row['fas_id']}"
            if source_id in seen or row["lad_code_spatial"] not in settings.boroughs:
                continue
            try:
                lon, lat = float(row["longitude"]), float(row["latitude"])
            except ValueError:
                continue
            seen.add(source_id)
            rows.append((row, lon, lat))
    found = index.assign(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    venues: list[Venue] = []
    for (row, lon, lat), k in zip(rows, found.tolist(), strict=True):
        if k == OUTSIDE:
            continue
        venues.append(
            Venue(
                name=row["name"][:200],
                name_key=name_key(row["name"][:200]),
                venue_type="pub",
                address=row["address"][:300],
                postcode=normalise_postcode(row["postcode"]) or row["postcode"][:10],
                geom=to_db(Point(lon, lat)),
                ward_code=index.codes[k],
                borough_code=index.borough_codes[k],
                contact_email="",
                contact_phone="",
                champion_name="",
                champion_role="",
                status="submitted",
                is_example=True,
                example_source_id=f"fhrs:{row['fas_id']}",
                submitted_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(venues)
    session.flush()
    points = [from_db(v.geom) for v in venues]
    wards_service.assign_points(
        session,
        subject=WARD_SUBJECT,
        ids=[v.id for v in venues],
        lon=np.array([p.x for p in points if p is not None]),
        lat=np.array([p.y for p in points if p is not None]),
    )
    added = len(venues)
    if console is not None:
        console.print(
            f"Example venues: {'added ' + str(added) if added else 'already loaded'} "
            "(Open Pubs / FSA FHRS, unverified examples)."
        )
    return added


def load_managed_venue(session: Session, console: Any = None) -> Venue | None:
    """The demo venue manager's own venue: verified eleven months ago, renewal due in
    RENEWAL_DUE_IN_DAYS days. Skipped when that account is missing or already manages a venue."""
    assert RENEWAL_DUE_IN_DAYS <= max(REMINDER_DAYS)
    manager = auth_repo.get_user_by_email(session, MANAGER_EMAIL)
    if manager is None or repo.venues_managed_by(session, manager.id):
        return None
    settings = get_settings()
    now = utcnow()
    renewal_date = london_today(now) + timedelta(days=RENEWAL_DUE_IN_DAYS)
    lon, lat = -0.13195, 51.51385  # Greek Street, Soho
    ward = wards_service.locate(session, lon=lon, lat=lat, settings=settings)
    verified_at = now - timedelta(days=365 - RENEWAL_DUE_IN_DAYS)
    venue = Venue(
        name=MANAGED_VENUE_NAME,
        name_key=name_key(MANAGED_VENUE_NAME),
        venue_type="bar",
        address="1 Greek Street, London",
        postcode="W1D 4DQ",
        geom=to_db(Point(lon, lat)),
        ward_code=ward.code,
        borough_code=ward.borough_code,
        contact_email=MANAGER_EMAIL,
        contact_phone="020 7946 0000",
        champion_name="Demo Venue Manager",
        champion_role="Duty manager",
        ask_for_angela=True,
        status="verified",
        manager_user_id=manager.id,
        renewal_date=renewal_date,
        submitted_at=verified_at - timedelta(days=7),
        verified_at=verified_at,
        created_at=verified_at - timedelta(days=7),
        updated_at=verified_at,
    )
    venue.pledges = [
        VenuePledge(number=number, met=True, how_met="Demo: met since signing.", reviewed_at=verified_at)
        for number in range(1, len(PLEDGES) + 1)
    ]
    session.add(venue)
    session.flush()
    wards_service.assign_record(session, subject=WARD_SUBJECT, subject_id=venue.id, lon=lon, lat=lat)
    if console is not None:
        console.print(
            f"Demo venue: {MANAGED_VENUE_NAME!r}, run by {MANAGER_EMAIL}, renewal due {renewal_date:%d %B %Y}."
        )
    return venue
