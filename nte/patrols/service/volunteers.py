"""Volunteers: profiles, vetting and training records, and whether a volunteer may patrol on a night."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.auth import service as auth_service
from nte.auth.models import User
from nte.config import Settings
from nte.errors import Conflict, Invalid
from nte.london import london_today
from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.exceptions import (
    NotAVolunteer,
    PatrolNotFound,
)
from nte.patrols.models import (
    RECORD_KINDS,
    VOLUNTEER_STATUSES,
    Volunteer,
    VolunteerRecord,
)
from nte.patrols.service._common import clean_text
from nte.patrols.vocabulary import (
    RECORD_LABELS,
    STATUS_LABELS,
)


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
        phone=clean_text(phone, limit=40, field="phone", label="The phone number"),
        emergency_contact=clean_text(
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
    new_phone = clean_text(phone, limit=40, field="phone", label="The phone number") if phone is not None else None
    new_contact = (
        clean_text(emergency_contact, limit=200, field="emergency_contact", label="The emergency contact")
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
    if completed_date > london_today(now):
        raise Invalid("The completion date cannot be in the future.", field="completed_date")
    if expires_date is not None and expires_date <= completed_date:
        raise Invalid("The expiry date must be after the completion date.", field="expires_date")
    record = VolunteerRecord(
        volunteer_id=volunteer.id,
        kind=kind,
        completed_date=completed_date,
        expires_date=expires_date,
        reference=clean_text(reference, limit=80, field="reference", label="The reference"),
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


def best_records(records: Iterable[VolunteerRecord]) -> dict[tuple[int, str], VolunteerRecord]:
    """Per (volunteer, kind) the record that lasts longest (no expiry beats any date)."""
    best: dict[tuple[int, str], VolunteerRecord] = {}
    for record in records:
        key = (record.volunteer_id, record.kind)
        current = best.get(key)
        if current is None or lasts(record) > lasts(current):
            best[key] = record
    return best


def lasts(record: VolunteerRecord) -> date:
    return record.expires_date or date.max


def record_states(
    session: Session, volunteer: Volunteer, *, today: date, settings: PatrolSettings | None = None
) -> list[RecordState]:
    settings = settings or get_patrol_settings()
    best = best_records(repo.records_for(session, [volunteer.id]))
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
    best = best_records(repo.records_for(session, [volunteer.id]))
    expiry = {kind: lasts(record) for (_, kind), record in best.items()}
    return eligibility(volunteer.status, expiry, on=on, settings=settings or get_patrol_settings())


def eligibility(
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
    best = best_records(repo.records_for(session, [v.id for v, _ in rows]))
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


def volunteer_candidates(session: Session) -> list[User]:
    """Accounts with the volunteer role and no patrol profile yet (a coordinator makes one)."""
    return repo.users_without_profile(session)
