"""Demo data: 1,246 real licensed premises in the six boroughs, loaded as *unverified example*
venues (labelled wherever they appear, with the data attribution). Idempotent."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.db import utcnow
from nte.postcodes import normalise_postcode
from nte.spatial import to_db
from nte.venues import repository as repo
from nte.venues.models import Venue
from nte.venues.service import name_key

EXAMPLES_CSV = (
    Path(__file__).resolve().parent.parent / "data" / "venues" / "six-boroughs-pubs-openpubs-fsa-with-wards.csv"
)


def load_examples(session: Session, console: Any = None, *, path: Path = EXAMPLES_CSV) -> int:
    settings = get_settings()
    seen = repo.example_source_ids(session)
    now = utcnow()
    added = 0
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
            session.add(
                Venue(
                    name=row["name"][:200],
                    name_key=name_key(row["name"][:200]),
                    venue_type="pub",
                    address=row["address"][:300],
                    postcode=normalise_postcode(row["postcode"]) or row["postcode"][:10],
                    geom=to_db(Point(lon, lat)),
                    ward_code=row["ward_WD13CD"],
                    borough_code=row["lad_code_spatial"],
                    contact_email="",
                    contact_phone="",
                    champion_name="",
                    champion_role="",
                    status="submitted",
                    is_example=True,
                    example_source_id=source_id,
                    submitted_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
    session.flush()
    if console is not None:
        console.print(
            f"Example venues: {'added ' + str(added) if added else 'already loaded'} "
            "(Open Pubs / FSA FHRS, unverified examples)."
        )
    return added
