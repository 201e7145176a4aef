"""JSON API for volunteer patrols under ``/api/patrols``."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from nte.auth.deps import CoordinatorApi, PatrolMemberApi, PatrolReaderApi, VolunteerApi, public
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import ERROR_RESPONSES
from nte.london import london_today
from nte.patrols import service
from nte.patrols.exceptions import PatrolNotFound
from nte.patrols.models import Shift, Signup
from nte.patrols.schemas import (
    AreaCreate,
    AreaRead,
    DebriefIn,
    DebriefRead,
    FeedCreated,
    NightChangeIn,
    NoShowIn,
    OfferResponse,
    PersonRead,
    RecordCreate,
    RecordRead,
    SeriesChangeIn,
    SeriesChangeRead,
    SeriesCreate,
    SeriesEndIn,
    SeriesRead,
    SeriesRuleRead,
    ShiftDecisionIn,
    ShiftRead,
    SignupIn,
    SignupRead,
    SupportCount,
    VolunteerCreate,
    VolunteerRead,
    VolunteerUpdate,
)
from nte.web.responses import GEOJSON, formats

router = APIRouter(prefix="/api/patrols", tags=["patrols"], responses=ERROR_RESPONSES)

#: Area uploads (GeoJSON polygons) may be larger than the default body limit.
BODY_LIMITS = {"/api/patrols/areas": 2_000_000, "/coordinator/areas": 2_000_000}


def _shift_read(item: service.Staffing) -> ShiftRead:
    s = item.shift
    return ShiftRead(
        id=s.id,
        series_id=s.series_id,
        occurrence_date=s.occurrence_date,
        area_id=s.area_id,
        area_name=item.area_name,
        start_at=s.start_at,
        end_at=s.end_at,
        min_volunteers=s.min_volunteers,
        max_volunteers=s.max_volunteers,
        min_team_leads=s.min_team_leads,
        status=s.status,
        sequence=s.sequence,
        confirmed=item.confirmed,
        team_leads=item.leads,
        waitlisted=item.waitlisted,
        staffing=item.state,
        reasons=item.reasons,
        stood_down_at=s.stood_down_at,
        stand_down_reason=s.stand_down_reason,
        below_minimum_confirmed_at=s.below_minimum_confirmed_at,
        below_minimum_reason=s.below_minimum_reason,
    )


def _series_read(session: SessionDep, series) -> SeriesRead:
    read = SeriesRead.model_validate(series)
    read.description = service.describe_series(session, series)
    read.earlier_rules = [SeriesRuleRead.model_validate(r) for r in service.earlier_rules(session, series)]
    return read


def _change_read(session: SessionDep, result: service.SeriesChange) -> SeriesChangeRead:
    return SeriesChangeRead(
        series=_series_read(session, result.series),
        cancelled=result.cancelled,
        moved=result.moved,
        told=result.told,
    )


# --- areas ----------------------------------------------------------------------------------------


@router.get(
    "/areas.geojson",
    summary="Patrol areas as a GeoJSON FeatureCollection (map layer)",
    responses=formats(GEOJSON),
)
def areas_geojson(user: PatrolReaderApi, session: SessionDep) -> Response:
    return Response(json.dumps(service.areas_geojson(session)), media_type="application/geo+json")


@router.post("/areas", status_code=201, summary="Create a patrol area from a GeoJSON polygon")
def create_area(body: AreaCreate, session: SessionDep, user: CoordinatorApi) -> AreaRead:
    area = service.create_area(
        session,
        actor=user,
        name=body.name,
        description=body.description,
        geometry=body.geometry,
        settings=get_settings(),
        now=utcnow(),
    )
    return AreaRead(id=area.id, name=area.name, description=area.description, area_km2=area.area_km2)


# --- series and shifts ----------------------------------------------------------------------------


@router.get("/series", summary="Shift series")
def list_series(user: CoordinatorApi, session: SessionDep) -> list[SeriesRead]:
    return [_series_read(session, s) for s in service.list_series(session)]


@router.post("/series", status_code=201, summary="Create a recurring shift series (shifts are materialised)")
def create_series(body: SeriesCreate, session: SessionDep, user: CoordinatorApi) -> SeriesRead:
    series = service.create_series(session, actor=user, now=utcnow(), **body.model_dump())
    return _series_read(session, series)


@router.put("/series/{series_id}/nights/{occurrence_date}", summary="Cancel, change or restore one night")
def change_night(
    series_id: int, occurrence_date: date, body: NightChangeIn, session: SessionDep, user: CoordinatorApi
) -> SeriesRead:
    service.change_night(
        session, actor=user, series_id=series_id, occurrence_date=occurrence_date, now=utcnow(), **body.model_dump()
    )
    return _series_read(session, service.get_series(session, series_id))


@router.post(
    "/series/{series_id}/pause",
    summary="Pause a series: its future nights are cancelled (kept) and their volunteers told",
)
def pause_series(series_id: int, session: SessionDep, user: CoordinatorApi) -> SeriesChangeRead:
    result = service.set_series_active(session, actor=user, series_id=series_id, active=False, now=utcnow())
    return _change_read(session, result)


@router.post(
    "/series/{series_id}/resume",
    summary="Resume a paused series: its nights come back on the same shifts, their volunteers told",
)
def resume_series(series_id: int, session: SessionDep, user: CoordinatorApi) -> SeriesChangeRead:
    result = service.set_series_active(session, actor=user, series_id=series_id, active=True, now=utcnow())
    return _change_read(session, result)


@router.post("/series/{series_id}/end", summary="End a series after a date: later nights are cancelled (kept)")
def end_series(series_id: int, body: SeriesEndIn, session: SessionDep, user: CoordinatorApi) -> SeriesChangeRead:
    result = service.end_series(session, actor=user, series_id=series_id, last_date=body.end_date, now=utcnow())
    return _change_read(session, result)


@router.post(
    "/series/{series_id}/change",
    summary="From a date on, change the series' rule, times, area, meeting point or staffing (in place)",
)
def change_series_from(
    series_id: int, body: SeriesChangeIn, session: SessionDep, user: CoordinatorApi
) -> SeriesChangeRead:
    result = service.change_series_from(session, actor=user, series_id=series_id, now=utcnow(), **body.model_dump())
    return _change_read(session, result)


@router.get(
    "/shifts",
    summary="Upcoming shifts with their staffing (ok / at risk / cannot run)",
)
def list_shifts(user: PatrolMemberApi, session: SessionDep, days: int = Query(56, ge=1, le=366)) -> list[ShiftRead]:
    return [_shift_read(item) for item in service.staffing_board(session, now=utcnow(), days=days)]


@router.post("/shifts/{shift_id}/cancel", summary="Cancel a shift (kept, shown as cancelled)")
def cancel_shift(shift_id: int, session: SessionDep, user: CoordinatorApi) -> ShiftRead:
    shift = service.cancel_shift(session, actor=user, shift_id=shift_id, now=utcnow())
    return _shift_read(service.staffing_for(session, [shift])[0])


@router.post(
    "/shifts/{shift_id}/confirm-below-minimum",
    summary="Confirm a shift runs below its minimum volunteers or team leads (never below two), with a reason",
)
def confirm_below_minimum(shift_id: int, body: ShiftDecisionIn, session: SessionDep, user: CoordinatorApi) -> ShiftRead:
    shift = service.confirm_below_minimum(session, actor=user, shift_id=shift_id, reason=body.reason, now=utcnow())
    return _shift_read(service.staffing_for(session, [shift])[0])


@router.post("/shifts/{shift_id}/reinstate", summary="Reinstate a stood-down shift before its start, with a reason")
def reinstate_shift(shift_id: int, body: ShiftDecisionIn, session: SessionDep, user: CoordinatorApi) -> ShiftRead:
    shift = service.reinstate_shift(session, actor=user, shift_id=shift_id, reason=body.reason, now=utcnow())
    return _shift_read(service.staffing_for(session, [shift])[0])


# --- sign-up --------------------------------------------------------------------------------------


def _signup_read(signup: Signup) -> SignupRead:
    return SignupRead.model_validate(signup)


@router.post(
    "/shifts/{shift_id}/signup",
    status_code=201,
    summary="Sign up (checks in order: already signed up, started, eligible, overlap, full -> waitlist)",
)
def sign_up(shift_id: int, user: VolunteerApi, session: SessionDep, body: SignupIn | None = None) -> SignupRead:
    volunteer = service.volunteer_for_user(session, user)
    return _signup_read(
        service.book_shift(
            session, volunteer=volunteer, shift_id=shift_id, now=utcnow(), join_waitlist=body.waitlist if body else True
        )
    )


@router.delete("/shifts/{shift_id}/signup", summary="Cancel my place (until the deadline) or leave the waitlist")
def cancel_my_signup(shift_id: int, session: SessionDep, user: VolunteerApi) -> SignupRead:
    volunteer = service.volunteer_for_user(session, user)
    return _signup_read(service.cancel_signup(session, volunteer=volunteer, shift_id=shift_id, now=utcnow()))


@router.post("/shifts/{shift_id}/offer", summary="Accept or decline a place offered from the waitlist")
def respond_to_offer(shift_id: int, body: OfferResponse, session: SessionDep, user: VolunteerApi) -> SignupRead:
    volunteer = service.volunteer_for_user(session, user)
    return _signup_read(
        service.respond_to_offer(session, volunteer=volunteer, shift_id=shift_id, accept=body.accept, now=utcnow())
    )


@router.post("/shifts/{shift_id}/check-in", summary="Check in at the start of the shift")
def check_in(shift_id: int, session: SessionDep, user: VolunteerApi) -> SignupRead:
    volunteer = service.volunteer_for_user(session, user)
    return _signup_read(service.check_in(session, volunteer=volunteer, shift_id=shift_id, now=utcnow()))


@router.post("/shifts/{shift_id}/home-safe", summary="Confirm I am home safe after the shift")
def home_safe(shift_id: int, session: SessionDep, user: VolunteerApi) -> SignupRead:
    volunteer = service.volunteer_for_user(session, user)
    return _signup_read(service.home_safe(session, volunteer=volunteer, shift_id=shift_id, now=utcnow()))


@router.get("/shifts/{shift_id}/signups", summary="Who is on a shift (with contact details)")
def shift_signups(shift_id: int, user: CoordinatorApi, session: SessionDep) -> list[SignupRead]:
    service.get_shift(session, shift_id)
    return [_signup_read(s) for s, _v, _u in service.roster(session, shift_id)]


@router.post("/signups/{signup_id}/cancel", summary="Take a volunteer off a shift (coordinator override)")
def coordinator_cancel(signup_id: int, session: SessionDep, user: CoordinatorApi) -> SignupRead:
    return _signup_read(service.coordinator_cancel_signup(session, actor=user, signup_id=signup_id, now=utcnow()))


@router.post("/signups/{signup_id}/no-show", summary="Mark (or unmark) a no-show")
def no_show(signup_id: int, body: NoShowIn, session: SessionDep, user: CoordinatorApi) -> SignupRead:
    return _signup_read(
        service.mark_no_show(session, actor=user, signup_id=signup_id, no_show=body.no_show, now=utcnow())
    )


# --- debrief --------------------------------------------------------------------------------------


def _debrief_read(shift: Shift, view: service.DebriefView) -> DebriefRead:
    return DebriefRead(
        shift_id=shift.id,
        filed_at=view.debrief.filed_at,
        summary=view.debrief.summary,
        people=[
            PersonRead(gender=p.gender, age_band=p.age_band, kinds=list(p.kinds), handover=p.handover)
            for p in view.people
        ],
        total=view.total,
        people_estimated=view.estimated,
        people_by_gender=view.people_by_gender,
        counts=[SupportCount(kind=k, gender=g, people=n) for (k, g), n in sorted(view.counts.items())],
        actions=view.actions,
        incidents=view.incidents,
    )


@router.post("/shifts/{shift_id}/debrief", status_code=201, summary="File the debrief (team lead or coordinator)")
def file_debrief(
    shift_id: int,
    body: DebriefIn,
    session: SessionDep,
    user: PatrolMemberApi,
) -> DebriefRead:
    service.file_debrief(
        session,
        user=user,
        shift_id=shift_id,
        people=[p.model_dump() for p in body.people],
        summary=body.summary,
        incidents=[i.model_dump() for i in body.incidents],
        now=utcnow(),
    )
    shift = service.get_shift(session, shift_id)
    view = service.debrief_view(session, shift_id, restricted=user.role != "volunteer")
    assert view is not None
    return _debrief_read(shift, view)


@router.get(
    "/shifts/{shift_id}/debrief",
    summary="A shift's debrief, with restricted incident notes",
)
def get_debrief(shift_id: int, user: CoordinatorApi, session: SessionDep) -> DebriefRead:
    shift = service.get_shift(session, shift_id)
    view = service.debrief_view(session, shift_id, restricted=True)
    if view is None:
        raise PatrolNotFound("debrief for this shift", field="shift_id")
    return _debrief_read(shift, view)


# --- volunteers -----------------------------------------------------------------------------------


def _volunteer_read(session: SessionDep, volunteer, problems: list[str] | None = None) -> VolunteerRead:
    user = service.volunteer_user(session, volunteer)
    return VolunteerRead(
        id=volunteer.id,
        user_id=user.id,
        name=user.display_name,
        email=user.email,
        phone=volunteer.phone,
        emergency_contact=volunteer.emergency_contact,
        status=volunteer.status,
        is_team_lead=volunteer.is_team_lead,
        problems=problems or [],
    )


@router.get("/volunteers", summary="Volunteers with contact details and record problems")
def list_volunteers(user: CoordinatorApi, session: SessionDep) -> list[VolunteerRead]:
    today = london_today(utcnow())
    return [
        _volunteer_read(session, row["volunteer"], row["problems"])
        for row in service.list_volunteers(session, today=today)
    ]


@router.post("/volunteers", status_code=201, summary="Create a volunteer profile for a volunteer account")
def create_volunteer(body: VolunteerCreate, session: SessionDep, user: CoordinatorApi) -> VolunteerRead:
    volunteer = service.create_volunteer(session, actor=user, now=utcnow(), **body.model_dump())
    return _volunteer_read(session, volunteer)


@router.patch("/volunteers/{volunteer_id}", summary="Update status, contact or team-lead flag")
def update_volunteer(
    volunteer_id: int, body: VolunteerUpdate, session: SessionDep, user: CoordinatorApi
) -> VolunteerRead:
    volunteer = service.update_volunteer(
        session, actor=user, volunteer_id=volunteer_id, now=utcnow(), **body.model_dump(exclude_unset=True)
    )
    return _volunteer_read(session, volunteer)


@router.post("/volunteers/{volunteer_id}/records", status_code=201, summary="Add a vetting or training record")
def add_record(volunteer_id: int, body: RecordCreate, session: SessionDep, user: CoordinatorApi) -> RecordRead:
    record = service.add_record(session, actor=user, volunteer_id=volunteer_id, now=utcnow(), **body.model_dump())
    return RecordRead.model_validate(record)


# --- reports --------------------------------------------------------------------------------------


@router.get("/reports/monthly", summary="Monthly report for the council")
def monthly_report(
    user: PatrolReaderApi, session: SessionDep, month: str | None = Query(None, max_length=7, examples=["2027-03"])
) -> dict:
    now = utcnow()
    report = service.monthly_report(session, month=service.parse_month(month, now=now), now=now)
    return {
        "month": f"{report.month:%Y-%m}",
        "shifts_run": report.shifts_run,
        "shifts_cancelled": report.shifts_cancelled,
        "volunteer_hours": report.volunteer_hours,
        "people_supported": report.people,
        "people_estimated_from_older_debriefs": report.people_estimated,
        "debriefs_estimated": report.debriefs_estimated,
        "people_by_gender": report.by_gender,
        "people_by_age_band": report.by_age_band,
        "women_share": report.women_share,
        "actions": report.actions,
        "actions_by_kind": report.by_kind,
        "handovers": report.handovers,
        # Kept for older readers: actions by kind, and people (each once) by gender.
        "by_kind": report.by_kind,
        "by_gender": report.by_gender,
        "incidents": report.incidents,
        "areas": [
            {
                "name": a.name,
                "shifts_run": a.shifts_run,
                "shifts_cancelled": a.shifts_cancelled,
                "volunteer_hours": round(a.volunteer_hours, 1),
                "people_supported": a.people,
                "people_estimated_from_older_debriefs": a.people_estimated,
                "women": a.women,
                "actions_by_kind": {k: a.by_kind.get(k, 0) for k in service.SUPPORT_KINDS},
                "handovers": {h: a.handovers.get(h, 0) for h in service.HANDOVERS},
            }
            for a in report.areas
        ],
        "volunteers_without_shift": report.inactive_volunteers,
        # Staffing on the night and reliability (issue 18): shifts_run counts only those at their minimum.
        "shifts_below_minimum_confirmed": report.staffing.below_minimum_confirmed,
        "shifts_below_minimum_unconfirmed": report.staffing.below_minimum_unconfirmed,
        "stood_down": [
            {"start_at": n.start_at.isoformat(), "area": n.area_name, "reason": n.reason}
            for n in report.staffing.stood_down
        ],
        "reliability": [
            {"volunteer": r.name, "no_shows": r.no_shows, "late_cancellations": r.late_cancellations}
            for r in report.staffing.reliability
        ],
    }


# --- the volunteer's own shifts -------------------------------------------------------------------


@router.get(
    "/me/shifts/{shift_id}/area.geojson",
    summary="The patrol area of a shift I am on (confirmed, offered or waitlisted), as a GeoJSON Feature",
    responses=formats(GEOJSON),
)
def my_shift_area(shift_id: int, session: SessionDep, user: VolunteerApi) -> Response:
    volunteer = service.volunteer_for_user(session, user)
    feature = service.volunteer_area_feature(session, volunteer=volunteer, shift_id=shift_id)
    return Response(json.dumps(feature), media_type="application/geo+json")


# --- calendar feed --------------------------------------------------------------------------------


@router.post("/me/feed", status_code=201, summary="Create (or replace) my secret calendar feed URL")
def create_feed(session: SessionDep, user: VolunteerApi) -> FeedCreated:
    volunteer = service.volunteer_for_user(session, user)
    token = service.issue_feed_token(session, volunteer=volunteer, now=utcnow())
    return FeedCreated(url=service.feed_url(token, settings=get_settings()))


@router.delete("/me/feed", status_code=204, summary="Revoke my calendar feed URL")
def revoke_feed(session: SessionDep, user: VolunteerApi) -> Response:
    volunteer = service.volunteer_for_user(session, user)
    service.revoke_feed_token(session, volunteer=volunteer, now=utcnow())
    return Response(status_code=204)


@router.get(
    "/feed/{token}.ics",
    summary="A volunteer's shifts as iCalendar (secret URL; ETag)",
    dependencies=[Depends(public)],
    response_class=Response,
)
def feed(token: str, session: SessionDep, if_none_match: str | None = Header(None)) -> Response:
    body, etag = service.feed_for_token(session, token=token[:100], now=utcnow(), settings=get_settings())
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"}
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" and "x" name the same tag.
    if if_none_match and etag.removeprefix("W/") in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
