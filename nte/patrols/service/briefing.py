"""What a volunteer needs to turn up for a shift: where, with whom, who to call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    PatrolNotFound,
)
from nte.patrols.models import (
    PatrolArea,
    Shift,
    Signup,
    Volunteer,
)
from nte.patrols.service.areas import area_feature, area_geometry, get_area
from nte.patrols.service.schedule import get_shift
from nte.patrols.service.staffing import Staffing, staffing_for


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
    point = area_geometry(area).representative_point()
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
