"""Demo data: a postcode point for every postcode in the shipped open data (the Open Pubs / FSA
venues and the NHS pharmacies), one point per postcode (the mean of its rows), approximate, source
"demo-derived". Real points loaded later (``places import-postcodes``) replace them. Idempotent."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nte.db import utcnow
from nte.places import service

DATA = Path(__file__).resolve().parent.parent / "data"
#: Files with ``postcode``, ``latitude`` and ``longitude`` columns.
DEMO_FILES = (
    DATA / "venues" / "six-boroughs-pubs-openpubs-fsa-with-wards.csv",
    DATA / "safe-spaces" / "pharmacies-nhs-six-boroughs.csv",
)


def demo_points(paths: tuple[Path, ...] = DEMO_FILES) -> Iterator[tuple[str, float, float]]:
    for path in paths:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    lon, lat = float(row["longitude"]), float(row["latitude"])
                except (TypeError, ValueError, KeyError):
                    continue  # e.g. Open Pubs' "\N" for a premises with no geocode
                yield row.get("postcode") or "", lon, lat


def load_postcodes(session: Session, console: Any = None, *, paths: tuple[Path, ...] = DEMO_FILES) -> int:
    inserted, updated = service.fill_from_points(session, points=demo_points(paths), now=utcnow())
    if console is not None:
        console.print(
            f"Postcode points: {'added ' + str(inserted) if inserted else 'already loaded'}"
            f"{f', {updated} refreshed' if inserted and updated else ''} "
            "(approximate, derived from the Open Pubs / FSA and NHS example data)."
        )
    return inserted
