"""Anonymous reports: submission (privacy by construction), receipts, moderation, exports and
"you said, we did" ward updates. Never commits; routers/jobs own the transaction."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.config import Settings
from nte.db import ReadSessions
from nte.errors import Invalid
from nte.exports import neutralise
from nte.london import LONDON
from nte.privacy import scrub
from nte.reports import repository as repo
from nte.reports.exceptions import ModerationConflict, ReceiptNotFound, ReportInvalid, ReportNotFound
from nte.reports.models import REPORT_STATUSES, WARD_SUBJECT, Report, ReportCategory, WardUpdate
from nte.reports.vocabulary import AGE_BANDS, CATEGORIES, FACTORS, GENDERS, N_, TIME_BANDS, category_label
from nte.spatial import distance_m, to_bng, to_db
from nte.wards import service as ward_service
from nte.wards.exceptions import InvalidCoordinates, LocationOutsideServiceArea, UnknownWard

MAX_DESCRIPTION = 2000
FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST = timedelta(days=2 * 366)
DUPLICATE_METRES = 50.0
DUPLICATE_WINDOW = timedelta(minutes=15)
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_GROUPS = 4


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


# --- receipts -------------------------------------------------------------------------------------


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(4 * RECEIPT_GROUPS))  # 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_receipt(code: str) -> str:
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(ch for ch in code.upper().translate(table) if ch in RECEIPT_ALPHABET)


def receipt_hash(code: str) -> str:
    return hashlib.sha256(("nte-receipt:" + normalise_receipt(code)).encode()).hexdigest()


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


# --- receipt status ---------------------------------------------------------------------------


@dataclass
class ReceiptStatus:
    status: str
    received_hour: datetime
    ward_code: str
    ward_name: str
    updates: list[WardUpdate]


def status_by_receipt(session: Session, *, code: str) -> ReceiptStatus:
    normal = normalise_receipt(code or "")
    if len(normal) != 4 * RECEIPT_GROUPS:
        raise Invalid(N_("Enter the receipt code you were given, for example 7KQ2-M9XD-4P0R-ZT8C."), field="receipt")
    report = repo.by_receipt_hash(session, receipt_hash(normal))
    if report is None:
        raise ReceiptNotFound()
    # Its ward in today's boundaries (the one an officer posts updates for), and updates posted for
    # any ward it has been in, under any boundaries (a ward redrawn since the report keeps its updates).
    current, codes = ward_service.wards_of_record(session, subject=WARD_SUBJECT, subject_id=report.id)
    ward = current.code if current is not None else report.ward_code
    return ReceiptStatus(
        status=report.status,
        received_hour=report.received_hour,
        ward_code=ward,
        ward_name=current.name if current is not None else report.ward_code,
        updates=repo.ward_updates(session, ward_codes=sorted(codes | {report.ward_code}), limit=10),
    )


# --- officers: moderation -------------------------------------------------------------------

MODERATION_TARGETS = ("accepted", "spam", "duplicate", "new")


@dataclass
class ModerationResult:
    changed: list[int]
    skipped: list[int]  # changed by someone else meanwhile (expected status no longer true)


def moderate(
    session: Session,
    *,
    ids: Sequence[int],
    status: str,
    actor: User,
    now: datetime,
    expected_status: str | None = None,
    duplicate_of: int | None = None,
) -> ModerationResult:
    """Set the status of several reports at once. Rows are locked first, so two officers acting
    on the same report are serialised; with ``expected_status`` a report someone else moved in
    the meantime is skipped (and reported), never silently overwritten."""
    if status not in MODERATION_TARGETS:
        raise Invalid("Choose accepted, spam or duplicate.", field="status")
    ids = sorted({int(i) for i in ids})
    if not ids:
        raise Invalid("Select at least one report.", field="ids")
    if len(ids) > 500:
        raise Invalid("Moderate at most 500 reports at a time.", field="ids")
    if expected_status is not None and expected_status not in REPORT_STATUSES:
        raise Invalid("Unknown status.", field="expected_status")
    reports = repo.lock_for_moderation(session, ids)
    if len(reports) != len(ids):
        raise ReportNotFound()
    if duplicate_of is not None:
        if repo.get(session, duplicate_of) is None or duplicate_of in ids:
            raise Invalid("The original report must be another existing report.", field="duplicate_of")
    changed, skipped = [], []
    for report in reports:
        if (expected_status is not None and report.status != expected_status) or report.status == status:
            skipped.append(report.id)
            continue
        before = report.status
        report.status = status
        report.moderated_at = now
        if status == "duplicate" and duplicate_of is not None:
            report.duplicate_of_id = duplicate_of
        audit.record(
            session,
            actor=actor,
            action=f"report.{status if status != 'new' else 'reopen'}",
            target_type="report",
            target_id=report.id,
            at=now,
            detail={"from": before, "to": status, **({"duplicate_of": duplicate_of} if duplicate_of else {})},
        )
        changed.append(report.id)
    session.flush()
    if expected_status is not None and not changed and skipped:
        raise ModerationConflict(
            "Another officer has already moderated the selected report(s); reload the queue.", field="ids"
        )
    return ModerationResult(changed=changed, skipped=skipped)


def get_report(session: Session, *, report_id: int) -> Report:
    report = repo.get(session, report_id)
    if report is None:
        raise ReportNotFound()
    return report


def report_history(session: Session, *, report_id: int) -> list[Any]:
    return audit.list_events(session, target_type="report", target_id=report_id)


# --- exports ------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "id",
    "status",
    "source",
    "occurred_at",
    "time_precision",
    "time_band",
    "received_hour",
    "location_precision",
    "lat",
    "lon",
    "easting",
    "northing",
    "ward_code",
    "borough_code",
    "main_category",
    "categories",
    "factors",
    "description",
    "age_band",
    "gender",
    "flagged_near_duplicate",
    "duplicate_of_id",
    "external_id",
)


def csv_safe(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a cell that a spreadsheet would evaluate
    gets a leading apostrophe. Numbers are written as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) and math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    text = str(value)
    return neutralise(text)


def _export_row(report: Report, x: float | None, y: float | None) -> dict[str, Any]:
    return {
        "id": report.id,
        "status": report.status,
        "source": report.source,
        "occurred_at": report.occurred_at,
        "time_precision": report.time_precision,
        "time_band": report.time_band,
        "received_hour": report.received_hour,
        "location_precision": report.location_precision,
        "lat": round(float(y), 6) if y is not None else None,
        "lon": round(float(x), 6) if x is not None else None,
        "easting": report.easting,
        "northing": report.northing,
        "ward_code": report.ward_code,
        "borough_code": report.borough_code,
        "main_category": report.main_category,
        "categories": ";".join(sorted(c.category for c in report.categories)),
        "factors": report.factors,
        "description": report.description,
        "age_band": report.age_band,
        "gender": report.gender,
        "flagged_near_duplicate": report.flagged_near_duplicate,
        "duplicate_of_id": report.duplicate_of_id,
        "external_id": report.external_id,
    }


def export_csv(sessions: ReadSessions, *, filters: repo.ReportFilters) -> Iterator[str]:
    """The filtered reports as CSV, produced while it is sent: each chunk is read in a short
    read-only session of its own (``sessions``), never in the request's, which has ended by then."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for report, x, y in repo.iter_reports(sessions, filters):
        row = _export_row(report, x, y)
        writer.writerow([csv_safe(row[c]) for c in EXPORT_COLUMNS])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_geojson(sessions: ReadSessions, *, filters: repo.ReportFilters) -> Iterator[str]:
    """The filtered reports as GeoJSON, streamed like ``export_csv``."""
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    for report, x, y in repo.iter_reports(sessions, filters):
        props = _export_row(report, x, y)
        props = {k: (v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v) for k, v in props.items()}
        geometry = {"type": "Point", "coordinates": [props["lon"], props["lat"]]} if x is not None else None
        feature = {"type": "Feature", "id": report.id, "geometry": geometry, "properties": props}
        yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
        first = False
    yield "]}"


def map_points(session: Session, *, filters: repo.ReportFilters, limit: int = 5000) -> dict[str, Any]:
    """Exact points for the officers' map (never public)."""
    features = [
        {
            "type": "Feature",
            "id": rid,
            "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
            "properties": {
                "id": rid,
                "status": status,
                "source": source,
                "source_label": SOURCE_LABELS.get(source, source),
                "category": category_label(cat),
                "occurred_at": occurred.astimezone(UTC).isoformat(),
            },
        }
        for rid, status, source, cat, occurred, x, y in repo.points(session, filters, limit=limit)
    ]
    return {"type": "FeatureCollection", "features": features}


#: Whose record each point is, on the officers' map: the two sources the maps keep apart.
SOURCE_LABELS = {
    "public": "public report",
    "import": "public report (partner form)",
    "police": "police-recorded crime (police.uk)",
}


# --- "you said, we did" -------------------------------------------------------------------------


def post_ward_update(
    session: Session, *, ward_code: str, title: str, body: str, actor: User, now: datetime
) -> WardUpdate:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors["title"] = N_("Give the update a short title.")
    elif len(title) > 120:
        errors["title"] = N_("Keep the title to 120 characters or fewer.")
    if not body:
        errors["body"] = N_("Say what the council has done.")
    elif len(body) > 4000:
        errors["body"] = N_("Keep the update to 4000 characters or fewer.")
    try:
        ward = ward_service.get_ward(session, code=(ward_code or "").strip()[:20], field="ward")
    except UnknownWard:
        errors["ward"] = N_("Choose a ward from the list.")
        ward = None
    if errors or ward is None:
        raise ReportInvalid(errors)
    update = repo.add_ward_update(
        session, WardUpdate(ward_code=ward.code, title=title, body=body, posted_at=now, author_user_id=actor.id)
    )
    audit.record(
        session,
        actor=actor,
        action="report.ward_update",
        target_type="report_ward_update",
        target_id=update.id,
        at=now,
        detail={"ward": ward.code, "title": title},
    )
    return update


def delete_ward_update(session: Session, *, update_id: int, actor: User, now: datetime) -> None:
    update = repo.get_ward_update(session, update_id)
    if update is None:
        raise ReportNotFound()
    audit.record(
        session,
        actor=actor,
        action="report.ward_update_delete",
        target_type="report_ward_update",
        target_id=update.id,
        at=now,
        detail={"ward": update.ward_code, "title": update.title},
    )
    repo.delete_ward_update(session, update)


def list_ward_updates(session: Session, *, ward_code: str | None = None, limit: int = 50) -> list[WardUpdate]:
    return repo.ward_updates(session, ward_code=ward_code, limit=limit)


# --- retention ----------------------------------------------------------------------------------


def purge_free_text(session: Session, *, now: datetime, retention_days: int) -> int:
    """Delete free text older than the retention period; the structured fields stay."""
    return repo.purge_descriptions(session, before=now - timedelta(days=retention_days), now=now)
