"""Demo data: a Soho patrol area in West End ward (Westminster), a "Friday 22:00-04:00" series, and
a volunteer profile with records for the demo volunteer account, whose DBS check expires in three
weeks (so the record expiry reminder goes out), and last Friday's shift with its debrief: each
person supported recorded once (so the monthly report has people, actions and hand-overs).
Idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.auth import repository as auth_repo
from nte.auth import service as auth_service
from nte.config import get_settings
from nte.db import utcnow
from nte.london import london_moment, london_today
from nte.patrols import repository as repo
from nte.patrols import service
from nte.patrols.models import Shift, Signup

AREA_NAME = "Soho (West End)"
SERIES_NAME = "Soho Friday nights"
#: Last Friday's debrief: each person once, with the kinds of help given and any hand-over.
DEMO_PEOPLE: list[dict[str, Any]] = [
    {"gender": "woman", "age_band": "18_24", "kinds": ["water_flipflops", "phone_charged"]},
    {"gender": "woman", "age_band": "18_24", "kinds": ["welfare", "escorted"], "handover": "taxi_home"},
    {"gender": "woman", "age_band": "25_34", "kinds": ["phone_charged"], "handover": "friends_family"},
    {"gender": "woman", "kinds": ["welfare", "first_aid"], "handover": "ambulance"},
    {"gender": "woman", "age_band": "25_34", "kinds": ["escorted"], "handover": "safe_space"},
    {"gender": "man", "age_band": "18_24", "kinds": ["welfare", "water_flipflops"], "handover": "friends_family"},
    {"gender": "man", "kinds": ["first_aid"]},
    {"gender": "not_recorded", "kinds": ["other"], "handover": "police"},
]
#: Last Friday's teammate of the demo volunteer: a volunteer profile whose account cannot sign in.
TEAMMATE_EMAIL = "teammate@demo.nte-safe.invalid"
TEAMMATE_NAME = "Demo Teammate"
#: The demo volunteer's DBS check expires this many days after the demo data is loaded.
DBS_EXPIRES_IN_DAYS = 21
# Soho: Oxford Street, Charing Cross Road, Shaftesbury Avenue and Regent Street (simplified).
SOHO = {
    "type": "Polygon",
    "coordinates": [
        [
            [-0.1312, 51.5162],
            [-0.13042, 51.51584],
            [-0.12993, 51.51419],
            [-0.13013, 51.51311],
            [-0.1334, 51.51153],
            [-0.13373, 51.51118],
            [-0.1367, 51.5111],
            [-0.1399, 51.5125],
            [-0.1396, 51.5152],
            [-0.1312, 51.5162],
        ]
    ],
}


def load_demo(session: Session, console: Any) -> None:
    now = utcnow()
    coordinator = auth_repo.get_user_by_email(session, "coordinator@demo.nte-safe.invalid")
    if coordinator is None:
        console.print("Patrols: no demo coordinator account; skipped.")
        return
    area = repo.area_by_name(session, AREA_NAME)
    if area is None:
        area = service.create_area(
            session,
            actor=coordinator,
            name=AREA_NAME,
            geometry=SOHO,
            settings=get_settings(),
            description="Soho Angels-style patrol: Friday nights, pink hi-vis.",
            now=now,
        )
    if not any(s.name == SERIES_NAME for s in repo.list_series(session)):
        service.create_series(
            session,
            actor=coordinator,
            area_id=area.id,
            name=SERIES_NAME,
            rrule="FREQ=WEEKLY;BYDAY=FR",
            start_date=london_today(now),
            start_time=time(22),
            end_time=time(4),
            min_volunteers=4,
            max_volunteers=12,
            min_team_leads=1,
            meeting_point="Soho Square, north gate",
            now=now,
        )
    user = auth_repo.get_user_by_email(session, "volunteer@demo.nte-safe.invalid")
    if user is not None and repo.volunteer_for_user(session, user.id) is None:
        volunteer = service.create_volunteer(
            session,
            actor=coordinator,
            user_id=user.id,
            phone="07700 900000",
            emergency_contact="Demo contact, 07700 900001",
            status="active",
            is_team_lead=True,
            now=now,
        )
        today = london_today(now)
        dbs_expires = today + timedelta(days=DBS_EXPIRES_IN_DAYS)
        for kind, completed_date, expires_date in (
            # The DBS check, renewed every three years, runs out three weeks after the demo is loaded:
            # inside the 30-day reminder window, so the record expiry job mails the volunteer and the
            # coordinator.
            ("dbs", dbs_expires - timedelta(days=365 * 3), dbs_expires),
            ("induction", today - timedelta(days=60), today + timedelta(days=365 * 5)),
            ("first_aid", today - timedelta(days=60), today + timedelta(days=365 * 3)),
            ("wave", today - timedelta(days=60), today + timedelta(days=365 * 2)),
        ):
            service.add_record(
                session,
                actor=coordinator,
                volunteer_id=volunteer.id,
                kind=kind,
                completed_date=completed_date,
                expires_date=expires_date,
                now=now,
            )
        console.print(f"Patrols: the demo volunteer's DBS check expires on {dbs_expires:%d %B %Y} (reminders due).")
    created = service.materialise_all(session, now=now)
    console.print(f"Patrols: {AREA_NAME!r} with {SERIES_NAME!r} (22:00-04:00); {created} shifts added or updated.")
    _last_friday_debrief(session, console, area_id=area.id, coordinator=coordinator, now=now)


def _last_friday_team(session: Session, shift: Shift, *, coordinator: Any, now: datetime) -> None:
    """The team that ran last Friday: the demo volunteer (a team lead) and a teammate (a profile with no
    sign-in), both booked, checked in and home safe, so the monthly report counts the night as run."""
    lead_user = auth_repo.get_user_by_email(session, "volunteer@demo.nte-safe.invalid")
    lead = repo.volunteer_for_user(session, lead_user.id) if lead_user is not None else None
    if lead is None:
        return  # no demo volunteer: the night stays without a roster (below its minimum)
    mate_user = auth_repo.get_user_by_email(session, TEAMMATE_EMAIL) or auth_service.create_user(
        session, email=TEAMMATE_EMAIL, display_name=TEAMMATE_NAME, role="volunteer", password=None
    )
    mate = repo.volunteer_for_user(session, mate_user.id) or service.create_volunteer(
        session,
        actor=coordinator,
        user_id=mate_user.id,
        phone="07700 900002",
        emergency_contact="Demo contact, 07700 900003",
        status="active",
        is_team_lead=False,
        now=now,
    )
    for volunteer in (lead, mate):
        session.add(
            Signup(
                shift_id=shift.id,
                volunteer_id=volunteer.id,
                status="confirmed",
                created_at=shift.start_at - timedelta(days=5),
                updated_at=shift.end_at + timedelta(minutes=10),
                confirmed_at=shift.start_at - timedelta(days=5),
                checked_in_at=shift.start_at + timedelta(minutes=5),
                home_safe_at=shift.end_at + timedelta(minutes=10),
            )
        )
    shift.places_taken = 2  # kept equal to the places its confirmed sign-ups hold
    session.flush()


def _last_friday_debrief(session: Session, console: Any, *, area_id: int, coordinator: Any, now: datetime) -> None:
    """Last Friday's 22:00-04:00 shift in the demo area (one-off, before the series starts), with a
    debrief in the one-row-per-person shape; made once."""
    today = london_today(now)
    friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
    start = london_moment(friday, time(22))
    end = london_moment(friday + timedelta(days=1), time(4))
    shift = next((s for s in repo.shifts_between(session, start, end, area_id=area_id) if s.start_at == start), None)
    if shift is None:
        shift = Shift(
            area_id=area_id, start_at=start, end_at=end, min_volunteers=2, max_volunteers=12, min_team_leads=1
        )
        session.add(shift)
        session.flush()
        _last_friday_team(session, shift, coordinator=coordinator, now=now)
    if repo.debrief_for_shift(session, shift.id) is None and now >= end:
        service.file_debrief(
            session,
            user=coordinator,
            shift_id=shift.id,
            people=DEMO_PEOPLE,
            summary="Busy but calm; one fall near Soho Square, ambulance called.",
            now=now,
        )
        console.print(f"Patrols: last Friday's debrief filed ({len(DEMO_PEOPLE)} people supported).")
