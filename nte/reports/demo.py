"""Demo data (``main.py demo`` only, both idempotent):

* ``load_police_records``: the real police.uk "Violence and sexual offences" and "Public order" records
  shipped in ``nte/data/crime/``, imported for the served boroughs as imported police data.
* ``load_demo_public_reports``: a few hundred **invented** public reports (seeded, so the same each run)
  over the last complete months, at night and in busy night-time-economy wards, so the public map's
  default view (public reports) shows figures: some wards above the threshold, others suppressed."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from shapely.geometry import Point, shape
from sqlalchemy.orm import Session

from nte.auth import repository as auth_repo
from nte.config import get_settings
from nte.db import utcnow
from nte.london import LONDON
from nte.maps.filters import add_months
from nte.reports import repository as repo
from nte.reports import service
from nte.reports.importer import import_file
from nte.reports.service import ReportInput
from nte.spatial.coords import round_coord

CRIME_DIR = Path(__file__).resolve().parent.parent / "data" / "crime"


def load_police_records(session: Session, console: Console) -> None:
    inserted = present = rejected = 0
    for path in sorted(CRIME_DIR.glob("*.csv.gz")):
        summary, _ = import_file(session, path=path, settings=get_settings(), now=utcnow(), actor_label="demo")
        inserted += summary.inserted
        present += summary.already_present
        rejected += summary.rejected_total
    console.print(
        f"Police.uk records (violence and sexual offences, public order; OGL v3.0): {inserted} imported, "
        f"{present} already present, {rejected} outside the served area or without coordinates."
    )


# --- invented public reports -----------------------------------------------------------------------

WARDS_2022 = Path(__file__).resolve().parent.parent / "data" / "wards-2022" / "six-boroughs-wards-may2022.geojson"
DEMO_OFFICER_EMAIL = "officer@demo.nte-safe.invalid"
#: Marks the invented reports (``report.external_id``, the marker imports use): a second run skips them.
DEMO_ID_PREFIX = "demo-public:"
DEMO_DESCRIPTION = "Demo report (invented)."
DEMO_SEED = 18
DEMO_MONTHS = 13  # complete calendar months (London) before the demo runs
#: Busy night-time-economy wards (May 2022 codes) -> (reports a month on average, at least this many a month).
#: The first three pass the public threshold in most months (West End every month); the rest stay suppressed.
DEMO_WARDS: dict[str, tuple[int, int]] = {
    "E05013808": (14, 12),  # West End, Westminster (Soho, Covent Garden)
    "E05009377": (12, 0),  # Hoxton East & Shoreditch, Hackney
    "E05013806": (9, 0),  # St James's, Westminster (Piccadilly, Leicester Square edge)
    "E05009370": (3, 0),  # Dalston, Hackney
    "E05009292": (3, 0),  # Bishopsgate, City of London
    "E05009378": (2, 0),  # Hoxton West, Hackney
    "E05014016": (2, 0),  # Northcote, Wandsworth (Clapham Junction)
    "E05014009": (2, 0),  # Balham, Wandsworth
    "E05013741": (2, 0),  # Hammersmith Broadway, Hammersmith and Fulham
    "E05013739": (2, 0),  # Fulham Town, Hammersmith and Fulham
    "E05009395": (1, 0),  # Earl's Court, Kensington and Chelsea
    "E05009391": (1, 0),  # Chelsea Riverside, Kensington and Chelsea
}
#: Busier in December and the summer, quieter after the new year.
DEMO_SEASON = {1: 0.8, 2: 0.8, 3: 0.9, 4: 1.0, 5: 1.0, 6: 1.1, 7: 1.2, 8: 1.1, 9: 1.0, 10: 1.0, 11: 1.1, 12: 1.3}
DEMO_CATEGORIES = (
    ("verbal_harassment", 34),
    ("followed", 14),
    ("intimidating_group", 12),
    ("sexual_touching", 12),
    ("spiking", 9),
    ("indecent_exposure", 5),
    ("upskirting", 4),
    ("cyberflashing", 4),
    ("other", 6),
)
DEMO_FACTORS = ("poor_lighting", "no_cctv", "isolated", "blind_spots", "drug_alcohol")
#: London hours, weighted to the night-time economy (20:00 to 04:00 is most of it).
DEMO_HOUR_WEIGHTS = (8, 6, 5, 3, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 6, 8, 10, 11)  # 00:00 .. 23:00
DEMO_AGE_BANDS = ("18_24", "25_34", "35_44", "45_54", None)
DEMO_GENDERS = ("woman", "woman", "woman", "non_binary", None)


def _demo_polygons() -> dict[str, Any]:
    """The demo wards' May 2022 polygons, shrunk by about 40 m so no point falls on a shared edge."""
    features = json.loads(WARDS_2022.read_text(encoding="utf-8"))["features"]
    return {
        f["properties"]["WD22CD"]: shape(f["geometry"]).buffer(-0.0004)
        for f in features
        if f["properties"]["WD22CD"] in DEMO_WARDS
    }


def _point_in(polygon: Any, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = polygon.bounds
    while True:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(Point(lon, lat)):
            return round_coord(lon), round_coord(lat)


def demo_public_reports(now: datetime) -> list[tuple[str, ReportInput, datetime]]:
    """The invented reports (deterministic for a given month of ``now``): (marker, what the reporter
    sends, when it was sent), over the ``DEMO_MONTHS`` complete London months before ``now``."""
    rng = random.Random(DEMO_SEED)
    polygons = _demo_polygons()
    this_month = now.astimezone(LONDON).date().replace(day=1)
    hours, hour_weights = list(range(24)), list(DEMO_HOUR_WEIGHTS)
    slugs, slug_weights = [c for c, _ in DEMO_CATEGORIES], [w for _, w in DEMO_CATEGORIES]
    out: list[tuple[str, ReportInput, datetime]] = []
    for back in range(DEMO_MONTHS, 0, -1):
        first = add_months(this_month, -back)
        days = (add_months(first, 1) - first).days
        for code, (mean, floor) in DEMO_WARDS.items():
            count = max(floor, round(mean * DEMO_SEASON[first.month]) + rng.randint(-2, 2), 0)
            for _ in range(count):
                day = first + timedelta(days=rng.randrange(days))
                hour = rng.choices(hours, hour_weights)[0]
                local = datetime.combine(day, time(hour, rng.randrange(60)), LONDON)
                lon, lat = _point_in(polygons[code], rng)
                categories = [rng.choices(slugs, slug_weights)[0]]
                if rng.random() < 0.25:
                    categories.append(rng.choices(slugs, slug_weights)[0])
                factors = rng.sample(DEMO_FACTORS, rng.choice((0, 0, 1, 2)))
                sent = local.astimezone(UTC) + timedelta(minutes=rng.randrange(20, 60 * 48))
                data = ReportInput(
                    lat=lat,
                    lon=lon,
                    date=local.date().isoformat(),
                    time=local.strftime("%H:%M"),
                    approximate=rng.random() < 0.3,
                    categories=categories,
                    factors=factors,
                    description=DEMO_DESCRIPTION,
                    age_band=rng.choice(DEMO_AGE_BANDS),
                    gender=rng.choice(DEMO_GENDERS),
                )
                out.append((f"{DEMO_ID_PREFIX}{len(out) + 1:04d}", data, min(sent, now)))
    return out


def load_demo_public_reports(session: Session, console: Console) -> None:
    """Invented public reports for the demo's public map (``main.py demo`` only): submitted through the
    public intake (ward in every vintage, scrubbing, duplicate flags) and accepted by the demo officer,
    except a third of the newest month's, left in the moderation queue. Idempotent by marker."""
    officer = auth_repo.get_user_by_email(session, DEMO_OFFICER_EMAIL)
    if officer is None:
        console.print("Public reports: no demo officer account to moderate them; skipped.")
        return
    now = utcnow()
    settings = get_settings()
    planned = demo_public_reports(now)
    present = repo.existing_external_ids(session, [marker for marker, _data, _sent in planned])
    newest = add_months(now.astimezone(LONDON).date().replace(day=1), -1)
    accept: list[int] = []
    added = 0
    for i, (marker, data, sent) in enumerate(planned):
        if marker in present:
            continue
        report = service.submit_report(session, data=data, settings=settings, now=sent).report
        report.external_id = marker
        added += 1
        if not (date.fromisoformat(str(data.date)) >= newest and i % 3 == 0):
            accept.append(report.id)
    for start in range(0, len(accept), 500):
        service.moderate(session, ids=accept[start : start + 500], status="accepted", actor=officer, now=now)
    console.print(
        f"Public reports: {added} invented demo reports added ({len(planned) - added} already present; "
        f"{len(accept)} accepted by the demo officer), night-time, in {len(DEMO_WARDS)} busy wards."
    )
