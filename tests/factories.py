"""Builders for test data: ``make_user(db, role="officer")`` and friends. Domains add theirs."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nte.auth import service as auth_service
from nte.auth.deps import SESSION_COOKIE
from nte.auth.models import User
from nte.config import get_settings
from nte.db import utcnow

PASSWORD = "correct horse battery staple"  # noqa: S105
_seq = itertools.count(1)


def make_user(db: Session, role: str = "officer", **overrides: Any) -> User:
    n = next(_seq)
    values: dict[str, Any] = {
        "email": f"{role}{n}@example.org",
        "display_name": f"Test {role} {n}",
        "role": role,
        "password": PASSWORD,
        "confirmed_at": utcnow(),
    }
    values.update(overrides)
    user = auth_service.create_user(db, **values)
    db.flush()
    return user


def bearer(db: Session, user: User) -> dict[str, str]:
    created = auth_service.create_api_token(db, user=user, name="test", now=utcnow())
    db.flush()
    return {"Authorization": f"Bearer {created.token}"}


def login(client: TestClient, db: Session, user: User) -> str:
    """Sign ``user`` in on ``client`` (cookie set); returns the session's CSRF token."""
    new = auth_service.start_session(db, user=user, now=utcnow(), settings=get_settings())
    db.flush()
    client.cookies.set(SESSION_COOKIE, new.token)
    return new.record.csrf_token


def make_map_report(db: Session, *, lon: float, lat: float, occurred_at: Any, **overrides: Any) -> Any:
    """A report row for map statistics, its ward assigned from the point as ingestion does."""
    from shapely.geometry import Point

    from nte.maps.grid import points_to_bng
    from nte.reports.models import WARD_SUBJECT, Report, ReportCategory
    from nte.spatial import to_db
    from nte.wards.service import assign_record, locate

    ward = locate(db, lon=lon, lat=lat, settings=get_settings())
    x, y = points_to_bng([lon], [lat])
    categories = overrides.pop("categories", None) or [overrides.get("main_category", "verbal_harassment")]
    values: dict[str, Any] = {
        "source": "public",
        "status": "accepted",
        "occurred_at": occurred_at,
        "time_precision": "exact",
        "received_hour": occurred_at.replace(minute=0, second=0, microsecond=0),
        "location_precision": "exact",
        "geom": to_db(Point(lon, lat)),
        "easting": float(x[0]),
        "northing": float(y[0]),
        "ward_code": ward.code,
        "borough_code": ward.borough_code,
        "main_category": categories[0],
    }
    values.update(overrides)
    report = Report(**values)
    report.categories = [ReportCategory(category=c) for c in categories]
    db.add(report)
    db.flush()
    if report.geom is not None:  # its ward in every vintage, as ingestion does
        assign_record(db, subject=WARD_SUBJECT, subject_id=report.id, lon=lon, lat=lat)
    return report


# --- venues ----------------------------------------------------------------------------------------

SOHO = (-0.1337, 51.5133)  # Westminster (served)


def venue_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid charter sign-up (form field names)."""
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"The Test Arms {n}",
        "venue_type": "pub",
        "address": f"{n} Greek Street, London",
        "postcode": "W1D 4DQ",
        "licence_number": "",
        "lon": str(SOHO[0]),
        "lat": str(SOHO[1]),
        "contact_email": f"venue{n}@example.org",
        "contact_phone": "020 7946 0000",
        "champion_name": "Sam Champion",
        "champion_role": "Duty manager",
        "manager_name": "Alex Manager",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    for i in range(1, 8):
        values[f"pledge_{i}_status"] = "met"
        values[f"pledge_{i}_how"] = f"How we meet pledge {i}"
    values.update(overrides)
    return values


def make_venue(db: Session, *, status: str = "submitted", now: Any = None, **overrides: Any):
    """A venue signed up through the service (with its manager), moved to ``status``."""
    from nte.venues import service as venue_service

    now = now or utcnow()
    result = venue_service.sign_charter(db, raw=venue_form(**overrides), settings=get_settings(), now=now)
    venue = result.venue
    assert venue is not None
    officer = None
    path = {
        "verified": ["verify"],
        "rejected": ["reject"],
        "lapsed": ["verify", "lapse"],
        "withdrawn": ["verify", "withdraw"],
    }.get(status, [])
    for action in path:
        officer = officer or make_user(db, role="officer")
        venue_service.change_status(db, actor=officer, venue=venue, action=action, reason="test", now=now)
    db.flush()
    return venue


def make_report(db: Session, **overrides: Any):
    """A public report through the real service (ward from the point); returns (report, receipt code)."""
    from datetime import timedelta

    from nte.reports import service as report_service

    now = overrides.pop("now", None) or utcnow()
    when = now - timedelta(hours=2)
    values: dict[str, Any] = {
        "lat": 51.5132,
        "lon": -0.1337,
        "date": when.date().isoformat(),
        "time": when.strftime("%H:%M"),
        "categories": ["verbal_harassment"],
    }
    values.update(overrides)
    done = report_service.submit_report(db, data=report_service.ReportInput(**values), settings=get_settings(), now=now)
    db.flush()
    return done.report, done.receipt_code


def make_safe_space(db: Session, **overrides: Any):
    """A safe space through the real service (officer-entered, hours confirmed today unless
    ``confirm_hours=False``); pass ``status="verified"`` to verify it."""
    from nte.safespaces import service as safespace_service

    now = overrides.pop("now", None) or utcnow()
    confirm = overrides.pop("confirm_hours", True)
    status = overrides.pop("status", "unverified")
    data: dict[str, Any] = {
        "name": f"Safe space {next(_seq)}",
        "kind": "safe_haven",
        "lon": -0.1337,
        "lat": 51.5136,
        "phone": "020 7946 0000",
        "opening_hours": "24/7",
    }
    data.update(overrides)
    space = safespace_service.create_space(
        db, data=data, actor=None, settings=get_settings(), now=now, confirm_hours=confirm, status=status
    )
    db.flush()
    return space


# --- patrols ---------------------------------------------------------------------------------------

SOHO_POLYGON = {
    "type": "Polygon",
    "coordinates": [
        [
            [-0.1395, 51.5150],
            [-0.1330, 51.5165],
            [-0.1290, 51.5130],
            [-0.1330, 51.5112],
            [-0.1395, 51.5125],
            [-0.1395, 51.5150],
        ]
    ],
}


def make_patrol_area(db: Session, **overrides: Any):
    from nte.patrols import service as patrols

    values: dict[str, Any] = {"name": f"Soho {next(_seq)}", "geometry": SOHO_POLYGON, "description": None}
    values.update(overrides)
    actor = values.pop("actor", None) or make_user(db, role="coordinator")
    area = patrols.create_area(db, actor=actor, settings=get_settings(), now=utcnow(), **values)
    db.flush()
    return area


def make_volunteer(
    db: Session,
    *,
    status: str = "active",
    team_lead: bool = False,
    records: tuple[str, ...] = ("dbs", "induction"),
    expires=None,
    **user_overrides: Any,
):
    """A volunteer account with a profile and (by default) valid DBS and induction records."""
    from datetime import date, timedelta

    from nte.patrols import service as patrols

    coordinator = make_user(db, role="coordinator")
    user = make_user(db, role="volunteer", **user_overrides)
    volunteer = patrols.create_volunteer(
        db,
        actor=coordinator,
        user_id=user.id,
        phone="07700 900123",
        status=status,
        is_team_lead=team_lead,
        now=utcnow(),
    )
    expires = expires or date.today() + timedelta(days=3650)
    completed = min(date.today(), expires) - timedelta(days=365)
    for kind in records:
        patrols.add_record(
            db,
            actor=coordinator,
            volunteer_id=volunteer.id,
            kind=kind,
            completed_date=completed,
            expires_date=expires,
            now=utcnow(),
        )
    db.flush()
    return volunteer


def make_shift(
    db: Session,
    *,
    start_at=None,
    hours: float = 6,
    min_volunteers: int = 2,
    max_volunteers: int = 6,
    min_team_leads: int = 0,
    area=None,
    **overrides: Any,
):
    """A one-off scheduled shift (default: starts in 3 days, 6 hours long)."""
    from datetime import timedelta

    from nte.patrols.models import Shift

    area = area or make_patrol_area(db)
    start = start_at or (utcnow() + timedelta(days=3)).replace(microsecond=0)
    shift = Shift(
        area_id=area.id,
        start_at=start,
        end_at=start + timedelta(hours=hours),
        min_volunteers=min_volunteers,
        max_volunteers=max_volunteers,
        min_team_leads=min_team_leads,
        status="scheduled",
        sequence=0,
        last_modified_at=utcnow(),
        **overrides,
    )
    db.add(shift)
    db.flush()
    return shift
