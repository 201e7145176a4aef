"""Staffing of a shift: confirmed volunteers and team leads against its minimum, the board's states
and reasons, and when the stand-down rule applies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.models import (
    Shift,
)
from nte.patrols.vocabulary import (
    STAFFING_LABELS,
)

#: A shift runs with at least this many confirmed volunteers: nobody patrols alone.
TEAM_MINIMUM = 2


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


def series_staffing(session: Session, series_id: int, *, now: datetime) -> list[Staffing]:
    """The staffing of a series' shifts from ``now`` on (its page's list of nights)."""
    return staffing_for(session, repo.shifts_of_series(session, series_id, from_at=now))


def stand_down_time(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    """From this moment a shift below its minimum and not confirmed by a coordinator is stood down."""
    settings = settings or get_patrol_settings()
    return shift.start_at - timedelta(hours=settings.stand_down_hours)


def staffing_of(session: Session, shift: Shift) -> Staffing:
    return staffing_for(session, [shift])[0]


def open_shifts(session: Session, *, now: datetime, days: int = 56) -> list[Staffing]:
    return [
        s
        for s in staffing_for(
            session, repo.shifts_between(session, now, now + timedelta(days=days), scheduled_only=True)
        )
        if s.shift.start_at > now
    ]
