"""Every patrol query. Spatial and locking details come from ``nte.spatial``."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.patrols.models import (
    SUPPORT_KINDS,
    Debrief,
    DebriefCount,
    DebriefIncident,
    DebriefPerson,
    DebriefPersonKind,
    PatrolArea,
    SeriesNight,
    SeriesRule,
    Shift,
    ShiftSeries,
    Signup,
    Volunteer,
    VolunteerRecord,
)
from nte.spatial import lock_row, lock_rows

TAKEN = ("confirmed", "offered")  # statuses that hold a place on a shift
ACTIVE = ("confirmed", "offered", "waitlisted")  # statuses that count as "signed up"


# --- volunteers -----------------------------------------------------------------------------------


def get_volunteer(session: Session, volunteer_id: int) -> Volunteer | None:
    return session.get(Volunteer, volunteer_id)


def volunteer_for_user(session: Session, user_id: int) -> Volunteer | None:
    return session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user_id))


def volunteer_by_feed_hash(session: Session, token_hash: str) -> Volunteer | None:
    """The volunteer whose calendar feed this is, while they still patrol: a volunteer who has left,
    or whose account is deactivated, has no feed (the address stops answering at once)."""
    return session.scalar(
        sa.select(Volunteer)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.feed_token_hash == token_hash, Volunteer.status != "left", User.is_active.is_(True))
    )


def list_volunteers(session: Session, *, status: str | None = None) -> list[tuple[Volunteer, User]]:
    stmt = sa.select(Volunteer, User).join(User, User.id == Volunteer.user_id).order_by(User.display_name)
    if status:
        stmt = stmt.where(Volunteer.status == status)
    return [(v, u) for v, u in session.execute(stmt)]


def users_without_profile(session: Session) -> list[User]:
    stmt = (
        sa.select(User)
        .where(User.role == "volunteer", User.is_active.is_(True), ~sa.exists().where(Volunteer.user_id == User.id))
        .order_by(User.display_name)
    )
    return list(session.scalars(stmt))


def coordinators(session: Session) -> list[User]:
    return list(
        session.scalars(sa.select(User).where(User.role == "coordinator", User.is_active.is_(True)).order_by(User.id))
    )


def records_for(session: Session, volunteer_ids: Iterable[int]) -> list[VolunteerRecord]:
    ids = list(volunteer_ids)
    if not ids:
        return []
    stmt = (
        sa.select(VolunteerRecord)
        .where(VolunteerRecord.volunteer_id.in_(ids))
        .order_by(
            VolunteerRecord.volunteer_id,
            VolunteerRecord.kind,
            VolunteerRecord.completed_date.desc(),
            VolunteerRecord.id.desc(),
        )
    )
    return list(session.scalars(stmt))


def records_expiring_between(session: Session, first: date, last: date) -> list[VolunteerRecord]:
    stmt = sa.select(VolunteerRecord).where(VolunteerRecord.expires_date.between(first, last))
    return list(session.scalars(stmt.order_by(VolunteerRecord.id)))


# --- areas ----------------------------------------------------------------------------------------


def get_area(session: Session, area_id: int) -> PatrolArea | None:
    return session.get(PatrolArea, area_id)


def area_by_name(session: Session, name: str) -> PatrolArea | None:
    return session.scalar(sa.select(PatrolArea).where(sa.func.lower(PatrolArea.name) == name.lower()))


def list_areas(session: Session) -> list[PatrolArea]:
    return list(session.scalars(sa.select(PatrolArea).order_by(PatrolArea.name)))


# --- series ---------------------------------------------------------------------------------------


def get_series(session: Session, series_id: int) -> ShiftSeries | None:
    return session.get(ShiftSeries, series_id)


def list_series(session: Session, *, active_only: bool = False, area_id: int | None = None) -> list[ShiftSeries]:
    stmt = sa.select(ShiftSeries).order_by(ShiftSeries.name, ShiftSeries.id)
    if active_only:
        stmt = stmt.where(ShiftSeries.is_active.is_(True))
    if area_id is not None:
        stmt = stmt.where(ShiftSeries.area_id == area_id)
    return list(session.scalars(stmt))


def nights_for(session: Session, series_id: int) -> list[SeriesNight]:
    return list(
        session.scalars(
            sa.select(SeriesNight).where(SeriesNight.series_id == series_id).order_by(SeriesNight.occurrence_date)
        )
    )


def get_night(session: Session, series_id: int, occurrence_date: date) -> SeriesNight | None:
    return session.scalar(
        sa.select(SeriesNight).where(SeriesNight.series_id == series_id, SeriesNight.occurrence_date == occurrence_date)
    )


def earlier_rules(session: Session, series_id: int) -> list[SeriesRule]:
    """The rules a series followed before its current one, oldest first."""
    return list(
        session.scalars(sa.select(SeriesRule).where(SeriesRule.series_id == series_id).order_by(SeriesRule.start_date))
    )


# --- shifts ---------------------------------------------------------------------------------------


def get_shift(session: Session, shift_id: int, *, lock: bool = False) -> Shift | None:
    if not lock:
        return session.get(Shift, shift_id)
    stmt = lock_rows(sa.select(Shift).where(Shift.id == shift_id), session)
    return session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def shifts_of_series(session: Session, series_id: int, *, from_at: datetime | None = None) -> list[Shift]:
    stmt = sa.select(Shift).where(Shift.series_id == series_id)
    if from_at is not None:
        stmt = stmt.where(Shift.end_at > from_at)
    return list(session.scalars(stmt.order_by(Shift.start_at)))


def shifts_between(
    session: Session, start: datetime, end: datetime, *, area_id: int | None = None, scheduled_only: bool = False
) -> list[Shift]:
    stmt = sa.select(Shift).where(Shift.start_at < end, Shift.end_at > start)
    if area_id is not None:
        stmt = stmt.where(Shift.area_id == area_id)
    if scheduled_only:
        stmt = stmt.where(Shift.status == "scheduled")
    return list(session.scalars(stmt.order_by(Shift.start_at, Shift.id)))


def shifts_starting_between(session: Session, start: datetime, end: datetime) -> list[Shift]:
    stmt = sa.select(Shift).where(Shift.status == "scheduled", Shift.start_at > start, Shift.start_at <= end)
    return list(session.scalars(stmt.order_by(Shift.start_at, Shift.id)))


def shifts_ended_between(session: Session, start: datetime, end: datetime) -> list[Shift]:
    stmt = sa.select(Shift).where(Shift.status == "scheduled", Shift.end_at > start, Shift.end_at <= end)
    return list(session.scalars(stmt.order_by(Shift.end_at, Shift.id)))


# --- sign-ups -------------------------------------------------------------------------------------


def get_signup(session: Session, signup_id: int) -> Signup | None:
    return session.get(Signup, signup_id)


def signup_for(session: Session, shift_id: int, volunteer_id: int) -> Signup | None:
    return session.scalar(sa.select(Signup).where(Signup.shift_id == shift_id, Signup.volunteer_id == volunteer_id))


@dataclass(frozen=True)
class BookingFacts:
    """What the sign-up rules need, read in one statement."""

    shift_start_at: datetime
    shift_end_at: datetime
    shift_status: str
    volunteer_status: str
    signup_id: int | None  # this volunteer's row for the shift, if any
    signup_status: str | None
    record_expiry: dict[str, date]  # per required kind present: the latest expiry (date.max: none)
    clash_shift_id: int | None  # another shift of theirs at the same time


def booking_facts(session: Session, *, volunteer_id: int, shift_id: int, kinds: Sequence[str]) -> BookingFacts | None:
    """Lock the volunteer's row, then read the shift, their status, their sign-up for it, their
    records' expiry per kind and any overlapping shift of theirs in one statement (None when there
    is no such shift). The lock makes one volunteer's bookings run one at a time."""
    lock_row(session, Volunteer.id, volunteer_id)
    kinds = tuple(kinds)
    # Core execution on the session's connection: these rows are values, not entities, and the
    # sign-up path runs under bursts (the ORM layer would add about a third to each statement).
    session.flush()
    row = (
        session.connection()
        .execute(_booking_facts_statement(kinds), {"volunteer_id": volunteer_id, "shift_id": shift_id})
        .first()
    )
    if row is None:
        return None
    start_at, end_at, shift_status, volunteer_status, signup_id, signup_status, clash_id, *expiries = row
    return BookingFacts(
        shift_start_at=start_at,
        shift_end_at=end_at,
        shift_status=shift_status,
        volunteer_status=volunteer_status,
        signup_id=signup_id,
        signup_status=signup_status,
        record_expiry={kind: value for kind, value in zip(kinds, expiries, strict=True) if value is not None},
        clash_shift_id=clash_id,
    )


@functools.cache
def _booking_facts_statement(kinds: tuple[str, ...]) -> sa.Select[Any]:
    """Built once per set of required kinds (building it costs more than running it)."""
    other = sa.orm.aliased(Shift)
    expiry = [
        sa.select(sa.func.max(sa.func.coalesce(VolunteerRecord.expires_date, date.max)))
        .where(VolunteerRecord.volunteer_id == Volunteer.id, VolunteerRecord.kind == kind)
        .scalar_subquery()
        for kind in kinds
    ]
    clash = (
        sa.select(other.id)
        .join(Signup, Signup.shift_id == other.id)
        .where(
            Signup.volunteer_id == Volunteer.id,
            Signup.status.in_(TAKEN),
            other.status == "scheduled",
            other.id != Shift.id,
            other.start_at < Shift.end_at,
            other.end_at > Shift.start_at,
        )
        .order_by(other.start_at)
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(
            Shift.start_at, Shift.end_at, Shift.status, Volunteer.status, Signup.id, Signup.status, clash, *expiry
        )
        .select_from(Volunteer)
        .join(Shift, Shift.id == sa.bindparam("shift_id"))
        .outerjoin(Signup, sa.and_(Signup.shift_id == Shift.id, Signup.volunteer_id == Volunteer.id))
        .where(Volunteer.id == sa.bindparam("volunteer_id"))
    )


def claim_place(session: Session, shift_id: int) -> bool:
    """Take one place if one is free, in one statement. PostgreSQL re-checks the condition on the
    newest row version after waiting for a concurrent claim, so this never overbooks under READ
    COMMITTED; on SQLite writers are serialised by BEGIN IMMEDIATE."""
    result = session.connection().execute(_CLAIM, {"shift_id": shift_id})
    _expire_places(session, shift_id)
    return result.rowcount == 1


def add_places_taken(session: Session, shift_id: int, delta: int) -> None:
    """Give back (negative) or take places without a capacity check (an offer made under the lock)."""
    session.connection().execute(_ADD_PLACES, {"shift_id": shift_id, "delta": delta})
    _expire_places(session, shift_id)


# Built once and run as Core statements: the sign-up path runs these under bursts, and building a
# statement or passing it through the ORM costs more than sending it. _expire_places then reloads
# the attribute of a Shift the session holds.
_SHIFT = cast(sa.Table, Shift.__table__)  # a mapped class's table (typed as the wider FromClause)
_CLAIM = (
    _SHIFT.update()
    .where(_SHIFT.c.id == sa.bindparam("shift_id"), _SHIFT.c.places_taken < _SHIFT.c.max_volunteers)
    .values(places_taken=_SHIFT.c.places_taken + 1)
)
_ADD_PLACES = (
    _SHIFT.update()
    .where(_SHIFT.c.id == sa.bindparam("shift_id"))
    .values(places_taken=_SHIFT.c.places_taken + sa.bindparam("delta", type_=sa.Integer))
)


def _expire_places(session: Session, shift_id: int) -> None:
    shift = session.identity_map.get(session.identity_key(Shift, shift_id))  # type: ignore[arg-type]
    if shift is not None:
        session.expire(shift, ["places_taken"])


def signups_for_shift(session: Session, shift_id: int) -> list[tuple[Signup, Volunteer, User]]:
    stmt = (
        sa.select(Signup, Volunteer, User)
        .join(Volunteer, Volunteer.id == Signup.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(Signup.shift_id == shift_id)
        .order_by(Signup.status, sa.func.coalesce(Signup.waitlisted_at, Signup.created_at), Signup.id)
    )
    return [(s, v, u) for s, v, u in session.execute(stmt)]


def signups_for_shifts(session: Session, shift_ids: Sequence[int]) -> list[tuple[Signup, Volunteer]]:
    if not shift_ids:
        return []
    stmt = (
        sa.select(Signup, Volunteer)
        .join(Volunteer, Volunteer.id == Signup.volunteer_id)
        .where(Signup.shift_id.in_(list(shift_ids)))
    )
    return [(s, v) for s, v in session.execute(stmt)]


def team_of_shifts(session: Session, shift_ids: Sequence[int]) -> list[tuple[int, int, bool, str]]:
    """The confirmed volunteers on these shifts as (shift id, volunteer id, team lead, display name),
    team leads first: only what a teammate may see, no e-mail or phone number is read."""
    if not shift_ids:
        return []
    stmt = (
        sa.select(Signup.shift_id, Volunteer.id, Volunteer.is_team_lead, User.display_name)
        .join(Volunteer, Volunteer.id == Signup.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(Signup.shift_id.in_(list(shift_ids)), Signup.status == "confirmed")
        .order_by(Signup.shift_id, Volunteer.is_team_lead.desc(), Signup.id)
    )
    return [(shift_id, volunteer_id, bool(lead), name) for shift_id, volunteer_id, lead, name in session.execute(stmt)]


def next_waitlisted(session: Session, shift_id: int) -> Signup | None:
    stmt = (
        sa.select(Signup)
        .where(Signup.shift_id == shift_id, Signup.status == "waitlisted")
        .order_by(Signup.waitlisted_at, Signup.id)
        .limit(1)
    )
    return session.scalar(stmt)


def overlapping_signup(session: Session, *, volunteer_id: int, shift: Shift) -> tuple[Signup, Shift] | None:
    stmt = (
        sa.select(Signup, Shift)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Signup.volunteer_id == volunteer_id,
            Signup.status.in_(TAKEN),
            Shift.status == "scheduled",
            Shift.id != shift.id,
            Shift.start_at < shift.end_at,
            Shift.end_at > shift.start_at,
        )
        .limit(1)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def busy_volunteer_ids(session: Session, shift: Shift) -> set[int]:
    """Volunteers on this shift (any active status) or on an overlapping one."""
    stmt = (
        sa.select(Signup.volunteer_id)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            sa.or_(
                sa.and_(Signup.shift_id == shift.id, Signup.status.in_(ACTIVE)),
                sa.and_(
                    Signup.status.in_(TAKEN),
                    Shift.status == "scheduled",
                    Shift.start_at < shift.end_at,
                    Shift.end_at > shift.start_at,
                ),
            )
        )
    )
    return set(session.scalars(stmt))


def signups_of_volunteer(
    session: Session, volunteer_id: int, *, from_at: datetime | None = None
) -> list[tuple[Signup, Shift]]:
    stmt = (
        sa.select(Signup, Shift)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(Signup.volunteer_id == volunteer_id)
        .order_by(Shift.start_at)
    )
    if from_at is not None:
        stmt = stmt.where(Shift.end_at > from_at)
    return [(s, sh) for s, sh in session.execute(stmt)]


def expired_offers(session: Session, now: datetime) -> list[Signup]:
    stmt = sa.select(Signup).where(Signup.status == "offered", Signup.offer_expires_at <= now)
    return list(session.scalars(stmt.order_by(Signup.offer_expires_at, Signup.id)))


def confirmed_without_home_safe(
    session: Session, ended_before: datetime, ended_after: datetime
) -> list[tuple[Signup, Shift]]:
    stmt = (
        sa.select(Signup, Shift)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Signup.status == "confirmed",
            Signup.no_show.is_(False),
            Signup.home_safe_at.is_(None),
            Signup.lone_worker_alerted_at.is_(None),
            Shift.status == "scheduled",
            Shift.end_at <= ended_before,
            Shift.end_at > ended_after,
        )
        .order_by(Shift.end_at, Signup.id)
    )
    return [(s, sh) for s, sh in session.execute(stmt)]


# --- debriefs -------------------------------------------------------------------------------------


def debrief_for_shift(session: Session, shift_id: int) -> Debrief | None:
    return session.scalar(sa.select(Debrief).where(Debrief.shift_id == shift_id))


def debrief_counts(session: Session, debrief_ids: Sequence[int]) -> list[DebriefCount]:
    if not debrief_ids:
        return []
    return list(session.scalars(sa.select(DebriefCount).where(DebriefCount.debrief_id.in_(list(debrief_ids)))))


@dataclass(frozen=True)
class PersonRow:
    """A person supported as stored, with their kinds of help (in ``SUPPORT_KINDS`` order)."""

    debrief_id: int
    gender: str
    age_band: str | None
    handover: str | None
    kinds: tuple[str, ...]


def debrief_people(session: Session, debrief_ids: Sequence[int]) -> list[PersonRow]:
    """The people recorded in these debriefs, in each debrief's filed order."""
    if not debrief_ids:
        return []
    stmt = (
        sa.select(DebriefPerson, DebriefPersonKind.kind)
        .outerjoin(DebriefPersonKind, DebriefPersonKind.person_id == DebriefPerson.id)
        .where(DebriefPerson.debrief_id.in_(list(debrief_ids)))
        .order_by(DebriefPerson.debrief_id, DebriefPerson.position)
    )
    people: dict[int, DebriefPerson] = {}
    kinds: dict[int, set[str]] = {}
    for person, kind in session.execute(stmt):
        people.setdefault(person.id, person)
        if kind is not None:
            kinds.setdefault(person.id, set()).add(kind)
    return [
        PersonRow(
            debrief_id=p.debrief_id,
            gender=p.gender,
            age_band=p.age_band,
            handover=p.handover,
            kinds=tuple(k for k in SUPPORT_KINDS if k in kinds.get(p.id, ())),
        )
        for p in people.values()
    ]


def add_debrief_person(
    session: Session,
    *,
    debrief_id: int,
    position: int,
    gender: str,
    age_band: str | None,
    handover: str | None,
    kinds: Iterable[str],
) -> None:
    person = DebriefPerson(
        debrief_id=debrief_id, position=position, gender=gender, age_band=age_band, handover=handover
    )
    session.add(person)
    session.flush()
    session.add_all(DebriefPersonKind(person_id=person.id, kind=kind) for kind in kinds)


def debrief_incidents(session: Session, debrief_id: int) -> list[DebriefIncident]:
    return list(
        session.scalars(
            sa.select(DebriefIncident).where(DebriefIncident.debrief_id == debrief_id).order_by(DebriefIncident.id)
        )
    )


def debriefs_for_shifts(session: Session, shift_ids: Sequence[int]) -> list[Debrief]:
    if not shift_ids:
        return []
    return list(session.scalars(sa.select(Debrief).where(Debrief.shift_id.in_(list(shift_ids)))))


def incident_count(session: Session, debrief_ids: Sequence[int]) -> int:
    if not debrief_ids:
        return 0
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(DebriefIncident)
            .where(DebriefIncident.debrief_id.in_(list(debrief_ids)))
        )
        or 0
    )


# --- reliability ----------------------------------------------------------------------------------


def reliability_signups(
    session: Session, *, start: datetime, end: datetime, volunteer_id: int | None = None
) -> list[tuple[Signup, Shift]]:
    """Sign-ups on shifts starting in [start, end) that may count against a volunteer: marked
    no-shows and cancellations (the service decides which cancellations were late)."""
    stmt = (
        sa.select(Signup, Shift)
        .join(Shift, Shift.id == Signup.shift_id)
        .where(
            Shift.start_at >= start,
            Shift.start_at < end,
            sa.or_(Signup.no_show.is_(True), Signup.status == "cancelled"),
        )
        .order_by(Shift.start_at, Signup.id)
    )
    if volunteer_id is not None:
        stmt = stmt.where(Signup.volunteer_id == volunteer_id)
    return [(s, sh) for s, sh in session.execute(stmt)]
