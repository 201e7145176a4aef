"""Reliability: no-shows and late cancellations per volunteer over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from nte.london import london_today
from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.models import (
    Shift,
    Signup,
    Volunteer,
)
from nte.patrols.service.signups import cancellation_deadline
from nte.patrols.service.volunteers import get_volunteer, volunteer_user


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
        return london_today(self.start)


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
