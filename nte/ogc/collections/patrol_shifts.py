"""Patrol shifts for coordinators: when each night runs (UTC, and London wall clock in words), its
status, its area, and how many volunteers are signed up against how many it needs. The geometry is
the area's polygon (the shift row joined to its area in the same statement).

Never a volunteer's name, phone or emergency contact: a desktop GIS copies what it reads. Only the
counts of the sign-ups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.auth.deps import CoordinatorApi
from nte.ogc.collections.base import Context, Queryable, SqlCollection, Version
from nte.patrols import service as patrols
from nte.patrols.models import PatrolArea, Shift, Signup, Volunteer

#: A shift's status as this layer names it: a cancelled shift stood down for being below its
#: minimum is "stood_down" (the service keeps it as cancelled with a stand-down time).
SHIFT_STATES = ("scheduled", "stood_down", "cancelled")
STATE_LABELS = {"scheduled": "Scheduled", "stood_down": "Stood down", "cancelled": "Cancelled"}


def _state() -> Any:
    return sa.case(
        (sa.and_(Shift.status == "cancelled", Shift.stood_down_at.is_not(None)), "stood_down"),
        else_=Shift.status,
    )


def _signups(*statuses: str, leads: bool = False) -> Any:
    """How many sign-ups of the shift are in ``statuses`` (team leads only with ``leads``)."""
    stmt = sa.select(sa.func.count(Signup.id)).where(Signup.shift_id == Shift.id, Signup.status.in_(statuses))
    if leads:
        stmt = stmt.join(Volunteer, Volunteer.id == Signup.volunteer_id).where(Volunteer.is_team_lead.is_(True))
    return stmt.correlate(Shift).scalar_subquery()


class PatrolShiftsCollection(SqlCollection):
    id = "patrol-shifts"
    title = "Patrol shifts (coordinators)"
    description = (
        "Every patrol shift, one-off or made from a series: start and end (UTC, and London time in words), status "
        "(scheduled, stood down, cancelled), its patrol area (the geometry), and how many volunteers are signed "
        "up against the minimum it needs. No volunteer is named. Filter with CQL2 on the queryables, e.g. "
        "status = 'scheduled' AND below_minimum = true; datetime selects by start."
    )
    access = CoordinatorApi
    geometry_type = "Polygon"
    temporal = "starts_at"
    site_path = "/coordinator"
    queryables = (
        Queryable("starts_at", "string", "Starts (UTC)", format="date-time"),
        Queryable("ends_at", "string", "Ends (UTC)", format="date-time"),
        Queryable("status", "string", "Status", "scheduled, stood_down or cancelled", enum=SHIFT_STATES),
        Queryable("area_id", "integer", "Patrol area id"),
        Queryable("area_name", "string", "Patrol area"),
        Queryable("series_id", "integer", "Series id", "Empty for a one-off shift."),
        Queryable("signed_up", "integer", "Volunteers confirmed"),
        Queryable("team_leads", "integer", "Team leads confirmed"),
        Queryable("offered", "integer", "Places offered from the waitlist, not yet answered"),
        Queryable("waitlisted", "integer", "Volunteers on the waitlist"),
        Queryable("needed", "integer", "Volunteers needed (the shift's minimum)"),
        Queryable("max_volunteers", "integer", "Most volunteers"),
        Queryable("team_leads_needed", "integer", "Team leads needed"),
        Queryable(
            "below_minimum",
            "boolean",
            "Below its minimum",
            "Fewer volunteers or team leads confirmed than the shift needs.",
        ),
    )

    @property
    def key(self) -> InstrumentedAttribute[Any]:
        return Shift.id

    @property
    def geometry(self) -> InstrumentedAttribute[Any]:
        return PatrolArea.geom

    def fields(self) -> Mapping[str, Any]:
        confirmed, leads = _signups("confirmed"), _signups("confirmed", leads=True)
        return {
            "starts_at": Shift.start_at,
            "ends_at": Shift.end_at,
            "status": _state(),
            "area_id": Shift.area_id,
            "area_name": PatrolArea.name,
            "series_id": Shift.series_id,
            "signed_up": confirmed,
            "team_leads": leads,
            "offered": _signups("offered"),
            "waitlisted": _signups("waitlisted"),
            "needed": Shift.min_volunteers,
            "max_volunteers": Shift.max_volunteers,
            "team_leads_needed": Shift.min_team_leads,
            "below_minimum": sa.or_(confirmed < Shift.min_volunteers, leads < Shift.min_team_leads),
        }

    def columns(self) -> Sequence[Any]:
        f = self.fields()
        return [
            Shift.start_at.label("starts_at"),
            Shift.end_at.label("ends_at"),
            f["status"].label("status"),
            Shift.area_id.label("area_id"),
            PatrolArea.name.label("area_name"),
            Shift.series_id.label("series_id"),
            Shift.meeting_point.label("meeting_point"),
            f["signed_up"].label("signed_up"),
            f["team_leads"].label("team_leads"),
            f["offered"].label("offered"),
            f["waitlisted"].label("waitlisted"),
            Shift.min_volunteers.label("needed"),
            Shift.max_volunteers.label("max_volunteers"),
            Shift.min_team_leads.label("team_leads_needed"),
            Shift.stand_down_reason.label("stand_down_reason"),
        ]

    def conditions(self, session: Session, ctx: Context) -> list[ColumnElement[bool]]:
        # The join to the area: the geometry and the area's name are the area's.
        return [Shift.area_id == PatrolArea.id]

    def properties(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(row)
        out["starts_local"] = patrols.fmt_day(row["starts_at"])
        out["ends_local"] = patrols.fmt_day(row["ends_at"])
        out["status_label"] = STATE_LABELS.get(row["status"], row["status"])
        out["below_minimum"] = row["signed_up"] < row["needed"] or row["team_leads"] < row["team_leads_needed"]
        out["meeting_point"] = row["meeting_point"] or ""
        out["stand_down_reason"] = row["stand_down_reason"] or ""
        return out

    def version(self, session: Session, ctx: Context) -> Version:
        return shifts_version(session)


def shifts_version(session: Session) -> Version:
    """Changes whenever a shift, a sign-up or an area changes (a new shift, a status or time, a
    sign-up confirmed, offered or cancelled, an area renamed or redrawn)."""
    shifts = session.execute(
        sa.select(
            sa.func.count(Shift.id),
            sa.func.max(Shift.id),
            sa.func.max(Shift.last_modified_at),
            sa.func.coalesce(sa.func.sum(Shift.places_taken), 0),
            sa.func.coalesce(sa.func.sum(Shift.sequence), 0),
        )
    ).one()
    # Sign-ups by status (count, ids, shifts): a sign-up confirmed, offered, cancelled or moved from
    # the waitlist changes its status's row, whether or not the transition stamped updated_at.
    signups = session.execute(
        sa.select(Signup.status, sa.func.count(Signup.id), sa.func.sum(Signup.id), sa.func.sum(Signup.shift_id))
        .group_by(Signup.status)
        .order_by(Signup.status)
    ).all()
    touched = session.execute(sa.select(sa.func.max(Signup.updated_at))).scalar_one()
    # Team leads: who counts as one changes a shift's team_leads.
    leads = session.execute(
        sa.select(sa.func.count(Volunteer.id), sa.func.coalesce(sa.func.sum(Volunteer.id), 0)).where(
            Volunteer.is_team_lead.is_(True)
        )
    ).one()
    areas = session.execute(
        sa.select(sa.func.count(PatrolArea.id), sa.func.max(PatrolArea.id), sa.func.max(PatrolArea.updated_at))
    ).one()
    modified = max((v for v in (shifts[2], touched, areas[2]) if v is not None), default=None)
    tag = ":".join(str(v) for v in (*shifts, *(tuple(r) for r in signups), touched, *leads, *areas))
    return Version(f"patrol-shifts:{tag}", modified)
