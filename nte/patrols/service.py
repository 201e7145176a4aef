"""Patrol rules: volunteers and eligibility, patrol areas, series and shifts, safe sign-up with a
waitlist, running a shift (check-in, no-shows, home safe), the calendar feed, debriefs and the
monthly report. Never commits; the caller owns the transaction.

Capacity under concurrency: every change to who holds a place on a shift first locks the shift row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction is ``BEGIN IMMEDIATE``
so writers are serialised), then counts and writes.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.auth import service as auth_service
from nte.auth.models import User
from nte.auth.security import new_token, token_hash
from nte.config import Settings
from nte.errors import Conflict, Forbidden, Invalid, NTEError
from nte.exports import neutralise
from nte.london import LONDON
from nte.notifications import service as outbox
from nte.patrols import ical
from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.exceptions import (
    ActionNotAllowedNow,
    CancellationDeadlinePassed,
    InvalidDebrief,
    InvalidPatrolArea,
    InvalidSeriesInput,
    NobodyPatrolsAlone,
    NotAVolunteer,
    NotTeamLead,
    PatrolNotFound,
    ShiftStoodDown,
    SignupRefused,
)
from nte.patrols.models import (
    GENDERS,
    RECORD_KINDS,
    SUPPORT_KINDS,
    VOLUNTEER_STATUSES,
    Debrief,
    DebriefCount,
    DebriefIncident,
    PatrolArea,
    SeriesNight,
    SeriesRule,
    Shift,
    ShiftSeries,
    Signup,
    Volunteer,
    VolunteerRecord,
)
from nte.patrols.recurrence import (
    InvalidSeries,
    NightChange,
    Occurrence,
    ShiftSeriesSpec,
    describe,
    materialise,
    occurrence_on,
    occurs_on,
    plain_words,
    rule_until,
    with_until,
)
from nte.patrols.vocabulary import (
    AGE_BANDS,
    EMERGENCY_HANDOVERS,
    HANDOVERS,
    MAX_PEOPLE_PER_DEBRIEF,
)
from nte.privacy import personal_data_in
from nte.spatial import area_km2, from_db, to_bng, to_db
from nte.spatial.geometry import GeoJSONError, load_geojson, nested_too_deeply, shape_from_geojson, too_deep
from nte.wards.service import service_area, validate_point, wards_touching
from nte.wards.service import vintages as ward_vintages

RECORD_LABELS = {"dbs": "DBS check", "induction": "Induction", "first_aid": "First aid", "wave": "WAVE training"}
STATUS_LABELS = {"applicant": "Applicant", "active": "Active", "paused": "Paused", "left": "Left"}
SUPPORT_LABELS = {
    "welfare": "Welfare / intoxication",
    "escorted": "Escorted to transport or a safe space",
    "first_aid": "First aid",
    "handed_over": "Handed to ambulance or police",
    "phone_charged": "Phone charged",
    "water_flipflops": "Water or flip-flops given",
    "other": "Other support",
}
GENDER_LABELS = {"woman": "Women", "man": "Men", "other": "Other", "not_recorded": "Not recorded"}
STAFFING_LABELS = {
    "ok": "OK",
    "at_risk": "At risk",
    "cannot_run": "Cannot run",
    "cancelled": "Cancelled",
    "stood_down": "Stood down",
}
#: A shift runs with at least this many confirmed volunteers: nobody patrols alone.
TEAM_MINIMUM = 2


def local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def fmt_local(moment: datetime) -> str:
    return f"{local(moment):%a %d %b %Y %H:%M}"


def fmt_when(moment: datetime) -> str:
    """London time in words for a reason: "21:30 on Fri 4 Dec"."""
    at = local(moment)
    return f"{at:%H:%M} on {at:%a} {at.day} {at:%b}"


# --- volunteers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordState:
    kind: str
    label: str
    required: bool
    record: VolunteerRecord | None
    state: str  # "valid", "expiring" (within 30 days), "expired", "missing"


def volunteer_for_user(session: Session, user: User) -> Volunteer:
    volunteer = repo.volunteer_for_user(session, user.id)
    if volunteer is None:
        raise NotAVolunteer()
    return volunteer


def volunteer_user(session: Session, volunteer: Volunteer) -> User:
    user = auth_repo.get_user(session, volunteer.user_id)
    assert user is not None  # user_account rows cascade to the profile
    return user


def get_volunteer(session: Session, volunteer_id: int, *, field: str = "volunteer_id") -> Volunteer:
    volunteer = repo.get_volunteer(session, volunteer_id)
    if volunteer is None:
        raise PatrolNotFound("volunteer", field=field)
    return volunteer


def _clean(value: str | None, *, limit: int, field: str, label: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"{label} must be at most {limit} characters.", field=field)
    return value or None


def _status(value: str, field: str = "status") -> str:
    if value not in VOLUNTEER_STATUSES:
        raise Invalid(f"Choose a status: {', '.join(VOLUNTEER_STATUSES)}.", field=field)
    return value


def create_volunteer(
    session: Session,
    *,
    actor: User,
    user_id: int,
    phone: str | None = None,
    emergency_contact: str | None = None,
    status: str = "applicant",
    is_team_lead: bool = False,
    now: datetime,
) -> Volunteer:
    user = auth_repo.get_user(session, user_id)
    if user is None or user.role != "volunteer":
        raise Invalid("Choose an account with the volunteer role.", field="user_id")
    if repo.volunteer_for_user(session, user_id) is not None:
        raise Conflict("This account already has a volunteer profile.", field="user_id", code="volunteer_exists")
    volunteer = Volunteer(
        user_id=user_id,
        phone=_clean(phone, limit=40, field="phone", label="The phone number"),
        emergency_contact=_clean(
            emergency_contact, limit=200, field="emergency_contact", label="The emergency contact"
        ),
        status=_status(status),
        is_team_lead=bool(is_team_lead),
        created_at=now,
        updated_at=now,
    )
    session.add(volunteer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.volunteer.create",
        target_type="patrol_volunteer",
        target_id=volunteer.id,
        detail={"status": status, "team_lead": bool(is_team_lead)},
        at=now,
    )
    return volunteer


def update_volunteer(
    session: Session,
    *,
    actor: User,
    volunteer_id: int,
    phone: str | None = None,
    emergency_contact: str | None = None,
    status: str | None = None,
    is_team_lead: bool | None = None,
    now: datetime,
) -> Volunteer:
    volunteer = get_volunteer(session, volunteer_id)
    new_phone = _clean(phone, limit=40, field="phone", label="The phone number") if phone is not None else None
    new_contact = (
        _clean(emergency_contact, limit=200, field="emergency_contact", label="The emergency contact")
        if emergency_contact is not None
        else None
    )
    new_status = _status(status) if status is not None else None
    changes: dict[str, Any] = {}
    if phone is not None:
        volunteer.phone = new_phone
    if emergency_contact is not None:
        volunteer.emergency_contact = new_contact
    if new_status is not None and new_status != volunteer.status:
        changes["status"] = [volunteer.status, new_status]
        volunteer.status = new_status
    if is_team_lead is not None and bool(is_team_lead) != volunteer.is_team_lead:
        changes["team_lead"] = bool(is_team_lead)
        volunteer.is_team_lead = bool(is_team_lead)
    volunteer.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="patrols.volunteer.update",
        target_type="patrol_volunteer",
        target_id=volunteer.id,
        detail=changes,
        at=now,
    )
    return volunteer


def add_record(
    session: Session,
    *,
    actor: User,
    volunteer_id: int,
    kind: str,
    completed_date: date | None,
    expires_date: date | None,
    reference: str | None = None,
    now: datetime,
) -> VolunteerRecord:
    volunteer = get_volunteer(session, volunteer_id)
    if kind not in RECORD_KINDS:
        raise Invalid(f"Choose a record type: {', '.join(RECORD_LABELS.values())}.", field="kind")
    if completed_date is None:
        raise Invalid("Enter the date the check or training was completed.", field="completed_date")
    if completed_date > local(now).date():
        raise Invalid("The completion date cannot be in the future.", field="completed_date")
    if expires_date is not None and expires_date <= completed_date:
        raise Invalid("The expiry date must be after the completion date.", field="expires_date")
    record = VolunteerRecord(
        volunteer_id=volunteer.id,
        kind=kind,
        completed_date=completed_date,
        expires_date=expires_date,
        reference=_clean(reference, limit=80, field="reference", label="The reference"),
        created_at=now,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.record.add",
        target_type="patrol_volunteer",
        target_id=volunteer.id,
        detail={"kind": kind, "expires": str(expires_date or "")},
        at=now,
    )
    return record


def _best_records(records: Iterable[VolunteerRecord]) -> dict[tuple[int, str], VolunteerRecord]:
    """Per (volunteer, kind) the record that lasts longest (no expiry beats any date)."""
    best: dict[tuple[int, str], VolunteerRecord] = {}
    for record in records:
        key = (record.volunteer_id, record.kind)
        current = best.get(key)
        if current is None or _lasts(record) > _lasts(current):
            best[key] = record
    return best


def _lasts(record: VolunteerRecord) -> date:
    return record.expires_date or date.max


def record_states(
    session: Session, volunteer: Volunteer, *, today: date, settings: PatrolSettings | None = None
) -> list[RecordState]:
    settings = settings or get_patrol_settings()
    best = _best_records(repo.records_for(session, [volunteer.id]))
    states = []
    for kind in RECORD_KINDS:
        record = best.get((volunteer.id, kind))
        if record is None:
            state = "missing"
        elif record.expires_date is not None and record.expires_date < today:
            state = "expired"
        elif record.expires_date is not None and record.expires_date <= today + timedelta(days=30):
            state = "expiring"
        else:
            state = "valid"
        states.append(RecordState(kind, RECORD_LABELS[kind], kind in settings.required_records, record, state))
    return states


def eligibility_problem(
    session: Session, volunteer: Volunteer, *, on: date, settings: PatrolSettings | None = None
) -> tuple[str, str] | None:
    """The first reason this volunteer may not patrol on local date ``on`` (code, sentence), or None."""
    best = _best_records(repo.records_for(session, [volunteer.id]))
    expiry = {kind: _lasts(record) for (_, kind), record in best.items()}
    return _eligibility(volunteer.status, expiry, on=on, settings=settings or get_patrol_settings())


def _eligibility(
    status: str, record_expiry: Mapping[str, date], *, on: date, settings: PatrolSettings
) -> tuple[str, str] | None:
    """``record_expiry``: per record kind held, the latest expiry (``date.max`` when it never expires)."""
    if status != "active":
        return (
            "not_active",
            f"Your volunteer status is {STATUS_LABELS[status].lower()}: only active "
            "volunteers can sign up. Please talk to your coordinator.",
        )
    for kind in settings.required_records:
        if kind not in record_expiry:
            return (
                "record_missing",
                f"We have no {RECORD_LABELS[kind]} on record for you; it is required to "
                "patrol. Please talk to your coordinator.",
            )
    for kind in settings.required_records:
        if record_expiry[kind] < on:
            return (
                "record_expired",
                f"Your {RECORD_LABELS[kind]} expired on {record_expiry[kind]:%d %B %Y}; "
                "it must be valid on the night. Please renew it with your coordinator.",
            )
    return None


def list_volunteers(session: Session, *, today: date, settings: PatrolSettings | None = None) -> list[dict[str, Any]]:
    rows = repo.list_volunteers(session)
    settings = settings or get_patrol_settings()
    best = _best_records(repo.records_for(session, [v.id for v, _ in rows]))
    out = []
    for volunteer, user in rows:
        problems = []
        for kind in settings.required_records:
            record = best.get((volunteer.id, kind))
            if record is None:
                problems.append(f"{RECORD_LABELS[kind]} missing")
            elif record.expires_date is not None and record.expires_date < today:
                problems.append(f"{RECORD_LABELS[kind]} expired")
            elif record.expires_date is not None and record.expires_date <= today + timedelta(days=30):
                problems.append(f"{RECORD_LABELS[kind]} expires {record.expires_date:%d %b %Y}")
        out.append({"volunteer": volunteer, "user": user, "problems": problems})
    return out


# --- patrol areas ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatrolAreaInfo:
    """A patrol area for other domains (maps): the polygon is Shapely, WGS84."""

    id: int
    name: str
    description: str | None
    area_km2: float
    geometry: BaseGeometry


@dataclass(frozen=True)
class SeriesHours:
    """When a series patrols its area: local times and the (weekday, hour) cells it covers."""

    series_id: int
    name: str
    description: str
    start_time: time
    end_time: time
    tz: str
    #: (local weekday Monday=0, local hour) covered by at least one night in the next window.
    hours_of_week: frozenset[tuple[int, int]]
    nights_in_window: int


def list_patrol_areas(session: Session) -> list[PatrolAreaInfo]:
    """Every patrol area with its polygon (Shapely, WGS84). Used by the maps domain."""
    return [
        PatrolAreaInfo(a.id, a.name, a.description, a.area_km2, _area_geometry(a)) for a in repo.list_areas(session)
    ]


def _area_geometry(area: PatrolArea) -> BaseGeometry:
    geom = from_db(area.geom)
    assert geom is not None
    return geom


def series_hours(session: Session, area_id: int, *, now: datetime | None = None) -> list[SeriesHours]:
    """The active series patrolling ``area_id`` and the hours of the week they cover (next 8 weeks)."""
    now = now or datetime.now(UTC)
    out = []
    for series in repo.list_series(session, active_only=True, area_id=area_id):
        spec = spec_for(session, series)
        cells: set[tuple[int, int]] = set()
        nights = 0
        for occ in materialise(spec, window_start=now, window_end=now + timedelta(weeks=8)):
            if occ.cancelled:
                continue
            nights += 1
            hour = local(occ.start_at).replace(minute=0, second=0, microsecond=0)
            while hour < local(occ.end_at):
                cells.add((hour.weekday(), hour.hour))
                hour = local(hour.astimezone(UTC) + timedelta(hours=1))
        out.append(
            SeriesHours(
                series.id,
                series.name,
                describe(spec),
                series.start_time,
                series.end_time,
                series.tz,
                frozenset(cells),
                nights,
            )
        )
    return out


def parse_area_geometry(data: Any, *, field: str = "geometry") -> Polygon:
    """A GeoJSON Polygon (bare, in a Feature, or a one-feature FeatureCollection) as Shapely.
    Text is decoded here; GeoJSON nested too deeply and rings that are not closed are refused
    (``nte.spatial.geometry`` checks both), naming ``field``."""
    try:
        if isinstance(data, (str, bytes)):
            data = load_geojson(data)
        elif too_deep(data):
            raise GeoJSONError(nested_too_deeply("The GeoJSON"))
    except GeoJSONError as exc:
        raise InvalidPatrolArea(str(exc), field=field) from None
    if not isinstance(data, dict):
        raise InvalidPatrolArea("The area must be a GeoJSON Polygon.", field=field)
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise InvalidPatrolArea("Upload a FeatureCollection with exactly one polygon feature.", field=field)
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidPatrolArea("The area must be a polygon (GeoJSON type Polygon).", field=field)
    try:
        geom = shape_from_geojson(data)
    except GeoJSONError as exc:
        raise InvalidPatrolArea(str(exc), field=field) from None
    if isinstance(geom, MultiPolygon):
        if len(geom.geoms) != 1:
            raise InvalidPatrolArea("A patrol area must be one connected polygon.", field=field)
        geom = geom.geoms[0]
    if not isinstance(geom, Polygon) or geom.is_empty:
        raise InvalidPatrolArea("The area must be a polygon with at least three corners.", field=field)
    if geom.has_z:
        geom = shapely.force_2d(geom)
    return geom


def validate_area(
    session: Session,
    geom: Polygon,
    *,
    settings: Settings,
    patrol: PatrolSettings | None = None,
    field: str = "geometry",
) -> Polygon:
    patrol = patrol or get_patrol_settings()
    coords = list(geom.exterior.coords) + [c for ring in geom.interiors for c in ring.coords]
    if len(coords) > patrol.max_area_vertices:
        raise InvalidPatrolArea(
            f"The polygon has {len(coords)} corners; at most {patrol.max_area_vertices} are allowed. Simplify it.",
            field=field,
        )
    for lon, lat in (c[:2] for c in coords):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidPatrolArea("Coordinates must be longitude, latitude in degrees (WGS84).", field=field)
    if not geom.is_valid:
        raise InvalidPatrolArea(
            f"The polygon is not valid ({explain_validity(geom)}); its edges must not cross.", field=field
        )
    bng = to_bng(geom)
    if bng.area < patrol.min_area_m2:
        raise InvalidPatrolArea(
            f"The area is too small ({bng.area:.0f} m²); draw at least {patrol.min_area_m2:.0f} m².", field=field
        )
    if bng.area > patrol.max_area_km2 * 1_000_000:
        raise InvalidPatrolArea(
            f"The area is too large ({bng.area / 1e6:.1f} km²); a patrol area may be at most "
            f"{patrol.max_area_km2:g} km².",
            field=field,
        )
    served = service_area(session, settings=settings)
    outside = to_bng(geom.difference(served)).area if not served.covers(geom) else 0.0
    if outside > 1.0:
        raise InvalidPatrolArea(
            f"Part of the area (about {outside:,.0f} m²) lies outside the boroughs this council covers: "
            "move the corners inside the blue line on the map.",
            field=field,
        )
    return orient(geom, sign=1.0)


def area_problems(
    session: Session, *, name: str, description: str | None, geometry: Any, settings: Settings, field: str = "geometry"
) -> dict[str, str]:
    """Every problem with a new area's fields at once (name, description, shape), keyed by field;
    empty when :func:`create_area` can save it. ``geometry`` None means it is missing (reported by
    the caller)."""
    problems: dict[str, str] = {}
    clean_name = (name or "").strip()
    if not clean_name:
        problems["name"] = "Enter a name for the area."
    elif len(clean_name) > 120:
        problems["name"] = "The name must be at most 120 characters."
    elif repo.area_by_name(session, clean_name) is not None:
        problems["name"] = "There is already a patrol area with this name: choose another name."
    try:
        _clean(description, limit=500, field="description", label="The description")
    except NTEError as exc:
        problems["description"] = exc.detail
    if geometry is not None:
        try:
            validate_area(session, parse_area_geometry(geometry, field=field), settings=settings, field=field)
        except NTEError as exc:
            problems[exc.field or field] = exc.detail
    return problems


def create_area(
    session: Session,
    *,
    actor: User,
    name: str,
    geometry: Any,
    description: str | None = None,
    settings: Settings,
    now: datetime,
) -> PatrolArea:
    clean_name = (name or "").strip()
    if not clean_name:
        raise Invalid("Enter a name for the area.", field="name")
    if len(clean_name) > 120:
        raise Invalid("The name must be at most 120 characters.", field="name")
    clean_description = _clean(description, limit=500, field="description", label="The description")
    geom = validate_area(session, parse_area_geometry(geometry), settings=settings)
    if repo.area_by_name(session, clean_name) is not None:
        raise Conflict("There is already a patrol area with this name.", field="name", code="area_exists")
    area = PatrolArea(
        name=clean_name,
        description=clean_description,
        area_km2=area_km2(geom),
        geom=to_db(geom),
        created_at=now,
        updated_at=now,
    )
    session.add(area)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.area.create",
        target_type="patrol_area",
        target_id=area.id,
        detail={"name": clean_name, "km2": round(area.area_km2, 4)},
        at=now,
    )
    return area


def get_area(session: Session, area_id: int, *, field: str = "area_id") -> PatrolArea:
    area = repo.get_area(session, area_id)
    if area is None:
        raise PatrolNotFound("patrol area", field=field)
    return area


def area_feature(area: PatrolArea, *, series: Iterable[ShiftSeries] = ()) -> dict[str, Any]:
    geom = _area_geometry(area)
    return {
        "type": "Feature",
        "id": area.id,
        "properties": {
            "id": area.id,
            "name": area.name,
            "description": area.description or "",
            "area_km2": round(area.area_km2, 4),
            "series": [{"id": s.id, "name": s.name} for s in series],
        },
        "geometry": _round_coords(mapping(geom)),
    }


def area_wards(session: Session, area: PatrolArea) -> dict[str, list[dict[str, str]]]:
    """The wards an area overlaps, in every ward vintage (vintage key -> [{code, name}])."""
    geom = _area_geometry(area)
    return {
        ward_set.vintage: [{"code": w.code, "name": w.name} for w in wards_touching(session, geom, ward_set=ward_set)]
        for ward_set in ward_vintages(session)
    }


def areas_geojson(session: Session) -> dict[str, Any]:
    by_area: dict[int, list[ShiftSeries]] = defaultdict(list)
    for series in repo.list_series(session, active_only=True):
        by_area[series.area_id].append(series)
    features = []
    for a in repo.list_areas(session):
        feature = area_feature(a, series=by_area[a.id])
        feature["properties"]["wards"] = area_wards(session, a)
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, (list, tuple)):
        return [_round_coords(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _round_coords(v) for k, v in obj.items()}
    return obj


# --- series and shifts ----------------------------------------------------------------------------


def _night_entries(
    nights: Iterable[SeriesNight], *, first: date | None = None, before: date | None = None
) -> tuple[frozenset[date], dict[date, NightChange]]:
    """The exceptions and per-night changes among ``nights`` (keyed by the generated local date),
    limited to ``first <= date < before`` when given: each rule of a series sees only its own nights."""
    chosen = [
        n
        for n in nights
        if (first is None or n.occurrence_date >= first) and (before is None or n.occurrence_date < before)
    ]
    return (
        frozenset(n.occurrence_date for n in chosen if n.cancelled),
        {
            n.occurrence_date: NightChange(start_time=n.start_time, end_time=n.end_time, moved_to=n.moved_to)
            for n in chosen
            if n.start_time is not None or n.end_time is not None or n.moved_to is not None
        },
    )


def spec_for(session: Session, series: ShiftSeries, nights: Iterable[SeriesNight] | None = None) -> ShiftSeriesSpec:
    """The series' current rule (the one in force from ``series.start_date``) with its nights' exceptions
    and changes. Earlier rules of a series changed from a date are in :func:`series_rules`."""
    exceptions, changes = _night_entries(
        repo.nights_for(session, series.id) if nights is None else nights, first=series.start_date
    )
    return ShiftSeriesSpec(
        rrule=series.rrule,
        start_date=series.start_date,
        start_time=series.start_time,
        end_time=series.end_time,
        tz=series.tz,
        exceptions=exceptions,
        changes=changes,
    )


@dataclass(frozen=True)
class SeriesRuleInForce:
    """One rule of a series and the nights it governs: those from ``from_date`` on (up to its UNTIL,
    which is before the next rule's ``from_date``), with the staffing and place those nights get."""

    from_date: date
    spec: ShiftSeriesSpec
    area_id: int
    min_volunteers: int
    max_volunteers: int
    min_team_leads: int
    meeting_point: str | None


def series_rules(
    session: Session, series: ShiftSeries, nights: Iterable[SeriesNight] | None = None
) -> list[SeriesRuleInForce]:
    """Every rule of ``series``, oldest first: the earlier ones (kept by a change from a date) and the
    current one, each with the exceptions and per-night changes of the nights it governs."""
    nights = list(repo.nights_for(session, series.id) if nights is None else nights)
    earlier = repo.earlier_rules(session, series.id)
    starts = [r.start_date for r in earlier] + [series.start_date]
    rules = []
    for index, row in enumerate(earlier):
        exceptions, changes = _night_entries(nights, first=row.start_date, before=starts[index + 1])
        spec = ShiftSeriesSpec(
            rrule=row.rrule,
            start_date=row.start_date,
            start_time=row.start_time,
            end_time=row.end_time,
            tz=series.tz,
            exceptions=exceptions,
            changes=changes,
        )
        rules.append(
            SeriesRuleInForce(
                row.start_date,
                spec,
                row.area_id,
                row.min_volunteers,
                row.max_volunteers,
                row.min_team_leads,
                row.meeting_point,
            )
        )
    rules.append(
        SeriesRuleInForce(
            series.start_date,
            spec_for(session, series, nights),
            series.area_id,
            series.min_volunteers,
            series.max_volunteers,
            series.min_team_leads,
            series.meeting_point,
        )
    )
    return rules


def _governing(rules: list[SeriesRuleInForce], day: date) -> SeriesRuleInForce | None:
    found = None
    for rule in rules:
        if rule.from_date <= day:
            found = rule
    return found


def night_of(rules: list[SeriesRuleInForce], day: date) -> tuple[Occurrence, SeriesRuleInForce] | None:
    """The night the series generates on local date ``day`` and the rule that makes it, or None when
    no rule of the series generates that date. Asked about one night: no window is involved."""
    rule = _governing(rules, day)
    if rule is None:
        return None
    occurrence = occurrence_on(rule.spec, day)
    return None if occurrence is None else (occurrence, rule)


def _check_counts(min_volunteers: int, max_volunteers: int, min_team_leads: int) -> None:
    problems = _count_problems(min_volunteers, max_volunteers, min_team_leads)
    if problems:
        field_name, detail = next(iter(problems.items()))
        raise InvalidSeriesInput(detail, field=field_name)


def _count_problems(
    min_volunteers: int | None, max_volunteers: int | None, min_team_leads: int | None
) -> dict[str, str]:
    """Every problem with the staffing numbers; ``None`` is a number the form could not read (already
    reported), so the checks that need it are skipped."""
    problems: dict[str, str] = {}
    if min_volunteers is not None and min_volunteers < 2:
        problems["min_volunteers"] = "Nobody patrols alone: the minimum must be at least 2 volunteers."
    if max_volunteers is not None:
        if min_volunteers is not None and max_volunteers < min_volunteers:
            problems["max_volunteers"] = "The maximum must not be below the minimum."
        elif max_volunteers > 200:
            problems["max_volunteers"] = "The maximum may be at most 200 volunteers."
    if min_team_leads is not None and (
        min_team_leads < 0 or (min_volunteers is not None and min_team_leads > min_volunteers)
    ):
        problems["min_team_leads"] = "Team leads must be between 0 and the minimum number of volunteers."
    return problems


class SeriesFormInvalid(InvalidSeriesInput):
    """Several problems with one series form at once: ``errors`` maps each field to its sentence;
    ``field``/``detail`` (and the JSON body) carry the first."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        assert errors
        field_name, detail = next(iter(errors.items()))
        super().__init__(detail, field=field_name)
        self.errors = dict(errors)


def _sentence(exc: InvalidSeries) -> str:
    return f"{exc.message[:1].upper()}{exc.message[1:]}."


def series_problems(
    session: Session,
    *,
    area_id: int | None,
    name: str | None,
    rrule: str | None,
    start_date: date | None,
    start_time: time | None,
    end_time: time | None,
    tz: str = "Europe/London",
    min_volunteers: int | None,
    max_volunteers: int | None,
    min_team_leads: int | None,
    meeting_point: str | None = None,
) -> dict[str, str]:
    """Every problem with a series' fields at once, keyed by field (empty when it can be saved).
    ``None`` means the caller could not read that value and has reported it already: the checks that
    need it are skipped, the others still run."""
    problems: dict[str, str] = {}
    if area_id is not None and repo.get_area(session, area_id) is None:
        problems["area_id"] = "Choose a patrol area from the list."
    if name is not None:
        clean_name = name.strip()
        if not clean_name or len(clean_name) > 120:
            problems["name"] = "Enter a name of at most 120 characters."
    problems.update(_count_problems(min_volunteers, max_volunteers, min_team_leads))
    if rrule is not None and len(rrule) > 300:
        problems["rrule"] = "The rule is too long."
    elif rrule is not None and start_date is not None and start_time is not None and end_time is not None:
        try:
            ShiftSeriesSpec(rrule=rrule, start_date=start_date, start_time=start_time, end_time=end_time, tz=tz)
        except InvalidSeries as exc:
            problems.setdefault(exc.field, _sentence(exc))
    if meeting_point:
        try:
            _clean(meeting_point, limit=200, field="meeting_point", label="The meeting point")
        except NTEError as exc:
            problems["meeting_point"] = exc.detail
    return problems


def create_series(
    session: Session,
    *,
    actor: User,
    area_id: int,
    name: str,
    rrule: str,
    start_date: date,
    start_time: time,
    end_time: time,
    tz: str = "Europe/London",
    min_volunteers: int = 4,
    max_volunteers: int = 12,
    min_team_leads: int = 1,
    meeting_point: str | None = None,
    now: datetime,
) -> ShiftSeries:
    area = get_area(session, area_id)
    fields: dict[str, Any] = {
        "rrule": rrule,
        "start_date": start_date,
        "start_time": start_time,
        "end_time": end_time,
        "tz": tz,
        "min_volunteers": min_volunteers,
        "max_volunteers": max_volunteers,
        "min_team_leads": min_team_leads,
    }
    problems = series_problems(session, area_id=None, name=name or "", meeting_point=meeting_point, **fields)
    if problems:
        raise SeriesFormInvalid(problems)
    fields["rrule"] = rrule.strip()
    series = ShiftSeries(
        area_id=area.id,
        name=(name or "").strip(),
        meeting_point=_clean(meeting_point, limit=200, field="meeting_point", label="The meeting point"),
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(series)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.series.create",
        target_type="patrol_series",
        target_id=series.id,
        detail={"rrule": series.rrule, "area": area.id},
        at=now,
    )
    materialise_series(session, series, now=now)
    return series


def list_series(session: Session) -> list[ShiftSeries]:
    return repo.list_series(session)


def describe_series(session: Session, series: ShiftSeries) -> str:
    return describe(spec_for(session, series))


def get_series(session: Session, series_id: int, *, field: str = "series_id") -> ShiftSeries:
    series = repo.get_series(session, series_id)
    if series is None:
        raise PatrolNotFound("shift series", field=field)
    return series


def series_plain_words(session: Session, series: ShiftSeries) -> str:
    """ "Every Friday and Saturday, 22:00 to 03:00, from 4 Dec 2026 until 27 Feb 2027"."""
    return plain_words(spec_for(session, series))


def set_series_active(session: Session, *, actor: User, series_id: int, active: bool, now: datetime) -> SeriesChange:
    """Pause (``active=False``) or resume a series.

    Pausing means no patrol of the series runs until it is resumed: every night already made that has
    not started is cancelled (the row is kept, with its sign-ups, and shown as cancelled in calendars)
    and its signed-up volunteers are told; no new nights are made while paused. A night under way or
    over is not touched. Resuming brings the nights back on the same rows (same calendar UID, SEQUENCE
    bumped), with the sign-ups they had, tells those volunteers, and schedules the rolling window
    again; nights cancelled one by one stay cancelled."""
    series = get_series(session, series_id)
    if series.is_active == active:
        raise ActionNotAllowedNow(
            "This series is already running." if active else "This series is already paused.", field="series_id"
        )
    before = _snapshot(session, series.id, now=now)
    series.is_active = active
    series.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="patrols.series.resume" if active else "patrols.series.pause",
        target_type="patrol_series",
        target_id=series.id,
        at=now,
    )
    result = SeriesChange(series)
    materialise_series(session, series, now=now)
    _count_change(session, before, result)
    return result


@dataclass
class SeriesChange:
    """What a series change did: the series that now carries the nights, how many shifts were
    cancelled or moved, and how many signed-up volunteers were told."""

    series: ShiftSeries
    cancelled: int = 0
    moved: int = 0
    told: int = 0


def _active_signups(session: Session, shift: Shift) -> int:
    return sum(1 for signup, _v, _u in repo.signups_for_shift(session, shift.id) if signup.status in repo.ACTIVE)


def _snapshot(
    session: Session, series_id: int, *, now: datetime
) -> dict[int, tuple[str, datetime, datetime, str | None]]:
    return {
        s.id: (s.status, s.start_at, s.end_at, s.meeting_point)
        for s in repo.shifts_of_series(session, series_id, from_at=now)
        if s.start_at > now
    }


def _count_change(
    session: Session, before: Mapping[int, tuple[str, datetime, datetime, str | None]], result: SeriesChange
) -> None:
    for shift_id, (status, start_at, end_at, meeting_point) in before.items():
        shift = repo.get_shift(session, shift_id)
        if shift is None or (status == "cancelled" and shift.status == "cancelled"):
            continue
        if shift.status == "cancelled":
            result.cancelled += 1
        elif status == "cancelled" or (shift.start_at, shift.end_at, shift.meeting_point) != (
            start_at,
            end_at,
            meeting_point,
        ):
            result.moved += 1  # moved, re-timed, or back on after a cancellation
        else:
            continue
        result.told += _active_signups(session, shift)


def _first_date(session: Session, series: ShiftSeries) -> date:
    earlier = repo.earlier_rules(session, series.id)
    return earlier[0].start_date if earlier else series.start_date


def _ends_by(rrule: str, tz: str, last: date) -> str:
    """``rrule`` ending on ``last`` at the latest (an earlier UNTIL is kept, never pushed later)."""
    until = rule_until(rrule, tz)
    return rrule if until is not None and until <= last else with_until(rrule, last)


def _generates(rrule: str, *, start_date: date, start_time: time, end_time: time, tz: str) -> bool:
    try:
        ShiftSeriesSpec(rrule=rrule, start_date=start_date, start_time=start_time, end_time=end_time, tz=tz)
    except InvalidSeries:
        return False
    return True


def earlier_rules(session: Session, series: ShiftSeries) -> list[SeriesRule]:
    """The rules ``series`` followed before its current one (kept by changes from a date), oldest first."""
    return repo.earlier_rules(session, series.id)


def end_series(session: Session, *, actor: User, series_id: int, last_date: date, now: datetime) -> SeriesChange:
    """End a series after ``last_date`` (London date, inclusive): the rule that governs that date gets
    UNTIL (RFC 5545) and the rules from later dates (of a change from a date) are dropped. Later
    nights are cancelled (kept) and the volunteers signed up to them told (the usual cancellation mail)."""
    series = get_series(session, series_id)
    today = local(now).date()
    first = _first_date(session, series)
    if last_date < first:
        raise InvalidSeriesInput(f"The end date is before the series starts ({first:%d %b %Y}).", field="end_date")
    if last_date < today:
        raise InvalidSeriesInput(
            "The end date is in the past: choose today or a later date (nights already run stay on record).",
            field="end_date",
        )
    earlier = repo.earlier_rules(session, series.id)
    # The rule in force on last_date: the current one, or an earlier one that comes back as current.
    governing = next((r for r in reversed(earlier) if r.start_date <= last_date), None)
    if series.start_date <= last_date:
        governing = None
    source = governing or series
    rule = _ends_by(source.rrule, series.tz, last_date)
    if not _generates(
        rule, start_date=source.start_date, start_time=source.start_time, end_time=source.end_time, tz=series.tz
    ):
        raise InvalidSeriesInput(
            "No night of the series falls on or before this date: pause the series instead.", field="end_date"
        )
    before = _snapshot(session, series.id, now=now)
    old_rule = series.rrule
    if governing is not None:
        _restore_rule(series, governing)
        for row in earlier:
            if row.start_date >= governing.start_date:
                session.delete(row)
        session.flush()
    series.rrule = rule
    series.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="patrols.series.end",
        target_type="patrol_series",
        target_id=series.id,
        detail={"until": str(last_date), "rrule": rule, "was": old_rule},
        at=now,
    )
    result = SeriesChange(series)
    materialise_series(session, series, now=now)
    _count_change(session, before, result)
    return result


def _restore_rule(series: ShiftSeries, row: SeriesRule) -> None:
    series.rrule, series.start_date, series.start_time, series.end_time = (
        row.rrule,
        row.start_date,
        row.start_time,
        row.end_time,
    )
    series.area_id, series.meeting_point = row.area_id, row.meeting_point
    series.min_volunteers, series.max_volunteers, series.min_team_leads = (
        row.min_volunteers,
        row.max_volunteers,
        row.min_team_leads,
    )


PAST_FROM_DATE = "Choose today or a later date: nights already past are not changed."


def change_series_from(
    session: Session,
    *,
    actor: User,
    series_id: int,
    from_date: date,
    rrule: str,
    start_time: time,
    end_time: time,
    min_volunteers: int,
    max_volunteers: int,
    min_team_leads: int,
    meeting_point: str | None,
    area_id: int | None = None,
    now: datetime,
) -> SeriesChange:
    """From ``from_date`` (London date) on, the series follows a new rule, times, meeting point, area
    and staffing; nights before it keep the old ones. The series is changed in place (same id, name
    and calendar): the rule it followed up to the day before is kept as an earlier rule
    (``patrol_series_rule``), so nights between today and ``from_date`` are still made from it.
    Shifts already made from that date keep their rows and sign-ups when the new rule still has their
    night (new times and place, SEQUENCE bumped, their volunteers told old -> new); the others are
    cancelled (kept, told too). Per-night changes from that date carry over where the new rule has
    the night; the others are dropped with the nights they were about."""
    series = get_series(session, series_id)
    today = local(now).date()
    problems: dict[str, str] = {}
    if from_date < today:
        problems["from_date"] = PAST_FROM_DATE
    problems.update(
        series_problems(
            session,
            area_id=area_id,
            name=None,
            rrule=rrule,
            start_date=max(from_date, today),
            start_time=start_time,
            end_time=end_time,
            tz=series.tz,
            min_volunteers=min_volunteers,
            max_volunteers=max_volunteers,
            min_team_leads=min_team_leads,
            meeting_point=meeting_point,
        )
    )
    if problems:
        raise SeriesFormInvalid(problems)
    before = _snapshot(session, series.id, now=now)
    day_before = from_date - timedelta(days=1)
    # History: every rule that governed nights before from_date keeps them, ending the day before.
    for row in repo.earlier_rules(session, series.id):
        cut = _ends_by(row.rrule, series.tz, day_before)
        if row.start_date >= from_date or not _generates(
            cut, start_date=row.start_date, start_time=row.start_time, end_time=row.end_time, tz=series.tz
        ):
            session.delete(row)
        else:
            row.rrule = cut
    if series.start_date < from_date:
        cut = _ends_by(series.rrule, series.tz, day_before)
        if _generates(
            cut, start_date=series.start_date, start_time=series.start_time, end_time=series.end_time, tz=series.tz
        ):
            session.add(
                SeriesRule(
                    series_id=series.id,
                    area_id=series.area_id,
                    rrule=cut,
                    start_date=series.start_date,
                    start_time=series.start_time,
                    end_time=series.end_time,
                    min_volunteers=series.min_volunteers,
                    max_volunteers=series.max_volunteers,
                    min_team_leads=series.min_team_leads,
                    meeting_point=series.meeting_point,
                    created_at=now,
                )
            )
    old_rule = series.rrule
    series.rrule = rrule.strip()
    series.start_date = from_date
    series.start_time, series.end_time = start_time, end_time
    series.min_volunteers, series.max_volunteers, series.min_team_leads = (
        min_volunteers,
        max_volunteers,
        min_team_leads,
    )
    series.meeting_point = _clean(meeting_point, limit=200, field="meeting_point", label="The meeting point")
    if area_id is not None:
        series.area_id = area_id
    series.updated_at = now
    session.flush()
    new_spec = spec_for(session, series, [])
    for night in repo.nights_for(session, series.id):
        if night.occurrence_date >= from_date and not occurs_on(new_spec, night.occurrence_date):
            session.delete(night)  # about a night the series no longer has
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.series.change",
        target_type="patrol_series",
        target_id=series.id,
        detail={"from": str(from_date), "rrule": series.rrule, "was": old_rule, "area": series.area_id},
        at=now,
    )
    result = SeriesChange(series)
    materialise_series(session, series, now=now)
    _count_change(session, before, result)
    return result


def change_night(
    session: Session,
    *,
    actor: User,
    series_id: int,
    occurrence_date: date,
    cancelled: bool = False,
    start_time: time | None = None,
    end_time: time | None = None,
    moved_to: date | None = None,
    now: datetime,
) -> SeriesNight | None:
    """Cancel one night, change its times or move it; with nothing set, the night is restored."""
    series = get_series(session, series_id)
    nights = {n.occurrence_date: n for n in repo.nights_for(session, series.id)}
    night = nights.get(occurrence_date)
    candidate = SeriesNight(
        series_id=series.id,
        occurrence_date=occurrence_date,
        cancelled=cancelled,
        start_time=start_time,
        end_time=end_time,
        moved_to=moved_to,
    )
    trial = {**nights, occurrence_date: candidate}
    try:
        rules = series_rules(session, series, trial.values())
    except InvalidSeries as exc:
        raise InvalidSeriesInput(
            f"{exc.message[:1].upper()}{exc.message[1:]}.",
            field="start_time" if "time" in exc.message else "occurrence_date",
        ) from None
    if night_of(rules, occurrence_date) is None:
        raise InvalidSeriesInput(
            f"{occurrence_date:%A %d %B %Y} is not a night of this series.", field="occurrence_date"
        )
    existing = next(
        (s for s in repo.shifts_of_series(session, series.id) if s.occurrence_date == occurrence_date), None
    )
    if existing is not None and existing.start_at <= now:
        raise ActionNotAllowedNow(
            "This night has already started; it can no longer be changed.", field="occurrence_date"
        )
    restore = not cancelled and start_time is None and end_time is None and moved_to is None
    if restore:
        if night is not None:
            session.delete(night)
            session.flush()
        result = None
    else:
        if night is None:
            night = candidate
            session.add(night)
        else:
            night.cancelled, night.start_time, night.end_time, night.moved_to = (
                cancelled,
                start_time,
                end_time,
                moved_to,
            )
        session.flush()
        result = night
    audit.record(
        session,
        actor=actor,
        action="patrols.series.night",
        target_type="patrol_series",
        target_id=series.id,
        detail={"date": str(occurrence_date), "cancelled": cancelled, "restored": restore},
        at=now,
    )
    materialise_series(session, series, now=now)
    return result


def _location(area: PatrolArea, meeting_point: str | None) -> str:
    return f"{area.name} (meet: {meeting_point})" if meeting_point else area.name


def materialise_series(
    session: Session, series: ShiftSeries, *, now: datetime, settings: PatrolSettings | None = None
) -> tuple[int, int]:
    """Create the shifts of ``series`` over the rolling window and bring every stored night that has
    not started in line with the series. Returns (created, updated).

    The window only decides which NEW nights are made. A stored night is judged by asking the
    series' rules about that night (:func:`night_of`), never by whether this run's window produced
    it, so runs with different windows agree: a night is cancelled (kept, so calendars show it
    cancelled, its volunteers told) only when the series no longer generates it (rule changed,
    series ended, night excepted) or the series is paused; a night that changed bumps its SEQUENCE.
    Nights under way or over are never changed. Idempotent: keyed by (series, occurrence_date)."""
    settings = settings or get_patrol_settings()
    rules = series_rules(session, series)
    stored = {s.occurrence_date: s for s in repo.shifts_of_series(session, series.id) if s.occurrence_date}
    created = updated = 0
    for day, shift in stored.items():
        if shift.start_at <= now:
            continue  # under way or over: history is not rewritten
        if shift.stood_down_at is not None:
            continue  # stood down: stays so until a coordinator reinstates it (which catches up)
        found = night_of(rules, day) if series.is_active else None
        if found is None or found[0].cancelled:
            # A cancelled night keeps the times and place it had: nothing else about it changes.
            changed = _apply_schedule(
                session,
                shift,
                area_id=shift.area_id,
                start_at=shift.start_at,
                end_at=shift.end_at,
                status="cancelled",
                meeting_point=shift.meeting_point,
                now=now,
            )
        else:
            occurrence, rule = found
            changed = _apply_schedule(
                session,
                shift,
                area_id=rule.area_id,
                start_at=occurrence.start_at,
                end_at=occurrence.end_at,
                status="scheduled",
                meeting_point=rule.meeting_point,
                now=now,
            )
            staffing = (rule.min_volunteers, rule.max_volunteers, rule.min_team_leads)
            if (shift.min_volunteers, shift.max_volunteers, shift.min_team_leads) != staffing:
                shift.min_volunteers, shift.max_volunteers, shift.min_team_leads = staffing
        updated += changed
    if series.is_active:  # paused: no new nights
        window_end = now + timedelta(weeks=settings.materialise_weeks)
        for rule in rules:
            for occ in materialise(rule.spec, window_start=now, window_end=window_end):
                if occ.occurrence_date in stored or _governing(rules, occ.occurrence_date) is not rule:
                    continue
                stored[occ.occurrence_date] = shift = Shift(
                    series_id=series.id,
                    occurrence_date=occ.occurrence_date,
                    area_id=rule.area_id,
                    start_at=occ.start_at,
                    end_at=occ.end_at,
                    min_volunteers=rule.min_volunteers,
                    max_volunteers=rule.max_volunteers,
                    min_team_leads=rule.min_team_leads,
                    meeting_point=rule.meeting_point,
                    status="cancelled" if occ.cancelled else "scheduled",
                    sequence=0,
                    last_modified_at=now,
                    created_at=now,
                )
                session.add(shift)
                created += 1
    session.flush()
    return created, updated


def _apply_schedule(
    session: Session,
    shift: Shift,
    *,
    area_id: int,
    start_at: datetime,
    end_at: datetime,
    status: str,
    meeting_point: str | None,
    now: datetime,
) -> bool:
    old_area = get_area(session, shift.area_id)
    area = old_area if area_id == shift.area_id else get_area(session, area_id)
    old = ical.ScheduleFields(
        shift.start_at,
        shift.end_at,
        _location(old_area, shift.meeting_point),
        ical.EventStatus.CANCELLED if shift.status == "cancelled" else ical.EventStatus.CONFIRMED,
    )
    new = ical.ScheduleFields(
        start_at,
        end_at,
        _location(area, meeting_point),
        ical.EventStatus.CANCELLED if status == "cancelled" else ical.EventStatus.CONFIRMED,
    )
    if not ical.sequence_must_increase(old, new):
        return False
    shift.sequence = ical.next_sequence(shift.sequence, old, new)
    was_cancelled = shift.status == "cancelled"
    shift.start_at, shift.end_at, shift.status, shift.meeting_point = start_at, end_at, status, meeting_point
    shift.area_id = area.id
    shift.last_modified_at = now
    session.flush()
    if was_cancelled and status == "cancelled":
        return True  # still cancelled: nobody is told about a night that does not run
    _notify_shift_change(
        session,
        shift,
        area=area,
        was=None if was_cancelled else (old_area, old),
        cancelled=status == "cancelled",
        now=now,
    )
    return True


def _notify_shift_change(
    session: Session,
    shift: Shift,
    *,
    area: PatrolArea,
    was: tuple[PatrolArea, ical.ScheduleFields] | None,
    cancelled: bool,
    now: datetime,
) -> None:
    """Tell the volunteers holding or waiting for a place what happened to their night, in London
    time: cancelled; changed (old -> new); or back on (``was`` is None: it had been cancelled)."""
    for signup, _volunteer, user in repo.signups_for_shift(session, shift.id):
        if signup.status not in repo.ACTIVE:
            continue
        if cancelled:
            subject = f"Patrol cancelled: {area.name}, {fmt_local(shift.start_at)}"
            body = (
                f"Hello {user.display_name},\n\nThe patrol in {area.name} on {fmt_local(shift.start_at)} has been "
                "cancelled. Your calendar feed shows it as cancelled.\n"
            )
        else:
            subject = f"Patrol changed: {area.name}, now {fmt_local(shift.start_at)}"
            now_runs = (
                f"Now: {area.name}, {fmt_local(shift.start_at)} to {fmt_local(shift.end_at)}, "
                f"meeting point: {shift.meeting_point or 'as usual'}.\n"
            )
            if was is None:
                body = (
                    f"Hello {user.display_name},\n\nThe patrol in {area.name} that was cancelled is back on "
                    f"(London time). You keep your place.\n{now_runs}"
                )
            else:
                old_area, old = was
                meet = old.location.split("(meet: ", 1)[1].rstrip(")") if "(meet: " in old.location else "as usual"
                body = (
                    f"Hello {user.display_name},\n\nThe patrol in {old_area.name} has changed (London time).\n"
                    f"Was: {old_area.name}, {fmt_local(old.start_at)} to {fmt_local(old.end_at)}, "
                    f"meeting point: {meet}.\n{now_runs}"
                )
        outbox.enqueue(
            session,
            to=user.email,
            subject=subject,
            body=body,
            now=now,
            dedupe_key=f"patrol:shift-change:{shift.id}:{shift.sequence}:{signup.volunteer_id}",
        )


def materialise_all(session: Session, *, now: datetime, settings: PatrolSettings | None = None) -> int:
    total = 0
    for series in repo.list_series(session):
        created, updated = materialise_series(session, series, now=now, settings=settings)
        total += created + updated
    return total


def get_shift(session: Session, shift_id: int, *, field: str = "shift_id", lock: bool = False) -> Shift:
    shift = repo.get_shift(session, shift_id, lock=lock)
    if shift is None:
        raise PatrolNotFound("shift", field=field)
    return shift


def cancel_shift(session: Session, *, actor: User, shift_id: int, now: datetime) -> Shift:
    shift = get_shift(session, shift_id)
    if shift.start_at <= now:
        raise ActionNotAllowedNow("This shift has already started and cannot be cancelled.", field="shift_id")
    if shift.series_id is not None and shift.occurrence_date is not None:
        change_night(
            session,
            actor=actor,
            series_id=shift.series_id,
            occurrence_date=shift.occurrence_date,
            cancelled=True,
            now=now,
        )
    else:
        _apply_schedule(
            session,
            shift,
            area_id=shift.area_id,
            start_at=shift.start_at,
            end_at=shift.end_at,
            status="cancelled",
            meeting_point=shift.meeting_point,
            now=now,
        )
    return shift


# --- staffing -------------------------------------------------------------------------------------


@dataclass
class Staffing:
    shift: Shift
    area_name: str
    confirmed: int = 0
    leads: int = 0
    offered: int = 0
    waitlisted: int = 0
    state: str = "ok"
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return STAFFING_LABELS[self.state]

    @property
    def free_places(self) -> int:
        return max(0, self.shift.max_volunteers - self.confirmed - self.offered)

    @property
    def places_taken(self) -> int:
        """Places held: confirmed, or offered from the waitlist and not yet answered."""
        return self.confirmed + self.offered

    @property
    def needed_to_run(self) -> int:
        """More confirmed volunteers the shift needs before it can run at all (0 once it can)."""
        return max(0, TEAM_MINIMUM - self.confirmed)

    @property
    def needed_for_minimum(self) -> int:
        """More confirmed volunteers the shift needs to reach its own minimum team."""
        return max(0, self.shift.min_volunteers - self.confirmed)

    @property
    def below_minimum(self) -> bool:
        """Fewer confirmed volunteers, or team leads, than the shift's own minimum."""
        return self.confirmed < self.shift.min_volunteers or self.leads < self.shift.min_team_leads

    @property
    def confirmed_below_minimum(self) -> bool:
        """Below its minimum, and a coordinator has confirmed it runs anyway (never below a team of two)."""
        return (
            self.shift.status == "scheduled"
            and self.below_minimum
            and not self.needed_to_run
            and self.shift.below_minimum_confirmed_at is not None
        )

    def shortfall(self) -> str:
        """What the shift lacks, in words: "1 of the 4 volunteers needed; 0 of the 1 team leads needed"."""
        parts = []
        if self.confirmed < self.shift.min_volunteers or self.needed_to_run:
            parts.append(f"{self.confirmed} of the {max(self.shift.min_volunteers, TEAM_MINIMUM)} volunteers needed")
        if self.leads < self.shift.min_team_leads:
            parts.append(f"{self.leads} of the {self.shift.min_team_leads} team leads needed")
        return "; ".join(parts)

    def stand_down_reason(self) -> str | None:
        """Why this shift must be stood down at its stand-down time, or None if it may run: below a team
        of two (nobody patrols alone, whatever a coordinator said), or below its minimum volunteers or
        team leads without a coordinator's confirmation."""
        if self.shift.status != "scheduled":
            return None
        if self.needed_to_run:
            return f"{self.shortfall()} (nobody patrols alone)"
        if self.below_minimum and self.shift.below_minimum_confirmed_at is None:
            return f"{self.shortfall()}, and no coordinator confirmed it could run below its minimum"
        return None


def _staffing_state(item: Staffing) -> None:
    shift = item.shift
    item.reasons = []
    if shift.stood_down_at is not None:
        item.state = "stood_down"
        item.reasons.append(f"Stood down: {shift.stand_down_reason}")
        return
    if shift.status == "cancelled":
        item.state = "cancelled"
        return
    if item.needed_to_run:
        item.state = "cannot_run"
        item.reasons.append(f"{item.confirmed} confirmed: a team needs at least {TEAM_MINIMUM} (nobody patrols alone)")
        return
    if item.confirmed < shift.min_volunteers:
        item.reasons.append(f"{item.confirmed} of the {shift.min_volunteers} volunteers needed")
    if item.leads < shift.min_team_leads:
        item.reasons.append(f"{item.leads} of the {shift.min_team_leads} team leads needed")
    if item.reasons and shift.below_minimum_confirmed_at is not None:
        item.reasons.append(f"a coordinator confirmed it runs below its minimum: {shift.below_minimum_reason}")
    item.state = "at_risk" if item.reasons else "ok"


def staffing_for(session: Session, shifts: list[Shift]) -> list[Staffing]:
    areas = {a.id: a.name for a in repo.list_areas(session)}
    items = {s.id: Staffing(shift=s, area_name=areas.get(s.area_id, "?")) for s in shifts}
    for signup, volunteer in repo.signups_for_shifts(session, list(items)):
        item = items[signup.shift_id]
        if signup.status == "confirmed":
            item.confirmed += 1
            item.leads += 1 if volunteer.is_team_lead else 0
        elif signup.status == "offered":
            item.offered += 1
        elif signup.status == "waitlisted":
            item.waitlisted += 1
    for item in items.values():
        _staffing_state(item)
    return list(items.values())


def staffing_board(session: Session, *, now: datetime, days: int = 56) -> list[Staffing]:
    return staffing_for(session, repo.shifts_between(session, now, now + timedelta(days=days)))


def stand_down_time(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    """From this moment a shift below its minimum and not confirmed by a coordinator is stood down."""
    settings = settings or get_patrol_settings()
    return shift.start_at - timedelta(hours=settings.stand_down_hours)


STAND_DOWN_REASON_LIMIT = 300


def _coordinator_reason(value: str | None, *, field: str = "reason") -> str:
    text = " ".join((value or "").split())
    if not text:
        raise Invalid("Give a reason: the volunteers are told it.", field=field)
    if len(text) > STAND_DOWN_REASON_LIMIT:
        raise Invalid(f"Keep the reason to {STAND_DOWN_REASON_LIMIT} characters.", field=field)
    personal = personal_data_in(text)
    if personal:
        raise Invalid(f"The reason must not contain personal data ({personal}).", field=field)
    return text


def _staffing_of(session: Session, shift: Shift) -> Staffing:
    return staffing_for(session, [shift])[0]


def confirm_below_minimum(session: Session, *, actor: User, shift_id: int, reason: str | None, now: datetime) -> Shift:
    """A coordinator confirms that a shift runs even if it is below its minimum volunteers or team
    leads at the stand-down time (the reason is sent to the team). Never below a team of two."""
    text = _coordinator_reason(reason)
    shift = get_shift(session, shift_id, lock=True)
    if shift.stood_down_at is not None:
        raise ShiftStoodDown("This shift has been stood down; reinstate it instead if it can run.", field="shift_id")
    if shift.status != "scheduled":
        raise ActionNotAllowedNow("This shift has been cancelled.", field="shift_id")
    if now >= shift.start_at:
        raise ActionNotAllowedNow("This shift has already started.", field="shift_id")
    item = _staffing_of(session, shift)
    if item.needed_to_run:
        raise NobodyPatrolsAlone(
            f"{item.confirmed} confirmed: a team needs at least {TEAM_MINIMUM} (nobody patrols alone), "
            "so it cannot be confirmed to run.",
            field="shift_id",
        )
    shift.below_minimum_confirmed_at = now
    shift.below_minimum_confirmed_by_id = actor.id
    shift.below_minimum_reason = text
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.shift.confirm_below_minimum",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={"reason": text, "confirmed": item.confirmed, "team_leads": item.leads},
        at=now,
    )
    return shift


def reinstate_shift(session: Session, *, actor: User, shift_id: int, reason: str | None, now: datetime) -> Shift:
    """A coordinator puts a stood-down shift back before its start (say enough people came forward
    late). It needs a reason and at least two confirmed volunteers; the reason stands as the
    coordinator's confirmation that it runs with the team it has, so it is not stood down again
    unless it falls below a team of two. Everyone still on it is told, and the feed shows it again."""
    text = _coordinator_reason(reason)
    shift = get_shift(session, shift_id, lock=True)
    if shift.stood_down_at is None:
        raise ActionNotAllowedNow("This shift has not been stood down.", field="shift_id")
    if now >= shift.start_at:
        raise ActionNotAllowedNow("This shift has already started; it can no longer be reinstated.", field="shift_id")
    item = _staffing_of(session, shift)
    if item.needed_to_run:
        raise NobodyPatrolsAlone(
            f"{item.confirmed} confirmed: a team needs at least {TEAM_MINIMUM} (nobody patrols alone), "
            "so it cannot be reinstated.",
            field="shift_id",
        )
    was = shift.stand_down_reason
    shift.stood_down_at = None
    shift.stand_down_reason = None
    shift.below_minimum_confirmed_at = now
    shift.below_minimum_confirmed_by_id = actor.id
    shift.below_minimum_reason = text
    _apply_schedule(
        session,
        shift,
        area_id=shift.area_id,
        start_at=shift.start_at,
        end_at=shift.end_at,
        status="scheduled",
        meeting_point=shift.meeting_point,
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        action="patrols.shift.reinstate",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={"reason": text, "stood_down_for": was, "confirmed": item.confirmed, "team_leads": item.leads},
        at=now,
    )
    if shift.series_id is not None:  # catch up with any change made to the series while it was stood down
        materialise_series(session, get_series(session, shift.series_id), now=now)
    fill_places(session, shift, now=now)
    return shift


# --- sign-up, cancellation and the waitlist -------------------------------------------------------


def book_shift(
    session: Session,
    *,
    volunteer: Volunteer,
    shift_id: int,
    now: datetime,
    join_waitlist: bool = True,
    settings: PatrolSettings | None = None,
) -> Signup:
    """Sign ``volunteer`` up, applying the rules in :data:`SIGNUP_RULES` order. A full shift puts
    them on the waitlist (or refuses with ``shift_full`` when ``join_waitlist`` is False)."""
    settings = settings or get_patrol_settings()
    # One booking at a time per volunteer (a double click, or two overlapping shifts booked at
    # once, cannot both pass the rules); volunteers do not wait for each other here.
    facts = repo.booking_facts(session, volunteer_id=volunteer.id, shift_id=shift_id, kinds=settings.required_records)
    if facts is None:
        raise PatrolNotFound("shift", field="shift_id")
    _check_signup_rules(session, facts, now=now, settings=settings)
    # Capacity: one atomic claim. A full shift is never locked, so the waitlisted do not queue
    # behind the last places; the claim holds the shift row only from here to the commit.
    claimed = repo.claim_place(session, shift_id)
    if not claimed and not join_waitlist:
        raise SignupRefused("shift_full", "This shift is full. You can join the waitlist instead.")
    if facts.signup_id is not None:  # back after cancelling, declining or an expired offer
        signup = repo.get_signup(session, facts.signup_id)
        if signup is None:
            # Deleted since the facts were read (PostgreSQL, READ COMMITTED): the volunteer's row is
            # locked, so only the shift's deletion can cascade to it. The rollback undoes the claim.
            raise PatrolNotFound("shift", field="shift_id")
    else:
        signup = Signup(shift_id=shift_id, volunteer_id=volunteer.id, created_at=now)
        session.add(signup)
    signup.updated_at = now
    signup.cancelled_at = signup.cancelled_by_id = signup.offered_at = signup.offer_expires_at = None
    signup.checked_in_at = signup.home_safe_at = None
    signup.no_show = False
    if claimed:  # the claim has counted the place already
        if signup.confirmed_at is not None:  # back on after a cancellation: the feed must see a change
            signup.feed_sequence += 1
        signup.status = "confirmed"
        signup.confirmed_at = now
    else:
        signup.status = "waitlisted"
        signup.waitlisted_at = now
    session.flush()
    return signup


def _set_status(session: Session, signup: Signup, status: str, *, now: datetime) -> None:
    """Every status change after the booking goes through here, to keep ``shift.places_taken`` equal
    to the sign-ups holding a place. The caller holds the shift row lock."""
    delta = (status in repo.TAKEN) - (signup.status in repo.TAKEN)
    signup.status = status
    signup.updated_at = now
    if delta:
        repo.add_places_taken(session, signup.shift_id, delta)


_ALREADY = {
    "confirmed": "are signed up for",
    "offered": "have been offered a place on",
    "waitlisted": "are on the waitlist for",
}


def _check_signup_rules(session: Session, facts: repo.BookingFacts, *, now: datetime, settings: PatrolSettings) -> None:
    """Rules 1-5 of :data:`SIGNUP_RULES` in order."""
    if facts.signup_status in repo.ACTIVE:
        raise SignupRefused("already_signed_up", f"You {_ALREADY[facts.signup_status]} this shift already.")
    if now >= facts.shift_start_at:
        raise SignupRefused("shift_started", "This shift has already started; sign-up is closed.")
    if facts.shift_status == "cancelled":
        raise SignupRefused("shift_cancelled", "This shift has been cancelled.")
    problem = _eligibility(
        facts.volunteer_status, facts.record_expiry, on=local(facts.shift_end_at).date(), settings=settings
    )
    if problem is not None:
        raise SignupRefused(problem[0], problem[1])
    if facts.clash_shift_id is not None:
        clash = get_shift(session, facts.clash_shift_id)
        raise SignupRefused(
            "overlaps_shift",
            f"You are already on a shift at that time ({fmt_local(clash.start_at)}-{local(clash.end_at):%H:%M}).",
        )


def _release(session: Session, signup: Signup, *, status: str, actor: User | None, now: datetime) -> None:
    if signup.status == "confirmed":
        signup.feed_sequence += 1
    _set_status(session, signup, status, now=now)
    signup.cancelled_at = now
    signup.cancelled_by_id = actor.id if actor else None


def cancellation_deadline(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    """A volunteer can give up a confirmed place online until this moment."""
    settings = settings or get_patrol_settings()
    return shift.start_at - timedelta(hours=settings.cancellation_deadline_hours)


def cancel_refusal(
    shift: Shift, signup: Signup, *, now: datetime, settings: PatrolSettings | None = None
) -> NTEError | None:
    """Why the volunteer cannot leave this shift (or its waitlist) now, or None if they can. A
    coordinator can still take anyone off (:func:`coordinator_cancel_signup`)."""
    settings = settings or get_patrol_settings()
    if signup.status == "confirmed":
        if signup.checked_in_at is not None:
            return ActionNotAllowedNow(
                "You have checked in, so you cannot cancel; tell your team lead if you have to leave.",
                field="shift_id",
            )
        deadline = cancellation_deadline(shift, settings=settings)
        if now >= deadline and shift.status == "scheduled":
            return CancellationDeadlinePassed(
                f"Too late to cancel online: cancelling closed {settings.cancellation_deadline_hours} hours "
                f"before the start ({fmt_when(deadline)}). Please contact your coordinator, who can still "
                "take you off.",
                field="shift_id",
            )
    elif now >= shift.start_at:
        return ActionNotAllowedNow("This shift has already started.", field="shift_id")
    return None


def cancel_signup(
    session: Session, *, volunteer: Volunteer, shift_id: int, now: datetime, settings: PatrolSettings | None = None
) -> Signup:
    """A volunteer leaves a shift (until the deadline) or the waitlist (any time before the start)."""
    settings = settings or get_patrol_settings()
    shift = get_shift(session, shift_id, lock=True)
    signup = repo.signup_for(session, shift.id, volunteer.id)
    if signup is None or signup.status not in repo.ACTIVE:
        raise PatrolNotFound("sign-up of yours for this shift", field="shift_id")
    refusal = cancel_refusal(shift, signup, now=now, settings=settings)
    if refusal is not None:
        raise refusal
    _release(session, signup, status="declined" if signup.status == "offered" else "cancelled", actor=None, now=now)
    session.flush()
    fill_places(session, shift, now=now)
    return signup


def coordinator_cancel_signup(session: Session, *, actor: User, signup_id: int, now: datetime) -> Signup:
    """A coordinator takes someone off a shift at any time (the deadline does not apply)."""
    signup = repo.get_signup(session, signup_id)
    if signup is None:
        raise PatrolNotFound("sign-up", field="signup_id")
    shift = get_shift(session, signup.shift_id, lock=True)
    if signup.status not in repo.ACTIVE:
        raise ActionNotAllowedNow("This sign-up is no longer active.", field="signup_id")
    _release(session, signup, status="cancelled", actor=actor, now=now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.signup.cancel",
        target_type="patrol_signup",
        target_id=signup.id,
        detail={
            "shift": shift.id,
            "override": now >= shift.start_at - timedelta(hours=get_patrol_settings().cancellation_deadline_hours),
        },
        at=now,
    )
    fill_places(session, shift, now=now)
    return signup


def fill_places(session: Session, shift: Shift, *, now: datetime, settings: PatrolSettings | None = None) -> int:
    """Offer freed places to the waitlist in order. The shift row must be locked by the caller."""
    settings = settings or get_patrol_settings()
    if shift.status != "scheduled" or now >= shift.start_at:
        return 0
    offered = 0
    area = get_area(session, shift.area_id)
    while shift.places_taken < shift.max_volunteers:
        nxt = repo.next_waitlisted(session, shift.id)
        if nxt is None:
            break
        volunteer = get_volunteer(session, nxt.volunteer_id)
        user = auth_repo.get_user(session, volunteer.user_id)
        expires = min(now + timedelta(hours=settings.waitlist_offer_hours), shift.start_at)
        _set_status(session, nxt, "offered", now=now)
        nxt.offered_at, nxt.offer_expires_at = now, expires
        session.flush()
        offered += 1
        if user is not None:
            outbox.enqueue(
                session,
                to=user.email,
                now=now,
                dedupe_key=f"patrol:offer:{nxt.id}:{int(now.timestamp())}",
                subject=f"A place is free: patrol {area.name}, {fmt_local(shift.start_at)}",
                body=(
                    f"Hello {user.display_name},\n\nA place has become free on the patrol in {area.name} "
                    f"on {fmt_local(shift.start_at)}. Please confirm by {fmt_local(expires)} on your "
                    "My shifts page, or it goes to the next person on the waitlist.\n"
                ),
            )
    return offered


def respond_to_offer(session: Session, *, volunteer: Volunteer, shift_id: int, accept: bool, now: datetime) -> Signup:
    shift = get_shift(session, shift_id, lock=True)
    signup = repo.signup_for(session, shift.id, volunteer.id)
    if signup is None or signup.status != "offered":
        raise PatrolNotFound("place offered to you on this shift", field="shift_id")
    if signup.offer_expires_at is not None and now >= signup.offer_expires_at:
        raise ActionNotAllowedNow("This offer has expired.", field="shift_id")
    if not accept:
        _release(session, signup, status="declined", actor=None, now=now)
        session.flush()
        fill_places(session, shift, now=now)
        return signup
    problem = eligibility_problem(session, volunteer, on=local(shift.end_at).date())
    if problem is not None:
        raise SignupRefused(problem[0], problem[1])
    clash = repo.overlapping_signup(session, volunteer_id=volunteer.id, shift=shift)
    if clash is not None:
        raise SignupRefused("overlaps_shift", "You are already on a shift at that time.")
    if signup.confirmed_at is not None:
        signup.feed_sequence += 1
    _set_status(session, signup, "confirmed", now=now)
    signup.confirmed_at = now
    signup.offered_at = signup.offer_expires_at = None
    session.flush()
    return signup


def expire_offers(session: Session, *, now: datetime) -> int:
    """Offers not confirmed in time go to the next person on the waitlist."""
    count = 0
    for stale in repo.expired_offers(session, now):
        shift = get_shift(session, stale.shift_id, lock=True)
        session.refresh(stale)
        if stale.status != "offered":
            continue
        _set_status(session, stale, "expired", now=now)
        session.flush()
        fill_places(session, shift, now=now)
        count += 1
    return count


# --- running a shift ------------------------------------------------------------------------------


def _own_confirmed(session: Session, volunteer: Volunteer, shift: Shift) -> Signup:
    signup = repo.signup_for(session, shift.id, volunteer.id)
    if signup is None or signup.status != "confirmed":
        raise PatrolNotFound("confirmed place of yours on this shift", field="shift_id")
    return signup


def check_in_opens_at(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    settings = settings or get_patrol_settings()
    return shift.start_at - timedelta(minutes=settings.check_in_opens_minutes)


def check_in_refusal(shift: Shift, *, now: datetime, settings: PatrolSettings | None = None) -> NTEError | None:
    """Why a confirmed volunteer cannot check in now (open from shortly before the start to the end)."""
    if shift.stood_down_at is not None:
        return ShiftStoodDown(stood_down_words(shift), field="shift_id")
    if shift.status == "cancelled":
        return ActionNotAllowedNow("This shift was cancelled.", field="shift_id")
    opens = check_in_opens_at(shift, settings=settings)
    if now < opens:
        return ActionNotAllowedNow(f"Check in opens at {fmt_when(opens)}.", field="shift_id")
    if now >= shift.end_at:
        return ActionNotAllowedNow("This shift has ended.", field="shift_id")
    return None


def home_safe_opens_at(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    settings = settings or get_patrol_settings()
    return shift.end_at - timedelta(minutes=settings.home_safe_opens_minutes)


def home_safe_refusal(shift: Shift, *, now: datetime, settings: PatrolSettings | None = None) -> NTEError | None:
    """Why a confirmed volunteer cannot confirm they are home safe yet (open near the shift's end,
    and any time after it; the lone-worker alert waits for it)."""
    if shift.status == "cancelled":
        return ActionNotAllowedNow("This shift was cancelled.", field="shift_id")
    opens = home_safe_opens_at(shift, settings=settings)
    if now < opens:
        return ActionNotAllowedNow(
            f"You can confirm you are home safe from {fmt_when(opens)}. If you leave early, tell your team lead.",
            field="shift_id",
        )
    return None


def stood_down_words(shift: Shift) -> str:
    """The refusal a volunteer sees on a stood-down shift, with the reason."""
    return f"This patrol was stood down and will not run: {shift.stand_down_reason}."


def check_in(session: Session, *, volunteer: Volunteer, shift_id: int, now: datetime) -> Signup:
    shift = get_shift(session, shift_id)
    signup = _own_confirmed(session, volunteer, shift)
    refusal = check_in_refusal(shift, now=now)
    if refusal is not None:
        raise refusal
    # Past its stand-down time and due to be stood down (the job has not reached it yet): the rule
    # binds all the same, so nobody checks in to a patrol that cannot run.
    due = _staffing_of(session, shift).stand_down_reason() if now >= stand_down_time(shift) else None
    if due is not None:
        raise ShiftStoodDown(f"This patrol cannot run: {due}.", field="shift_id")
    if signup.checked_in_at is None:
        signup.checked_in_at = now
        signup.no_show = False
        signup.updated_at = now
    return signup


def home_safe(session: Session, *, volunteer: Volunteer, shift_id: int, now: datetime) -> Signup:
    shift = get_shift(session, shift_id)
    signup = _own_confirmed(session, volunteer, shift)
    refusal = home_safe_refusal(shift, now=now)
    if refusal is not None:
        raise refusal
    if signup.home_safe_at is None:
        signup.home_safe_at = now
        signup.updated_at = now
    return signup


def no_show_refusal(shift: Shift, signup: Signup, *, now: datetime) -> NTEError | None:
    """Why a coordinator cannot mark this confirmed volunteer as a no-show now (taking the mark
    off is always allowed)."""
    if now < shift.start_at:
        return ActionNotAllowedNow(
            f"No-shows can be marked once the shift has started ({fmt_when(shift.start_at)}).", field="signup_id"
        )
    if signup.home_safe_at is not None:
        return ActionNotAllowedNow(
            f"Not a no-show: confirmed home safe at {local(signup.home_safe_at):%H:%M}.", field="signup_id"
        )
    if signup.checked_in_at is not None:
        return ActionNotAllowedNow(
            f"Not a no-show: checked in at {local(signup.checked_in_at):%H:%M}.", field="signup_id"
        )
    return None


def _reason(refusal: NTEError | None) -> str | None:
    return None if refusal is None else refusal.detail


def volunteer_choices(
    shift: Shift, signup: Signup, *, now: datetime, settings: PatrolSettings | None = None
) -> dict[str, str | None]:
    """What the volunteer's page shows for one of their sign-ups: each action that applies, mapped
    to None when it is allowed now (the button is offered) or to the reason it is not, in the words
    the service uses to refuse it. Actions that do not apply (done already, not on the shift) are left out."""
    choices: dict[str, str | None] = {}
    if shift.status != "scheduled":
        return choices
    settings = settings or get_patrol_settings()
    if signup.status in ("confirmed", "waitlisted") and now < shift.start_at and signup.checked_in_at is None:
        choices["cancel"] = _reason(cancel_refusal(shift, signup, now=now, settings=settings))
    if signup.status == "confirmed":
        if signup.checked_in_at is None and now < shift.end_at:
            choices["check_in"] = _reason(check_in_refusal(shift, now=now, settings=settings))
        if signup.home_safe_at is None and (now >= shift.start_at or signup.checked_in_at is not None):
            choices["home_safe"] = _reason(home_safe_refusal(shift, now=now, settings=settings))
    return choices


def coordinator_choices(shift: Shift, signup: Signup, *, now: datetime) -> dict[str, str | None]:
    """The same for the coordinator's roster: marking a no-show (taking it off is always offered)."""
    if signup.status != "confirmed" or shift.status != "scheduled" or signup.no_show or now < shift.start_at:
        return {}
    return {"no_show": _reason(no_show_refusal(shift, signup, now=now))}


def mark_no_show(session: Session, *, actor: User, signup_id: int, no_show: bool, now: datetime) -> Signup:
    signup = repo.get_signup(session, signup_id)
    if signup is None:
        raise PatrolNotFound("sign-up", field="signup_id")
    shift = get_shift(session, signup.shift_id)
    if signup.status != "confirmed":
        raise ActionNotAllowedNow("Only confirmed volunteers can be marked as no-shows.", field="signup_id")
    if no_show:
        refusal = no_show_refusal(shift, signup, now=now)
        if refusal is not None:
            raise refusal
    signup.no_show = no_show
    signup.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="patrols.signup.no_show",
        target_type="patrol_signup",
        target_id=signup.id,
        detail={"no_show": no_show},
        at=now,
    )
    return signup


def roster(session: Session, shift_id: int) -> list[tuple[Signup, Volunteer, User]]:
    return repo.signups_for_shift(session, shift_id)


def volunteer_shifts(session: Session, volunteer: Volunteer, *, now: datetime) -> list[tuple[Signup, Shift]]:
    return repo.signups_of_volunteer(session, volunteer.id, from_at=now - timedelta(days=2))


@dataclass(frozen=True)
class Teammate:
    """Another volunteer on the shift, as a teammate sees them: a first name and the team-lead mark."""

    first_name: str
    is_team_lead: bool


@dataclass(frozen=True)
class CoordinatorContact:
    name: str
    email: str


@dataclass(frozen=True)
class ShiftBriefing:
    """What a volunteer needs to turn up for one shift: where, with whom, who to call."""

    signup: Signup
    shift: Shift
    area_name: str
    meeting_point: str | None
    #: ``geo:`` link for the phone's maps app: the meeting point's words searched at the area's
    #: point (a point inside the area; the meeting point itself is text only).
    geo_uri: str
    staffing: Staffing
    team: list[Teammate]
    coordinators: list[CoordinatorContact]


def first_name(display_name: str) -> str:
    """The first word of a person's name: all a teammate is shown (no surnames, no contact details)."""
    words = display_name.split()
    return words[0] if words else "?"


def geo_uri(area: PatrolArea, *, label: str) -> str:
    """A ``geo:`` URI (RFC 5870) at a point inside ``area``, with ``label`` as the maps app's search."""
    point = _area_geometry(area).representative_point()
    return f"geo:{point.y:.6f},{point.x:.6f}?q={quote(label, safe='')}"


def shift_briefings(
    session: Session, *, volunteer: Volunteer, signups: Iterable[tuple[Signup, Shift]], now: datetime
) -> list[ShiftBriefing]:
    """A briefing for each shift the volunteer is on (confirmed, offered or waitlisted) that has not
    ended: its area, meeting point, the other confirmed volunteers by first name with the team lead
    marked, the staffing state (the board's own rule and reasons) and the coordinators' contact."""
    mine = [(signup, shift) for signup, shift in signups if signup.status in repo.ACTIVE and shift.end_at > now]
    if not mine:
        return []
    shifts = [shift for _, shift in mine]
    staffing = {item.shift.id: item for item in staffing_for(session, shifts)}
    team: dict[int, list[Teammate]] = defaultdict(list)
    for shift_id, volunteer_id, is_team_lead, name in repo.team_of_shifts(session, [s.id for s in shifts]):
        if volunteer_id != volunteer.id:
            team[shift_id].append(Teammate(first_name=first_name(name), is_team_lead=is_team_lead))
    coordinators = [CoordinatorContact(name=u.display_name, email=u.email) for u in repo.coordinators(session)]
    areas: dict[int, PatrolArea] = {}
    out = []
    for signup, shift in mine:
        area = areas.get(shift.area_id) or areas.setdefault(shift.area_id, get_area(session, shift.area_id))
        out.append(
            ShiftBriefing(
                signup=signup,
                shift=shift,
                area_name=area.name,
                meeting_point=shift.meeting_point,
                geo_uri=geo_uri(area, label=shift.meeting_point or area.name),
                staffing=staffing[shift.id],
                team=team[shift.id],
                coordinators=coordinators,
            )
        )
    return out


def volunteer_area_feature(session: Session, *, volunteer: Volunteer, shift_id: int) -> dict[str, Any]:
    """The patrol area (a GeoJSON Feature) of a shift the volunteer is on: confirmed, offered or
    waitlisted. Any other shift, existing or not, is "no such shift", so the answer says nothing
    about shifts they are not on."""
    signup = repo.signup_for(session, shift_id, volunteer.id)
    if signup is None or signup.status not in repo.ACTIVE:
        raise PatrolNotFound("shift", field="shift_id")
    return area_feature(get_area(session, get_shift(session, shift_id).area_id))


def open_shifts(session: Session, *, now: datetime, days: int = 56) -> list[Staffing]:
    return [
        s
        for s in staffing_for(
            session, repo.shifts_between(session, now, now + timedelta(days=days), scheduled_only=True)
        )
        if s.shift.start_at > now
    ]


# --- reminders and alerts (jobs) ------------------------------------------------------------------


def _coordinator_mail(session: Session, *, subject: str, body: str, key: str, now: datetime) -> int:
    sent = 0
    for coordinator in repo.coordinators(session):
        if (
            outbox.enqueue(
                session, to=coordinator.email, subject=subject, body=body, now=now, dedupe_key=f"{key}:{coordinator.id}"
            )
            is not None
        ):
            sent += 1
    return sent


#: A start before this London hour belongs to the night before: 01:00 on Saturday is "Friday night".
NIGHT_ENDS_HOUR = 6


def _night_of(moment: datetime) -> date:
    """The London date of the evening a moment belongs to (before 06:00 it is still last night)."""
    at = local(moment)
    return at.date() - timedelta(days=1) if at.hour < NIGHT_ENDS_HOUR else at.date()


def when_words(start: datetime, *, now: datetime) -> str:
    """When a shift starts, as a person reading the mail at ``now`` expects it, in London time.

    "tonight at 22:00" when it starts this night, "tomorrow at 22:00" the next night, otherwise
    "on Friday 4 December at 22:00". A night runs until 06:00: a start in the small hours belongs to
    the evening before, as people count nights ("Friday night" includes 01:00 on Saturday), and so
    does the moment of reading. So a reminder sent at 23:00 (or at 00:30) for a 01:00 start says
    "tonight at 01:00", and the T-24 h reminder sent at 01:00 on Friday for 01:00 on Saturday says
    "tomorrow at 01:00". Mails put the full date beside these words (see :func:`fmt_day`), because
    people read mails later than they are sent.
    """
    at = local(start)
    days = (_night_of(start) - _night_of(now)).days
    if days == 0:
        return f"tonight at {at:%H:%M}"
    if days == 1:
        return f"tomorrow at {at:%H:%M}"
    return f"on {at:%A} {at.day} {at:%B} at {at:%H:%M}"


def fmt_day(moment: datetime) -> str:
    """London date and time in full words for mails: "Saturday 5 December 2026, 01:00"."""
    at = local(moment)
    return f"{at:%A} {at.day} {at:%B} {at.year}, {at:%H:%M}"


def send_shift_reminders(session: Session, *, now: datetime) -> int:
    """T-24 h and T-2 h reminders to confirmed volunteers; keyed by sign-up, kind and start time.

    The words ("tonight", "tomorrow", see :func:`when_words`) follow the night in London time, not
    which reminder it is: a T-2 h reminder at 23:00 for a 01:00 start is still "tonight".
    """
    sent = 0
    for shift in repo.shifts_starting_between(session, now, now + timedelta(hours=24)):
        kind = "2h" if shift.start_at - now <= timedelta(hours=2) else "24h"
        area = get_area(session, shift.area_id)
        when = when_words(shift.start_at, now=now)
        for signup, _volunteer, user in repo.signups_for_shift(session, shift.id):
            if signup.status != "confirmed":
                continue
            ends = local(shift.end_at)
            body = (
                f"Hello {user.display_name},\n\nReminder: your patrol in {area.name} starts {when} London time "
                f"({fmt_day(shift.start_at)}) and ends at {ends:%H:%M} on {ends:%A} {ends.day} {ends:%B} "
                "(London time). Meeting point: "
                f"{shift.meeting_point or area.name}. Please check in when you arrive and confirm you are home "
                "safe afterwards.\n"
            )
            if outbox.enqueue(
                session,
                to=user.email,
                now=now,
                body=body,
                subject=f"Patrol {when} (London time): {area.name}",
                dedupe_key=f"patrol:reminder:{kind}:{signup.id}:{int(shift.start_at.timestamp())}",
            ):
                sent += 1
    return sent


def eligible_free_volunteers(session: Session, shift: Shift) -> list[tuple[Volunteer, User]]:
    busy = repo.busy_volunteer_ids(session, shift)
    on = local(shift.end_at).date()
    return [
        (v, u)
        for v, u in repo.list_volunteers(session, status="active")
        if v.id not in busy and eligibility_problem(session, v, on=on) is None
    ]


def staffing_alerts(session: Session, *, now: datetime) -> int:
    """At T-48 h a shift below its minimum alerts the coordinators and invites free, eligible volunteers."""
    settings = get_patrol_settings()
    sent = 0
    upcoming = repo.shifts_starting_between(session, now, now + timedelta(hours=settings.staffing_alert_hours))
    for item in staffing_for(session, upcoming):
        if item.state not in ("at_risk", "cannot_run"):
            continue
        shift = item.shift
        when = when_words(shift.start_at, now=now)
        subject = f"Patrol {item.label.lower()}: {item.area_name}, {when} (London time)"
        body = (
            f"The patrol in {item.area_name} {when} London time ({fmt_day(shift.start_at)}) is "
            f"{item.label.lower()}: {'; '.join(item.reasons)}. Eligible free volunteers have been invited.\n"
        )
        if item.stand_down_reason() is not None:  # issue 18: say when it is stood down
            body += (
                f"Unless it is staffed, or you confirm on its page that it runs below its minimum (never with "
                f"fewer than {TEAM_MINIMUM}), it is stood down at {fmt_local(stand_down_time(shift))}.\n"
            )
        sent += _coordinator_mail(session, subject=subject, body=body, key=f"patrol:staffing:{shift.id}", now=now)
        for volunteer, user in eligible_free_volunteers(session, shift):
            if outbox.enqueue(
                session,
                to=user.email,
                now=now,
                dedupe_key=f"patrol:invite:{shift.id}:{volunteer.id}",
                subject=f"Can you patrol {item.area_name} {when} (London time)?",
                body=(
                    f"Hello {user.display_name},\n\nThe patrol in {item.area_name} {when} London time "
                    f"({fmt_day(shift.start_at)}) needs more volunteers. If you can help, sign up on "
                    "your My shifts page.\n"
                ),
            ):
                sent += 1
    return sent


def stand_down_shifts(session: Session, *, now: datetime, settings: PatrolSettings | None = None) -> int:
    """From ``stand_down_hours`` before the start: a shift below its minimum volunteers or team
    leads that no coordinator confirmed (or below a team of two, whatever was confirmed) is stood
    down: cancelled with the reason, and its volunteers and the coordinators are told it will not
    run and why. A confirmed shift below its minimum tells them it runs with N and the coordinator's
    reason. Idempotent: a stood-down shift is no longer scheduled, and every mail has a dedupe key.
    Returns the mails queued."""
    settings = settings or get_patrol_settings()
    sent = 0
    due = repo.shifts_starting_between(session, now, now + timedelta(hours=settings.stand_down_hours))
    for item in staffing_for(session, due):
        shift = get_shift(session, item.shift.id, lock=True)
        session.refresh(shift)
        if shift.status != "scheduled":
            continue
        item = _staffing_of(session, shift)
        reason = item.stand_down_reason()
        if reason is not None:
            sent += _stand_down(session, item, reason=reason, now=now)
        elif item.confirmed_below_minimum:
            sent += _tell_runs_below_minimum(session, item, now=now)
    return sent


def _team_mail(session: Session, shift: Shift, *, subject: str, body: str, key: str, now: datetime) -> int:
    """Mail everyone still on the shift (confirmed, offered or waitlisted), once per ``key``."""
    sent = 0
    for signup, volunteer, user in repo.signups_for_shift(session, shift.id):
        if signup.status not in repo.ACTIVE:
            continue
        if outbox.enqueue(
            session,
            to=user.email,
            now=now,
            subject=subject,
            body=f"Hello {user.display_name},\n\n{body}",
            # ":volunteer:": the coordinators' copies are keyed "{key}:{user id}", which a volunteer id may equal.
            dedupe_key=f"{key}:volunteer:{volunteer.id}",
        ):
            sent += 1
    return sent


def _stand_down(session: Session, item: Staffing, *, reason: str, now: datetime) -> int:
    shift = item.shift
    shift.sequence += 1  # the feed shows it cancelled (a status change bumps the SEQUENCE)
    shift.status = "cancelled"
    shift.stood_down_at = now
    shift.stand_down_reason = reason[:STAND_DOWN_REASON_LIMIT]
    shift.last_modified_at = now
    session.flush()
    audit.record(
        session,
        actor=None,
        action="patrols.shift.stand_down",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={"reason": shift.stand_down_reason, "confirmed": item.confirmed, "team_leads": item.leads},
        at=now,
    )
    when = fmt_local(shift.start_at)
    subject = f"Patrol stood down: {item.area_name}, {when}"
    body = (
        f"The patrol in {item.area_name} on {when} (London time) will not run: it has been stood down "
        f"because it has {shift.stand_down_reason}. Please do not go out on your own. Your calendar feed "
        "shows it as cancelled.\n"
    )
    key = f"patrol:stood-down:{shift.id}:{shift.sequence}"
    sent = _team_mail(session, shift, subject=subject, body=body, key=key, now=now)
    sent += _coordinator_mail(
        session,
        subject=subject,
        body=body + "A coordinator can reinstate it before the start, with a reason, on the shift page.\n",
        key=key,
        now=now,
    )
    return sent


def _tell_runs_below_minimum(session: Session, item: Staffing, *, now: datetime) -> int:
    shift = item.shift
    assert shift.below_minimum_confirmed_at is not None
    when = fmt_local(shift.start_at)
    team = f"{item.confirmed} volunteer{'s' if item.confirmed != 1 else ''}"
    team += f" ({item.leads} team lead{'s' if item.leads != 1 else ''})"
    subject = f"Patrol runs below its minimum: {item.area_name}, {when}"
    body = (
        f"The patrol in {item.area_name} on {when} (London time) runs with {team}, below its minimum "
        f"({item.shortfall()}). The coordinator's reason: {shift.below_minimum_reason}\n"
    )
    key = f"patrol:below-minimum:{shift.id}:{int(shift.below_minimum_confirmed_at.timestamp())}"
    sent = 0
    for signup, volunteer, user in repo.signups_for_shift(session, shift.id):
        if signup.status == "confirmed" and outbox.enqueue(
            session,
            to=user.email,
            now=now,
            subject=subject,
            body=f"Hello {user.display_name},\n\n{body}",
            dedupe_key=f"{key}:volunteer:{volunteer.id}",
        ):
            sent += 1
    return sent + _coordinator_mail(session, subject=subject, body=body, key=key, now=now)


def lone_worker_alerts(session: Session, *, now: datetime) -> int:
    """Alert the coordinators about anyone not confirmed home safe 30 minutes after the end."""
    settings = get_patrol_settings()
    grace = timedelta(minutes=settings.home_safe_grace_minutes)
    sent = 0
    for signup, shift in repo.confirmed_without_home_safe(session, now - grace, now - timedelta(days=2)):
        volunteer = get_volunteer(session, signup.volunteer_id)
        user = auth_repo.get_user(session, volunteer.user_id)
        area = get_area(session, shift.area_id)
        name = user.display_name if user else f"volunteer {volunteer.id}"
        checked_in = (
            f"They checked in at {fmt_day(signup.checked_in_at)} London time."
            if signup.checked_in_at
            else "They did not check in."
        )
        body = (
            f"{name} has not confirmed they are home safe after the patrol in {area.name} that ended "
            f"{fmt_day(shift.end_at)} London time. {checked_in}\n"
            f"Phone: {volunteer.phone or 'not recorded'}. Emergency contact: "
            f"{volunteer.emergency_contact or 'not recorded'}.\nPlease try to reach them now.\n"
        )
        sent += _coordinator_mail(
            session,
            subject=f"URGENT: {name} not confirmed home safe",
            body=body,
            key=f"patrol:lone-worker:{signup.id}",
            now=now,
        )
        signup.lone_worker_alerted_at = now
    session.flush()
    return sent


def record_expiry_reminders(session: Session, *, now: datetime) -> int:
    """30 and 7 days before a record expires, remind the volunteer and the coordinators (once each)."""
    today = local(now).date()
    records = repo.records_expiring_between(session, today, today + timedelta(days=30))
    if not records:
        return 0
    best = _best_records(repo.records_for(session, {r.volunteer_id for r in records}))
    sent = 0
    for record in records:
        if best.get((record.volunteer_id, record.kind)) is not record:
            continue  # renewed: a later record of the same kind lasts longer
        volunteer = get_volunteer(session, record.volunteer_id)
        if volunteer.status == "left":
            continue
        user = auth_repo.get_user(session, volunteer.user_id)
        assert record.expires_date is not None
        days = (record.expires_date - today).days
        threshold = "7d" if days <= 7 else "30d"
        label = RECORD_LABELS[record.kind]
        when = f"{record.expires_date:%d %B %Y}"
        if user is not None and outbox.enqueue(
            session,
            to=user.email,
            now=now,
            dedupe_key=f"patrol:record:{record.id}:{threshold}:volunteer",
            subject=f"Your {label} expires on {when}",
            body=(
                f"Hello {user.display_name},\n\nYour {label} expires on {when} ({days} days). Please renew it "
                "with your coordinator so you can keep patrolling.\n"
            ),
        ):
            sent += 1
        sent += _coordinator_mail(
            session,
            now=now,
            key=f"patrol:record:{record.id}:{threshold}",
            subject=f"{label} of {user.display_name if user else volunteer.id} expires on {when}",
            body=f"The {label} of {user.display_name if user else volunteer.id} expires on {when} ({days} days).\n",
        )
    return sent


# --- calendar feed --------------------------------------------------------------------------------


def issue_feed_token(session: Session, *, volunteer: Volunteer, now: datetime) -> str:
    """A new secret feed URL token (shown once); the previous URL stops working at once."""
    token = new_token("cal_")
    volunteer.feed_token_hash = token_hash(token)
    volunteer.feed_token_created_at = now
    session.flush()
    return token


def revoke_feed_token(session: Session, *, volunteer: Volunteer, now: datetime) -> None:
    volunteer.feed_token_hash = None
    volunteer.feed_token_created_at = None
    volunteer.updated_at = now
    session.flush()


def feed_url(token: str, *, settings: Settings) -> str:
    """The secret calendar address shown to the volunteer: the configured public base URL, never
    the request's Host header (a forged Host would otherwise put another site's address on the page)."""
    return f"{settings.base_url}/api/patrols/feed/{token}.ics"


def feed_for_token(session: Session, *, token: str, now: datetime, settings: Settings) -> tuple[bytes, str]:
    """The volunteer's calendar (bytes, weak ETag): DTSTAMP is ``now``, LAST-MODIFIED when the night
    or the sign-up last changed, each event links to the volunteer's shifts page."""
    volunteer = repo.volunteer_by_feed_hash(session, token_hash(token)) if token else None
    if volunteer is None:
        raise PatrolNotFound("calendar feed (the address may have been revoked)", field="token")
    user = auth_repo.get_user(session, volunteer.user_id)
    areas = {a.id: a for a in repo.list_areas(session)}
    shifts_page = f"{settings.base_url}/volunteer"
    events = []
    for signup, shift in repo.signups_of_volunteer(session, volunteer.id, from_at=now - timedelta(days=90)):
        if signup.confirmed_at is None:
            continue  # never held a place: not in the calendar
        area = areas[shift.area_id]
        cancelled = shift.status == "cancelled" or signup.status != "confirmed"
        centre = _area_geometry(area).representative_point()
        events.append(
            ical.FeedEvent(
                uid=f"patrol-shift-{shift.id}@nte-safe",
                start_at=shift.start_at,
                end_at=shift.end_at,
                summary=f"Patrol: {area.name}",
                location=_location(area, shift.meeting_point),
                description=(
                    "Check in when you arrive and confirm you are home safe afterwards."
                    if not cancelled
                    else "This shift is cancelled for you."
                ),
                sequence=shift.sequence + signup.feed_sequence,
                status=ical.EventStatus.CANCELLED if cancelled else ical.EventStatus.CONFIRMED,
                last_modified=max(shift.last_modified_at, signup.updated_at),
                geo=(centre.y, centre.x),
                url=shifts_page,
            )
        )
    name = f"Patrol shifts – {user.display_name}" if user else "Patrol shifts"
    body = ical.build_feed(name, events, generated_at=now)
    return body, ical.etag_for(body)


# --- debriefs -------------------------------------------------------------------------------------


def _no_personal_data(text: str | None, *, field: str) -> None:
    what = personal_data_in(text) if text else None
    if what is not None:
        raise InvalidDebrief(
            f"This looks like it contains {what}. A debrief must not hold personal data about "
            "members of the public; please remove it.",
            field=field,
        )


@dataclass(frozen=True)
class PersonSupported:
    """One person the patrol supported, as the debrief records them: no name, no free text."""

    gender: str
    kinds: tuple[str, ...]
    age_band: str | None = None
    handover: str | None = None


#: What a person's row may hold; anything else (a name, notes) is refused.
PERSON_FIELDS = ("gender", "age_band", "kinds", "handover")


def _choice(value: Any, allowed: Iterable[str], *, field: str, what: str, optional: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise InvalidDebrief(f"Choose the {what}.", field=field)
    if not isinstance(value, str) or value.strip() not in allowed:
        raise InvalidDebrief(f"Unknown {what} {str(value)[:30]!r}.", field=field)
    return value.strip()


def clean_person(person: Mapping[str, Any], index: int) -> PersonSupported:
    """One person's row checked: gender as observed (required), age band (optional), one or more kinds
    of help, a hand-over (optional). A hand-over to police or ambulance is the kind "handed_over" too.
    Errors name the field, ``people.<index>.<field>``."""
    at = f"people.{index}"
    if not isinstance(person, Mapping):
        raise InvalidDebrief("Each person is an object with gender, age_band, kinds and handover.", field=at)
    for key in person:
        if key not in PERSON_FIELDS:
            raise InvalidDebrief(
                "A person holds only gender, age band, kinds of help and hand-over: no names or notes.",
                field=f"{at}.{str(key)[:30]}",
            )
    gender = _choice(person.get("gender"), GENDERS, field=f"{at}.gender", what="gender", optional=False)
    age_band = _choice(person.get("age_band"), AGE_BANDS, field=f"{at}.age_band", what="age band", optional=True)
    handover = _choice(person.get("handover"), HANDOVERS, field=f"{at}.handover", what="hand-over", optional=True)
    raw_kinds = person.get("kinds")
    if raw_kinds is None or isinstance(raw_kinds, str) or not isinstance(raw_kinds, Iterable):
        raise InvalidDebrief("Give the kinds of help as a list.", field=f"{at}.kinds")
    given = set()
    for kind in raw_kinds:
        if not isinstance(kind, str) or kind not in SUPPORT_KINDS:
            raise InvalidDebrief(f"Unknown kind of support {str(kind)[:30]!r}.", field=f"{at}.kinds")
        given.add(kind)
    if handover in EMERGENCY_HANDOVERS:
        given.add("handed_over")
    if not given:
        raise InvalidDebrief("Choose at least one kind of help given to this person.", field=f"{at}.kinds")
    assert gender is not None
    return PersonSupported(
        gender=gender, kinds=tuple(k for k in SUPPORT_KINDS if k in given), age_band=age_band, handover=handover
    )


def clean_people(people: Any) -> list[PersonSupported]:
    if people is None:
        return []
    if isinstance(people, (str, bytes, Mapping)) or not isinstance(people, Iterable):
        raise InvalidDebrief("Give the people supported as a list.", field="people")
    rows = list(people)
    if len(rows) > MAX_PEOPLE_PER_DEBRIEF:
        raise InvalidDebrief(
            f"A debrief records at most {MAX_PEOPLE_PER_DEBRIEF} people; you gave {len(rows)}.", field="people"
        )
    return [clean_person(person, i) for i, person in enumerate(rows)]


def file_debrief(
    session: Session,
    *,
    user: User,
    shift_id: int,
    people: Any = (),
    summary: str | None = None,
    incidents: Iterable[Mapping[str, Any]] = (),
    now: datetime,
) -> Debrief:
    """The team lead (or a coordinator) records what the shift did: each person supported once
    (``clean_person``), a summary and incidents. No personal data about the public."""
    shift = get_shift(session, shift_id)
    if user.role == "volunteer":
        volunteer = volunteer_for_user(session, user)
        signup = repo.signup_for(session, shift.id, volunteer.id)
        if not volunteer.is_team_lead or signup is None or signup.status != "confirmed" or signup.no_show:
            raise NotTeamLead(
                "Only a team lead on this shift (or a coordinator) can file its debrief.", field="shift_id"
            )
    elif user.role not in ("coordinator", "admin"):
        raise Forbidden("Your role does not allow this.")
    if shift.status == "cancelled":
        raise ActionNotAllowedNow("This shift was cancelled; there is nothing to debrief.", field="shift_id")
    if now < shift.start_at:
        raise ActionNotAllowedNow("The debrief can be filed once the shift has started.", field="shift_id")
    if repo.debrief_for_shift(session, shift.id) is not None:
        raise Conflict("The debrief for this shift has already been filed.", field="shift_id", code="debrief_exists")
    clean = clean_people(people)
    clean_summary = _clean(summary, limit=1000, field="summary", label="The summary")
    _no_personal_data(clean_summary, field="summary")
    area_geom = _area_geometry(get_area(session, shift.area_id))
    clean_incidents = []
    for i, incident in enumerate(incidents):
        title = (str(incident.get("title") or "")).strip()
        if not title or len(title) > 120:
            raise InvalidDebrief(
                "Give each incident a short title (at most 120 characters).", field=f"incidents.{i}.title"
            )
        notes = _clean(incident.get("notes"), limit=2000, field=f"incidents.{i}.notes", label="The notes")
        _no_personal_data(title, field=f"incidents.{i}.title")
        _no_personal_data(notes, field=f"incidents.{i}.notes")
        lon, lat = incident.get("lon"), incident.get("lat")
        point = None
        if lon not in (None, "") or lat not in (None, ""):
            lon_f, lat_f = validate_point(lon, lat, lon_field=f"incidents.{i}.lon", lat_field=f"incidents.{i}.lat")
            point = Point(lon_f, lat_f)
            if not area_geom.covers(point):
                raise InvalidDebrief(
                    "The incident location must be inside the patrol area.", field=f"incidents.{i}.lon"
                )
        clean_incidents.append((title, notes, point))
    debrief = Debrief(shift_id=shift.id, filed_by_id=user.id, filed_at=now, summary=clean_summary)
    session.add(debrief)
    session.flush()
    for position, person in enumerate(clean):
        repo.add_debrief_person(
            session,
            debrief_id=debrief.id,
            position=position,
            gender=person.gender,
            age_band=person.age_band,
            handover=person.handover,
            kinds=person.kinds,
        )
    for title, notes, point in clean_incidents:
        session.add(
            DebriefIncident(
                debrief_id=debrief.id, title=title, notes=notes, geom=to_db(point) if point is not None else None
            )
        )
    session.flush()
    audit.record(
        session,
        actor=user,
        action="patrols.debrief.file",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={
            "people": len(clean),
            "actions": sum(len(p.kinds) for p in clean),
            "incidents": len(clean_incidents),
        },
        at=now,
    )
    return debrief


def estimate_people(cells: Iterable[tuple[str, str, int]]) -> dict[str, int]:
    """People by gender estimated from a debrief filed as kind x gender cells (before migration 0016):
    per gender, the largest single kind's count. A lower bound: everyone in that cell is a different
    person, and the same person may be in several kinds' cells, so no more can be claimed."""
    people: dict[str, int] = {}
    for _kind, gender, n in cells:
        people[gender] = max(people.get(gender, 0), n)
    return people


@dataclass
class DebriefView:
    debrief: Debrief
    #: Actions: how many times each kind of help was given, by gender as observed.
    counts: dict[tuple[str, str], int]
    incidents: list[dict[str, Any]]
    #: Each person supported (empty for a debrief filed before people were recorded one by one).
    people: list[PersonSupported] = field(default_factory=list)
    #: People by gender: counted from ``people``, or estimated (``estimate_people``) when ``estimated``.
    people_by_gender: dict[str, int] = field(default_factory=dict)

    @property
    def estimated(self) -> bool:
        return self.debrief.people_estimated

    @property
    def total(self) -> int:
        """People supported (each once); an estimate when ``estimated``."""
        return sum(self.people_by_gender.values())

    @property
    def actions(self) -> int:
        return sum(self.counts.values())


def _people_and_actions(
    debrief: Debrief, people: list[PersonSupported], cells: list[DebriefCount]
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """A debrief's actions (kind x gender) and people by gender, for either shape of debrief."""
    if debrief.people_estimated:
        actions = {(c.kind, c.gender): c.people for c in cells}
        return actions, estimate_people((c.kind, c.gender, c.people) for c in cells)
    counted: Counter[tuple[str, str]] = Counter()
    by_gender: Counter[str] = Counter()
    for person in people:
        by_gender[person.gender] += 1
        for kind in person.kinds:
            counted[(kind, person.gender)] += 1
    return dict(counted), dict(by_gender)


def _person(row: repo.PersonRow) -> PersonSupported:
    return PersonSupported(gender=row.gender, kinds=row.kinds, age_band=row.age_band, handover=row.handover)


def debrief_view(session: Session, shift_id: int, *, restricted: bool) -> DebriefView | None:
    """The debrief of a shift; incident notes only when ``restricted`` (coordinators)."""
    debrief = repo.debrief_for_shift(session, shift_id)
    if debrief is None:
        return None
    people = [_person(row) for row in repo.debrief_people(session, [debrief.id])]
    counts, by_gender = _people_and_actions(debrief, people, repo.debrief_counts(session, [debrief.id]))
    incidents = []
    for incident in repo.debrief_incidents(session, debrief.id):
        point = from_db(incident.geom)
        incidents.append(
            {
                "id": incident.id,
                "title": incident.title,
                "notes": incident.notes if restricted else None,
                "lon": round(point.x, 6) if point is not None else None,
                "lat": round(point.y, 6) if point is not None else None,
            }
        )
    return DebriefView(debrief, counts, incidents, people, by_gender)


# --- monthly report -------------------------------------------------------------------------------


@dataclass
class AreaMonth:
    name: str
    shifts_run: int = 0
    shifts_cancelled: int = 0
    # Staffing on the night (issue 18): run = at or above its minimum, by who checked in.
    shifts_below_minimum_confirmed: int = 0
    shifts_below_minimum_unconfirmed: int = 0
    shifts_stood_down: int = 0
    volunteer_hours: float = 0.0
    # People supported (each once) and actions (kinds of help given): see ``_people_supported``.
    people: int = 0
    women: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    people_estimated: int = 0
    handovers: Counter[str] = field(default_factory=Counter)

    @property
    def women_share(self) -> float | None:
        return self.women / self.people if self.people else None


@dataclass
class MonthlyReport:
    month: date
    shifts_run: int
    shifts_cancelled: int
    shifts_upcoming: int
    volunteer_hours: float
    people: int
    by_kind: dict[str, int]
    by_gender: dict[str, int]
    areas: list[AreaMonth]
    incidents: int
    debriefs_missing: int
    inactive_volunteers: list[str]
    # Staffing on the night and reliability (issue 18).
    staffing: MonthStaffing
    # People supported: ``people`` counts each person once, ``by_gender`` is people by gender and
    # ``by_kind`` is actions (kinds of help given) by kind; ``people_estimated`` of ``people`` come
    # from ``debriefs_estimated`` debriefs filed before people were recorded one by one.
    actions: int = 0
    people_estimated: int = 0
    debriefs_estimated: int = 0
    handovers: dict[str, int] = field(default_factory=dict)
    by_age_band: dict[str, int] = field(default_factory=dict)

    @property
    def women_share(self) -> float | None:
        """Women among the people supported (not among the actions)."""
        return self.by_gender.get("woman", 0) / self.people if self.people else None


@dataclass(frozen=True)
class StoodDownNight:
    start_at: datetime
    area_name: str
    reason: str


@dataclass
class Reliability:
    """One volunteer's no-shows and late cancellations over a period."""

    volunteer_id: int
    name: str
    no_shows: int = 0
    late_cancellations: int = 0
    #: Of the late cancellations, those a coordinator made on the volunteer's behalf.
    late_by_coordinator: int = 0

    @property
    def total(self) -> int:
        return self.no_shows + self.late_cancellations


@dataclass
class MonthStaffing:
    """How the month's past shifts were staffed, by who checked in (and who was marked a no-show)."""

    #: Ran at or above their minimum volunteers and team leads.
    run: int = 0
    #: Ran below their minimum, with a coordinator's confirmation.
    below_minimum_confirmed: int = 0
    #: Took place below their minimum without a confirmation (e.g. nobody checked in).
    below_minimum_unconfirmed: int = 0
    stood_down: list[StoodDownNight] = field(default_factory=list)
    reliability: list[Reliability] = field(default_factory=list)


def _held_a_place(signup: Signup) -> bool:
    """A cancelled sign-up that held a confirmed place when it was cancelled (not a waitlist place:
    rejoining the waitlist stamps ``waitlisted_at`` after the last ``confirmed_at``)."""
    if signup.confirmed_at is None:
        return False
    return signup.waitlisted_at is None or signup.confirmed_at >= signup.waitlisted_at


def is_late_cancellation(signup: Signup, shift: Shift, *, settings: PatrolSettings | None = None) -> bool:
    """Cancelled from a confirmed place after the cancellation deadline (only a coordinator can do that
    on a running shift), while the shift was still going ahead."""
    if signup.status != "cancelled" or signup.cancelled_at is None or not _held_a_place(signup):
        return False
    if signup.cancelled_at < cancellation_deadline(shift, settings=settings):
        return False
    if shift.status == "cancelled":  # leaving a shift already called off is not a late cancellation
        return signup.cancelled_at < (shift.stood_down_at or shift.last_modified_at)
    return True


def is_no_show(signup: Signup, shift: Shift) -> bool:
    return signup.no_show and signup.status == "confirmed" and shift.status == "scheduled"


def reliability(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    volunteer_id: int | None = None,
    settings: PatrolSettings | None = None,
) -> list[Reliability]:
    """No-shows and late cancellations per volunteer on shifts starting in [start, end), worst first;
    volunteers with neither are left out."""
    settings = settings or get_patrol_settings()
    rows: dict[int, Reliability] = {}
    names: dict[int, str] = {}
    for signup, shift in repo.reliability_signups(session, start=start, end=end, volunteer_id=volunteer_id):
        no_show = is_no_show(signup, shift)
        late = is_late_cancellation(signup, shift, settings=settings)
        if not (no_show or late):
            continue
        if signup.volunteer_id not in names:
            user = volunteer_user(session, get_volunteer(session, signup.volunteer_id))
            names[signup.volunteer_id] = user.display_name
        row = rows.setdefault(signup.volunteer_id, Reliability(signup.volunteer_id, names[signup.volunteer_id]))
        row.no_shows += no_show
        row.late_cancellations += late
        row.late_by_coordinator += late and signup.cancelled_by_id is not None
    return sorted(rows.values(), key=lambda r: (-r.total, r.name.lower()))


@dataclass(frozen=True)
class ReliabilityPeriod:
    start: datetime
    end: datetime
    row: Reliability

    @property
    def start_date(self) -> date:
        return local(self.start).date()


def volunteer_reliability(
    session: Session, volunteer: Volunteer, *, now: datetime, settings: PatrolSettings | None = None
) -> ReliabilityPeriod:
    """The volunteer's no-shows and late cancellations over the last ``reliability_days`` (shown on
    their profile with the period stated)."""
    settings = settings or get_patrol_settings()
    start = now - timedelta(days=settings.reliability_days)
    rows = reliability(session, start=start, end=now, volunteer_id=volunteer.id, settings=settings)
    name = volunteer_user(session, volunteer).display_name
    return ReliabilityPeriod(start=start, end=now, row=rows[0] if rows else Reliability(volunteer.id, name))


def _month_staffing(
    session: Session,
    *,
    shifts: list[Shift],
    areas: Mapping[int, PatrolArea],
    per_area: Mapping[int, AreaMonth],
    first: datetime,
    last: datetime,
    now: datetime,
) -> MonthStaffing:
    """Issue 18: a past shift counts as run only at or above its minimum, by who checked in (and was
    not marked a no-show); below it with a coordinator's confirmation, or without; stood-down nights
    are listed with why."""
    out = MonthStaffing()
    held = [s for s in shifts if s.status == "scheduled" and s.start_at <= now]
    checked: Counter[int] = Counter()
    leads: Counter[int] = Counter()
    for signup, volunteer in repo.signups_for_shifts(session, [s.id for s in held]):
        if signup.status == "confirmed" and signup.checked_in_at is not None and not signup.no_show:
            checked[signup.shift_id] += 1
            leads[signup.shift_id] += volunteer.is_team_lead
    for shift in held:
        item = per_area[shift.area_id]
        team = checked[shift.id]
        if team >= max(shift.min_volunteers, TEAM_MINIMUM) and leads[shift.id] >= shift.min_team_leads:
            out.run += 1
            item.shifts_run += 1
        elif team >= TEAM_MINIMUM and shift.below_minimum_confirmed_at is not None:
            out.below_minimum_confirmed += 1
            item.shifts_below_minimum_confirmed += 1
        else:
            out.below_minimum_unconfirmed += 1
            item.shifts_below_minimum_unconfirmed += 1
    for shift in shifts:
        if shift.stood_down_at is not None:
            per_area[shift.area_id].shifts_stood_down += 1
            out.stood_down.append(
                StoodDownNight(shift.start_at, areas[shift.area_id].name, shift.stand_down_reason or "")
            )
    out.stood_down.sort(key=lambda n: (n.start_at, n.area_name))
    out.reliability = reliability(session, start=first, end=min(last, now))
    return out


def parse_month(value: str | None, *, now: datetime, field: str = "month") -> date:
    if not value:
        today = local(now).date()
        return date(today.year, today.month, 1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise Invalid("Give the month as YYYY-MM, for example 2027-03.", field=field)
    return date(int(match.group(1)), int(match.group(2)), 1)


def monthly_report(session: Session, *, month: date, now: datetime) -> MonthlyReport:
    first = datetime.combine(month, time(0), LONDON).astimezone(UTC)
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    last = datetime.combine(nxt, time(0), LONDON).astimezone(UTC)
    shifts = [s for s in repo.shifts_between(session, first, last) if first <= s.start_at < last]
    areas = {a.id: a for a in repo.list_areas(session)}
    per_area: dict[int, AreaMonth] = {}
    run_ids: list[int] = []
    upcoming = 0
    for shift in shifts:
        item = per_area.setdefault(shift.area_id, AreaMonth(areas[shift.area_id].name))
        if shift.stood_down_at is not None:
            pass  # stood down: counted and listed by _month_staffing
        elif shift.status == "cancelled":
            item.shifts_cancelled += 1
        elif shift.start_at <= now:
            run_ids.append(shift.id)  # took place; _month_staffing decides whether it ran at its minimum
        else:
            upcoming += 1
    shift_by_id = {s.id: s for s in shifts}
    patrolled: set[int] = set()
    for signup, volunteer in repo.signups_for_shifts(session, run_ids):
        if signup.status == "confirmed" and not signup.no_show:
            shift = shift_by_id[signup.shift_id]
            per_area[shift.area_id].volunteer_hours += (shift.end_at - shift.start_at).total_seconds() / 3600
            patrolled.add(volunteer.id)
    debriefs = repo.debriefs_for_shifts(session, run_ids)
    shift_of_debrief = {d.id: shift_by_id[d.shift_id] for d in debriefs}
    supported = _people_supported(session, debriefs, {d: s.area_id for d, s in shift_of_debrief.items()}, per_area)
    inactive = sorted(
        u.display_name for v, u in repo.list_volunteers(session, status="active") if v.id not in patrolled
    )
    staffing = _month_staffing(session, shifts=shifts, areas=areas, per_area=per_area, first=first, last=last, now=now)
    return MonthlyReport(
        month=month,
        shifts_run=staffing.run,
        shifts_cancelled=sum(a.shifts_cancelled for a in per_area.values()),
        shifts_upcoming=upcoming,
        volunteer_hours=round(sum(a.volunteer_hours for a in per_area.values()), 1),
        people=supported.people,
        by_kind={k: supported.by_kind.get(k, 0) for k in SUPPORT_KINDS},
        by_gender={g: supported.by_gender.get(g, 0) for g in GENDERS},
        areas=sorted(per_area.values(), key=lambda a: a.name),
        incidents=repo.incident_count(session, list(shift_of_debrief)),
        debriefs_missing=len(run_ids) - len(debriefs),
        inactive_volunteers=inactive,
        actions=sum(supported.by_kind.values()),
        people_estimated=supported.people_estimated,
        debriefs_estimated=supported.debriefs_estimated,
        handovers={h: supported.handovers.get(h, 0) for h in HANDOVERS},
        by_age_band={b: supported.by_age_band.get(b, 0) for b in (*AGE_BANDS, "not_known")},
        staffing=staffing,
    )


@dataclass
class _PeopleTotals:
    people: int = 0
    people_estimated: int = 0
    debriefs_estimated: int = 0
    by_gender: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    handovers: Counter[str] = field(default_factory=Counter)
    by_age_band: Counter[str] = field(default_factory=Counter)


def _people_supported(
    session: Session, debriefs: list[Debrief], area_of_debrief: dict[int, int], per_area: dict[int, AreaMonth]
) -> _PeopleTotals:
    """The month's people and actions, added to each area too. A person recorded in a debrief counts
    once however many kinds of help they were given; each kind given is one action. A debrief filed
    before people were recorded one by one (``people_estimated``) gives its cells as actions and its
    people by ``estimate_people``, counted in ``people_estimated`` as well."""
    totals = _PeopleTotals()
    ids = [d.id for d in debriefs]
    people_of: defaultdict[int, list[PersonSupported]] = defaultdict(list)
    for row in repo.debrief_people(session, ids):
        people_of[row.debrief_id].append(_person(row))
    cells_of: defaultdict[int, list[DebriefCount]] = defaultdict(list)
    for cell in repo.debrief_counts(session, ids):
        cells_of[cell.debrief_id].append(cell)
    for debrief in debriefs:
        item = per_area[area_of_debrief[debrief.id]]
        actions, by_gender = _people_and_actions(debrief, people_of[debrief.id], cells_of[debrief.id])
        people = sum(by_gender.values())
        item.people += people
        item.women += by_gender.get("woman", 0)
        totals.people += people
        totals.by_gender.update(by_gender)
        for (kind, _gender), n in actions.items():
            item.by_kind[kind] += n
            totals.by_kind[kind] += n
        if debrief.people_estimated:
            item.people_estimated += people
            totals.people_estimated += people
            totals.debriefs_estimated += 1
            totals.by_age_band["not_known"] += people
        for person in people_of[debrief.id]:
            totals.by_age_band[person.age_band or "not_known"] += 1
            if person.handover is not None:
                item.handovers[person.handover] += 1
                totals.handovers[person.handover] += 1
    return totals


def csv_cell(value: Any) -> str:
    """Neutralise CSV injection: a cell starting with = + - @ (or tab/CR) is prefixed with '."""
    text = "" if value is None else str(value)
    return neutralise(text)


def _people_csv_rows(report: MonthlyReport, month: str) -> list[list[Any]]:
    """The month's people and actions for the CSV: actions by kind, people by gender, age band and
    hand-over (each person once)."""
    rows: list[list[Any]] = [[month, "all", f"actions_{kind}", n] for kind, n in report.by_kind.items()]
    rows += [[month, "all", f"people_{gender}", n] for gender, n in report.by_gender.items()]
    rows += [[month, "all", f"people_age_{band}", n] for band, n in report.by_age_band.items()]
    rows += [[month, "all", f"handover_{h}", n] for h, n in report.handovers.items()]
    return rows


def monthly_csv(report: MonthlyReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    month = f"{report.month:%Y-%m}"
    rows: list[list[Any]] = [["month", "area", "measure", "value"]]
    share = report.women_share
    for measure, value in [
        ("shifts_run", report.shifts_run),
        ("shifts_cancelled", report.shifts_cancelled),
        ("volunteer_hours", report.volunteer_hours),
        ("people_supported", report.people),
        ("people_estimated_from_older_debriefs", report.people_estimated),
        ("debriefs_estimated", report.debriefs_estimated),
        ("women_share_percent", round(share * 100, 1) if share is not None else ""),
        ("actions", report.actions),
        ("incidents", report.incidents),
        ("debriefs_missing", report.debriefs_missing),
    ]:
        rows.append([month, "all", measure, value])
    rows += _people_csv_rows(report, month)
    for area in report.areas:
        rows += [
            [month, area.name, "shifts_run", area.shifts_run],
            [month, area.name, "shifts_cancelled", area.shifts_cancelled],
            [month, area.name, "volunteer_hours", round(area.volunteer_hours, 1)],
            [month, area.name, "people_supported", area.people],
            [month, area.name, "people_estimated_from_older_debriefs", area.people_estimated],
            [month, area.name, "women_share_percent", round(area.women / area.people * 100, 1) if area.people else ""],
        ]
        rows += [[month, area.name, f"actions_{kind}", area.by_kind.get(kind, 0)] for kind in SUPPORT_KINDS]
        rows += [[month, area.name, f"handover_{h}", area.handovers.get(h, 0)] for h in HANDOVERS]
    for name in report.inactive_volunteers:
        rows.append([month, "all", "volunteer_without_shift", name])
    # Staffing on the night and reliability (issue 18).
    rows += [
        [month, "all", "shifts_below_minimum_confirmed", report.staffing.below_minimum_confirmed],
        [month, "all", "shifts_below_minimum_unconfirmed", report.staffing.below_minimum_unconfirmed],
        [month, "all", "shifts_stood_down", len(report.staffing.stood_down)],
    ]
    for area in report.areas:
        rows += [
            [month, area.name, "shifts_below_minimum_confirmed", area.shifts_below_minimum_confirmed],
            [month, area.name, "shifts_below_minimum_unconfirmed", area.shifts_below_minimum_unconfirmed],
            [month, area.name, "shifts_stood_down", area.shifts_stood_down],
        ]
    for night in report.staffing.stood_down:
        rows.append([month, night.area_name, "stood_down_night", f"{fmt_local(night.start_at)}: {night.reason}"])
    # One volunteer per scope "volunteer: <name>", as the per-area rows use the area's name.
    for r in report.staffing.reliability:
        rows += [
            [month, f"volunteer: {r.name}", "no_shows", r.no_shows],
            [month, f"volunteer: {r.name}", "late_cancellations", r.late_cancellations],
        ]
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def invite_volunteer(
    session: Session, *, actor: User, email: str, display_name: str, now: datetime, settings: Settings
) -> Volunteer:
    """Invite a new volunteer by e-mail (the auth service makes the account and mails a one-time
    link) and make their patrol profile now, as an applicant, so the coordinator sees them at once.
    Inviting the same address again before it was accepted sends a new link and keeps the profile."""
    invited = auth_service.invite(
        session, actor=actor, email=email, role="volunteer", display_name=display_name, now=now, settings=settings
    )
    volunteer = repo.volunteer_for_user(session, invited.user.id)
    if volunteer is None:
        volunteer = create_volunteer(session, actor=actor, user_id=invited.user.id, now=now)
    return volunteer
