"""Submitting an anonymous report (privacy by construction): every field checked at once, the
ward from the exact point, a receipt whose hash alone is stored, near-duplicates flagged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import LONDON
from nte.privacy import scrub
from nte.reports import repository as repo
from nte.reports.exceptions import ReportInvalid
from nte.reports.models import WARD_SUBJECT, Report, ReportCategory
from nte.reports.service.receipts import new_receipt_code, receipt_hash
from nte.reports.vocabulary import AGE_BANDS, CATEGORIES, FACTORS, GENDERS, N_, TIME_BANDS
from nte.spatial import distance_m, to_bng, to_db
from nte.wards import service as ward_service
from nte.wards.exceptions import InvalidCoordinates, LocationOutsideServiceArea, UnknownWard

MAX_DESCRIPTION = 2000
FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST = timedelta(days=2 * 366)
DUPLICATE_METRES = 50.0
DUPLICATE_WINDOW = timedelta(minutes=15)


@dataclass
class ReportInput:
    """What a reporter sends (form or JSON), as text: the service validates every field."""

    lat: Any = None
    lon: Any = None
    ward: str | None = None
    date: Any = None
    time: Any = None
    time_band: str | None = None
    approximate: bool = False
    categories: Sequence[str] = field(default_factory=list)
    factors: Sequence[str] = field(default_factory=list)
    description: str | None = None
    age_band: str | None = None
    gender: str | None = None


@dataclass
class Submitted:
    report: Report
    receipt_code: str
    ward: PlacedWard


@dataclass(frozen=True)
class PlacedWard:
    """The ward a report was placed in."""

    code: str
    name: str
    borough_code: str


# --- validation -------------------------------------------------------------------------------


def _parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    text = str(value).strip()
    parsed = time.fromisoformat(text)
    if parsed.tzinfo is not None:
        raise ValueError("no time zone, please")
    return parsed


def _occurred(data: ReportInput, now: datetime, errors: dict[str, str]) -> tuple[datetime, str, str | None] | None:
    if data.date in (None, ""):
        errors["date"] = N_("Enter the date it happened.")
        return None
    try:
        day = _parse_date(data.date)
    except (TypeError, ValueError):
        errors["date"] = N_("Enter the date as year-month-day, for example 2026-03-14.")
        return None
    band = (data.time_band or "").strip() or None
    has_time = data.time not in (None, "")
    if band is not None and band not in TIME_BANDS:
        errors["time_band"] = N_("Choose one of the time bands offered.")
        return None
    if has_time:
        try:
            clock = _parse_time(data.time)
        except (TypeError, ValueError):
            errors["time"] = N_("Enter the time as hours and minutes, for example 23:30.")
            return None
        local = datetime.combine(day, clock.replace(second=0, microsecond=0), LONDON)
        precision, stored_band = ("approximate" if data.approximate else "exact"), None
    elif band is not None:
        start_hour = TIME_BANDS[band][0]
        local = datetime.combine(day, time(start_hour), LONDON)
        crosses_midnight = int(band.split("-")[1]) < start_hour
        if crosses_midnight and local > now + FUTURE_TOLERANCE >= datetime.combine(day, time(0), LONDON):
            # "Late night" on today's date, reported after midnight and before 22:00: the part of
            # that band that has happened today is the small hours, so it is last night's band.
            local = datetime.combine(day - timedelta(days=1), time(start_hour), LONDON)
        precision = "approximate"
        stored_band = f"{start_hour:02d}:00-{band.split('-')[1]}:00"
    else:
        errors["time"] = N_("Enter the time, or choose a time band if you are not sure.")
        return None
    occurred = local.astimezone(UTC)
    if occurred > now + FUTURE_TOLERANCE:
        errors["time" if has_time else "date"] = N_("The date and time cannot be in the future.")
        return None
    if occurred < now - OLDEST:
        errors["date"] = N_("Reports can be made up to two years after it happened.")
        return None
    return occurred, precision, stored_band


def _choices(
    values: Sequence[str] | str | None, allowed: dict[str, Any], name: str, errors: dict[str, str]
) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        v = str(v).strip()
        if not v:
            continue
        if v not in allowed:
            errors[name] = N_("Choose from the list offered.")
            return []
        if v not in out:
            out.append(v)
    return out


def _locate(
    session: Session, data: ReportInput, settings: Settings, errors: dict[str, str]
) -> tuple[PlacedWard, float | None, float | None] | None:
    has_point = data.lat not in (None, "") or data.lon not in (None, "")
    if has_point:
        try:
            lon, lat = ward_service.validate_point(data.lon, data.lat)
        except InvalidCoordinates as exc:
            errors[exc.field or "location"] = exc.detail
            return None
        # The exact point's ward in its borough's current boundaries, from the same in-memory
        # index every assignment goes through (lowest code on a shared edge).
        try:
            placed = ward_service.locate(session, lon=lon, lat=lat, settings=settings)
        except LocationOutsideServiceArea:
            errors["location"] = N_(
                "This place is outside the area this council covers, so we cannot take the "
                "report here. If you are in danger call 999."
            )
            return None
        return PlacedWard(placed.code, placed.name, placed.borough_code), lon, lat
    code = (data.ward or "").strip()
    if not code:
        errors["location"] = N_("Put a pin on the map, use your location, or choose the ward where it happened.")
        return None
    try:
        ward = ward_service.get_ward(session, code=code[:20], field="ward")
    except UnknownWard:
        errors["ward"] = N_("Choose a ward from the list.")
        return None
    if ward.borough_code not in settings.boroughs:
        errors["ward"] = N_("Choose a ward from the list.")
        return None
    return PlacedWard(ward.code, ward.name, ward.borough_code), None, None


def submit_report(
    session: Session,
    *,
    data: ReportInput,
    settings: Settings,
    now: datetime,
    spend: Callable[[], None] = lambda: None,
) -> Submitted:
    """Validate everything, then store the report with its ward (from the exact point), the
    submission hour and a receipt hash. Nothing is written if any field is wrong. ``spend`` (the
    caller's rate limit) is called once the report is valid, before anything is stored."""
    errors: dict[str, str] = {}
    located = _locate(session, data, settings, errors)
    when = _occurred(data, now, errors)
    categories = _choices(data.categories, CATEGORIES, "categories", errors)
    if not categories and "categories" not in errors:
        errors["categories"] = N_("Choose at least one thing that happened.")
    factors = _choices(data.factors, FACTORS, "factors", errors)
    age_band = (data.age_band or "").strip() or None
    if age_band and age_band not in AGE_BANDS:
        errors["age_band"] = N_("Choose an age band from the list, or leave it empty.")
    gender = (data.gender or "").strip() or None
    if gender and gender not in GENDERS:
        errors["gender"] = N_("Choose from the list, or leave it empty.")
    text = (data.description or "").replace("\x00", "").strip()
    if len(text) > MAX_DESCRIPTION:
        errors["description"] = N_("Please keep the description to 2000 characters or fewer.")
    if errors or located is None or when is None:
        raise ReportInvalid(errors)
    spend()

    ward, lon, lat = located
    occurred_at, precision, band = when
    report = Report(
        source="public",
        status="new",
        occurred_at=occurred_at,
        time_precision=precision,
        time_band=band,
        received_hour=now.astimezone(UTC).replace(minute=0, second=0, microsecond=0),
        location_precision="exact" if lon is not None else "ward",
        ward_code=ward.code,
        borough_code=ward.borough_code,
        main_category=categories[0],
        factors=",".join(factors) or None,
        description=scrub(text) if text else None,
        age_band=age_band,
        gender=gender,
        created_at=now.astimezone(UTC).replace(minute=0, second=0, microsecond=0),
    )
    if lon is not None and lat is not None:
        point = Point(lon, lat)
        report.geom = to_db(point)
        bng = to_bng(point)
        report.easting, report.northing = round(bng.x, 1), round(bng.y, 1)
    duplicate = _near_duplicate(
        session, lon=lon, lat=lat, ward_code=ward.code, occurred_at=occurred_at, categories=categories
    )
    if duplicate is not None:
        report.flagged_near_duplicate = True
        report.duplicate_of_id = duplicate
    code = new_receipt_code()
    report.receipt_hash = receipt_hash(code)
    report.categories = [ReportCategory(category=c) for c in categories]
    repo.add(session, report)
    # Its ward in every vintage, so figures in any boundaries count it.
    if lon is not None and lat is not None:
        ward_service.assign_record(session, subject=WARD_SUBJECT, subject_id=report.id, lon=lon, lat=lat)
    else:
        chosen = ward_service.get_ward(session, code=ward.code, field="ward")
        ward_service.assign_record_in_ward(session, subject=WARD_SUBJECT, subject_id=report.id, ward=chosen)
    return Submitted(report=report, receipt_code=code, ward=ward)


def _near_duplicate(
    session: Session,
    *,
    lon: float | None,
    lat: float | None,
    ward_code: str,
    occurred_at: datetime,
    categories: list[str],
) -> int | None:
    degrees = DUPLICATE_METRES / 111_000
    for cand_id, x, y in repo.near_duplicate(
        session,
        lon=lon,
        lat=lat,
        ward_code=ward_code,
        occurred_at=occurred_at,
        window=DUPLICATE_WINDOW,
        categories=categories,
        degrees=degrees,
    ):
        if lon is None or lat is None or x is None or y is None:
            return cand_id
        if distance_m(lon, lat, float(x), float(y)) <= DUPLICATE_METRES:
            return cand_id
    return None
