"""Patrol pages: the coordinator's staffing board, areas, series, shifts, volunteers and monthly
report; the volunteer's shifts, sign-up, check-in, home safe, debrief and calendar feed.

POST handlers redirect (303) on success and re-show the page with the error next to its field and a
4xx status on failure (the service raised before writing anything)."""

from __future__ import annotations

import json
from datetime import date, time
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nte.auth.deps import CsrfProtected, require_page_roles
from nte.auth.models import Role, User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import Invalid, NTEError
from nte.patrols import service
from nte.patrols.config import get_patrol_settings
from nte.patrols.exceptions import NotAVolunteer
from nte.patrols.models import GENDERS, RECORD_KINDS, SUPPORT_KINDS, VOLUNTEER_STATUSES
from nte.web.templating import render

router = APIRouter(include_in_schema=False)
_T = TypeVar("_T")

CoordinatorPage = Depends(require_page_roles(Role.coordinator, Role.admin))
ReportPage = Depends(require_page_roles(Role.coordinator, Role.officer, Role.admin))
VolunteerPage = Depends(require_page_roles(Role.volunteer))

MAX_UPLOAD = 1_000_000


def _done(url: str, message: str) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}done={quote(message)}", status_code=303)


def _errors(exc: NTEError, default: str) -> dict[str, str]:
    return {(exc.field or default): exc.detail}


def _common(request: Request, **extra: Any) -> dict[str, Any]:
    done = request.query_params.get("done")
    return {
        "done": done[:200] if done else None,
        "errors": {},
        "form": {},
        "fmt": service.fmt_local,
        "local": service.local,
        "record_labels": service.RECORD_LABELS,
        "status_labels": service.STATUS_LABELS,
        "support_labels": service.SUPPORT_LABELS,
        "gender_labels": service.GENDER_LABELS,
        **extra,
    }


def _date(value: str, field: str, *, required: bool = True) -> date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid("Enter a date.", field=field)
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("Enter a date as YYYY-MM-DD.", field=field) from None


def _time(value: str, field: str, *, required: bool = True) -> time | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid("Enter a time.", field=field)
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise Invalid("Enter a time as HH:MM, for example 22:00.", field=field) from None


def _required(value: _T | None) -> _T:
    assert value is not None  # the parser raised Invalid for a missing required value
    return value


def _int(value: str, field: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise Invalid("Enter a whole number.", field=field) from None


# --- coordinator: staffing board ------------------------------------------------------------------


@router.get("/coordinator", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def board(request: Request, session: SessionDep) -> HTMLResponse:
    items = service.staffing_board(session, now=utcnow())
    return render(request, "patrols/board.html", _common(request, items=items))


# --- coordinator: areas ---------------------------------------------------------------------------


def _areas_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    return _common(request, areas=service.list_patrol_areas(session), **extra)


@router.get("/coordinator/areas", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def areas(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "patrols/areas.html", _areas_page(request, session))


@router.post("/coordinator/areas", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def create_area(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=600)] = "",
    geometry: Annotated[str, Form(max_length=1_500_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    user: User = CoordinatorPage,
) -> Response:
    form = {"name": name, "description": description, "geometry": geometry}
    try:
        data: str | bytes = geometry
        if file is not None and file.filename:
            data = await file.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise Invalid("The file is larger than 1 MB.", field="file")
        if not data or not str(data).strip():
            raise Invalid("Draw the area on the map, paste GeoJSON or upload a GeoJSON file.", field="geometry")
        service.create_area(
            session,
            actor=user,
            name=name,
            description=description or None,
            geometry=data,
            settings=get_settings(),
            now=utcnow(),
        )
    except NTEError as exc:
        field = "file" if (file is not None and file.filename and exc.field == "geometry") else exc.field
        return render(
            request,
            "patrols/areas.html",
            _areas_page(request, session, errors={field or "geometry": exc.detail}, form=form),
            status_code=exc.status_code,
        )
    return _done("/coordinator/areas", f"Patrol area {name.strip()} saved.")


# --- coordinator: series --------------------------------------------------------------------------


def _series_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    series = service.list_series(session)
    return _common(
        request,
        series=[(s, service.describe_series(session, s)) for s in series],
        areas=service.list_patrol_areas(session),
        **extra,
    )


@router.get("/coordinator/series", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def series_list(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "patrols/series.html",
        _series_page(
            request,
            session,
            form={
                "rrule": "FREQ=WEEKLY;BYDAY=FR",
                "start_time": "22:00",
                "end_time": "04:00",
                "min_volunteers": "4",
                "max_volunteers": "12",
                "min_team_leads": "1",
                "start_date": service.local(utcnow()).date().isoformat(),
            },
        ),
    )


@router.post("/coordinator/series", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_series(
    request: Request,
    session: SessionDep,
    area_id: Annotated[str, Form(max_length=12)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    rrule: Annotated[str, Form(max_length=400)] = "",
    start_date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "",
    end_time: Annotated[str, Form(max_length=10)] = "",
    min_volunteers: Annotated[str, Form(max_length=6)] = "",
    max_volunteers: Annotated[str, Form(max_length=6)] = "",
    min_team_leads: Annotated[str, Form(max_length=6)] = "",
    meeting_point: Annotated[str, Form(max_length=300)] = "",
    user: User = CoordinatorPage,
) -> Response:
    form = dict(
        area_id=area_id,
        name=name,
        rrule=rrule,
        start_date=start_date,
        start_time=start_time,
        end_time=end_time,
        min_volunteers=min_volunteers,
        max_volunteers=max_volunteers,
        min_team_leads=min_team_leads,
        meeting_point=meeting_point,
    )
    try:
        if not area_id.strip():
            raise Invalid("Choose a patrol area.", field="area_id")
        series = service.create_series(
            session,
            actor=user,
            area_id=_int(area_id, "area_id"),
            name=name,
            rrule=rrule,
            start_date=_required(_date(start_date, "start_date")),
            start_time=_required(_time(start_time, "start_time")),
            end_time=_required(_time(end_time, "end_time")),
            min_volunteers=_int(min_volunteers, "min_volunteers"),
            max_volunteers=_int(max_volunteers, "max_volunteers"),
            min_team_leads=_int(min_team_leads, "min_team_leads"),
            meeting_point=meeting_point or None,
            now=utcnow(),
        )
    except NTEError as exc:
        return render(
            request,
            "patrols/series.html",
            _series_page(request, session, errors=_errors(exc, "rrule"), form=form),
            status_code=exc.status_code,
        )
    return _done(f"/coordinator/series/{series.id}", "Series saved and shifts scheduled for the next 8 weeks.")


def _series_detail(request: Request, session: SessionDep, series_id: int, **extra: Any) -> dict[str, Any]:
    series = service.get_series(session, series_id)
    shifts = service.staffing_for(session, service.repo.shifts_of_series(session, series.id, from_at=utcnow()))
    return _common(
        request,
        series=series,
        description=service.describe_series(session, series),
        area=service.get_area(session, series.area_id),
        items=shifts,
        **extra,
    )


@router.get("/coordinator/series/{series_id}", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def series_detail(request: Request, session: SessionDep, series_id: int) -> HTMLResponse:
    return render(request, "patrols/series_detail.html", _series_detail(request, session, series_id))


@router.post("/coordinator/series/{series_id}/nights", response_class=HTMLResponse, dependencies=[CsrfProtected])
def change_night(
    request: Request,
    session: SessionDep,
    series_id: int,
    occurrence_date: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=20)] = "change",
    start_time: Annotated[str, Form(max_length=10)] = "",
    end_time: Annotated[str, Form(max_length=10)] = "",
    moved_to: Annotated[str, Form(max_length=20)] = "",
    user: User = CoordinatorPage,
) -> Response:
    form = dict(occurrence_date=occurrence_date, start_time=start_time, end_time=end_time, moved_to=moved_to)
    try:
        day = _date(occurrence_date, "occurrence_date")
        assert day is not None
        if action == "cancel":
            service.change_night(
                session, actor=user, series_id=series_id, occurrence_date=day, cancelled=True, now=utcnow()
            )
        elif action == "restore":
            service.change_night(session, actor=user, series_id=series_id, occurrence_date=day, now=utcnow())
        else:
            start = _time(start_time, "start_time", required=False)
            end = _time(end_time, "end_time", required=False)
            moved = _date(moved_to, "moved_to", required=False)
            if start is None and end is None and moved is None:
                raise Invalid("Give a new start time, end time or date.", field="start_time")
            service.change_night(
                session,
                actor=user,
                series_id=series_id,
                occurrence_date=day,
                start_time=start,
                end_time=end,
                moved_to=moved,
                now=utcnow(),
            )
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        return render(
            request,
            "patrols/series_detail.html",
            _series_detail(request, session, series_id, errors=_errors(exc, "occurrence_date"), form=form),
            status_code=exc.status_code,
        )
    return _done(f"/coordinator/series/{series_id}", f"Night of {occurrence_date} updated.")


# --- coordinator: one shift -----------------------------------------------------------------------


def _shift_page(request: Request, session: SessionDep, shift_id: int, **extra: Any) -> dict[str, Any]:
    shift = service.get_shift(session, shift_id)
    area = service.get_area(session, shift.area_id)
    roster = service.roster(session, shift.id)
    now = utcnow()
    return _common(
        request,
        shift=shift,
        area=area,
        staffing=service.staffing_for(session, [shift])[0],
        roster=roster,
        choices={signup.id: service.coordinator_choices(shift, signup, now=now) for signup, _, _ in roster},
        now=now,
        area_geojson=json.dumps(service.area_feature(area)),
        debrief=service.debrief_view(session, shift.id, restricted=True),
        **extra,
    )


@router.get("/coordinator/shifts/{shift_id}", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def shift_detail(request: Request, session: SessionDep, shift_id: int) -> HTMLResponse:
    return render(request, "patrols/shift.html", _shift_page(request, session, shift_id))


def _shift_action(request: Request, session: SessionDep, shift_id: int, action, message: str) -> Response:
    try:
        action()
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        return render(
            request,
            "patrols/shift.html",
            _shift_page(request, session, shift_id, errors=_errors(exc, "shift_id")),
            status_code=exc.status_code,
        )
    return _done(f"/coordinator/shifts/{shift_id}", message)


@router.post("/coordinator/shifts/{shift_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfProtected])
def cancel_shift(request: Request, session: SessionDep, shift_id: int, user: User = CoordinatorPage) -> Response:
    return _shift_action(
        request,
        session,
        shift_id,
        lambda: service.cancel_shift(session, actor=user, shift_id=shift_id, now=utcnow()),
        "Shift cancelled; the volunteers have been told.",
    )


@router.post("/coordinator/signups/{signup_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfProtected])
def take_off(request: Request, session: SessionDep, signup_id: int, user: User = CoordinatorPage) -> Response:
    signup = service.repo.get_signup(session, signup_id)
    if signup is None:
        raise service.PatrolNotFound("sign-up", field="signup_id")
    return _shift_action(
        request,
        session,
        signup.shift_id,
        lambda: service.coordinator_cancel_signup(session, actor=user, signup_id=signup_id, now=utcnow()),
        "Volunteer taken off the shift.",
    )


@router.post("/coordinator/signups/{signup_id}/no-show", response_class=HTMLResponse, dependencies=[CsrfProtected])
def no_show(
    request: Request,
    session: SessionDep,
    signup_id: int,
    value: Annotated[str, Form(max_length=5)] = "yes",
    user: User = CoordinatorPage,
) -> Response:
    signup = service.repo.get_signup(session, signup_id)
    if signup is None:
        raise service.PatrolNotFound("sign-up", field="signup_id")
    return _shift_action(
        request,
        session,
        signup.shift_id,
        lambda: service.mark_no_show(session, actor=user, signup_id=signup_id, no_show=value == "yes", now=utcnow()),
        "No-show recorded." if value == "yes" else "No-show removed.",
    )


# --- coordinator: volunteers ----------------------------------------------------------------------


def _volunteers_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    return _common(
        request,
        rows=service.list_volunteers(session, today=service.local(utcnow()).date()),
        candidates=service.repo.users_without_profile(session),
        statuses=VOLUNTEER_STATUSES,
        **extra,
    )


@router.get("/coordinator/volunteers", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def volunteers(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "patrols/volunteers.html", _volunteers_page(request, session))


@router.post("/coordinator/volunteers", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_volunteer(
    request: Request,
    session: SessionDep,
    user_id: Annotated[str, Form(max_length=12)] = "",
    phone: Annotated[str, Form(max_length=60)] = "",
    emergency_contact: Annotated[str, Form(max_length=300)] = "",
    status: Annotated[str, Form(max_length=20)] = "applicant",
    is_team_lead: Annotated[str, Form(max_length=5)] = "",
    user: User = CoordinatorPage,
) -> Response:
    form = dict(user_id=user_id, phone=phone, emergency_contact=emergency_contact, status=status)
    try:
        if not user_id.strip():
            raise Invalid("Choose a volunteer account.", field="user_id")
        volunteer = service.create_volunteer(
            session,
            actor=user,
            user_id=_int(user_id, "user_id"),
            phone=phone,
            emergency_contact=emergency_contact,
            status=status,
            is_team_lead=is_team_lead == "yes",
            now=utcnow(),
        )
    except NTEError as exc:
        return render(
            request,
            "patrols/volunteers.html",
            _volunteers_page(request, session, errors=_errors(exc, "user_id"), form=form),
            status_code=exc.status_code,
        )
    return _done(f"/coordinator/volunteers/{volunteer.id}", "Volunteer profile created.")


@router.post("/coordinator/volunteers/invite", response_class=HTMLResponse, dependencies=[CsrfProtected])
def invite_volunteer(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    user: User = CoordinatorPage,
) -> Response:
    try:
        service.invite_volunteer(
            session, actor=user, email=email, display_name=display_name, now=utcnow(), settings=get_settings()
        )
    except NTEError as exc:
        return render(
            request,
            "patrols/volunteers.html",
            _volunteers_page(
                request,
                session,
                errors=_errors(exc, "email"),
                form={"email": email, "display_name": display_name},
            ),
            status_code=exc.status_code,
        )
    return _done("/coordinator/volunteers", "Invitation sent. The link works for 7 days.")


def _volunteer_page(request: Request, session: SessionDep, volunteer_id: int, **extra: Any) -> dict[str, Any]:
    volunteer = service.get_volunteer(session, volunteer_id)
    today = service.local(utcnow()).date()
    return _common(
        request,
        volunteer=volunteer,
        person=service.volunteer_user(session, volunteer),
        records=service.record_states(session, volunteer, today=today),
        shifts=service.volunteer_shifts(session, volunteer, now=utcnow()),
        statuses=VOLUNTEER_STATUSES,
        kinds=RECORD_KINDS,
        **extra,
    )


@router.get("/coordinator/volunteers/{volunteer_id}", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def volunteer_detail(request: Request, session: SessionDep, volunteer_id: int) -> HTMLResponse:
    return render(request, "patrols/volunteer.html", _volunteer_page(request, session, volunteer_id))


@router.post("/coordinator/volunteers/{volunteer_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def update_volunteer(
    request: Request,
    session: SessionDep,
    volunteer_id: int,
    phone: Annotated[str, Form(max_length=60)] = "",
    emergency_contact: Annotated[str, Form(max_length=300)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    is_team_lead: Annotated[str, Form(max_length=5)] = "",
    user: User = CoordinatorPage,
) -> Response:
    try:
        service.update_volunteer(
            session,
            actor=user,
            volunteer_id=volunteer_id,
            phone=phone,
            emergency_contact=emergency_contact,
            status=status or None,
            is_team_lead=is_team_lead == "yes",
            now=utcnow(),
        )
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        return render(
            request,
            "patrols/volunteer.html",
            _volunteer_page(request, session, volunteer_id, errors=_errors(exc, "status")),
            status_code=exc.status_code,
        )
    return _done(f"/coordinator/volunteers/{volunteer_id}", "Profile saved.")


@router.post(
    "/coordinator/volunteers/{volunteer_id}/records", response_class=HTMLResponse, dependencies=[CsrfProtected]
)
def add_record(
    request: Request,
    session: SessionDep,
    volunteer_id: int,
    kind: Annotated[str, Form(max_length=20)] = "",
    completed_date: Annotated[str, Form(max_length=20)] = "",
    expires_date: Annotated[str, Form(max_length=20)] = "",
    reference: Annotated[str, Form(max_length=100)] = "",
    user: User = CoordinatorPage,
) -> Response:
    form = dict(kind=kind, completed_date=completed_date, expires_date=expires_date, reference=reference)
    try:
        service.add_record(
            session,
            actor=user,
            volunteer_id=volunteer_id,
            kind=kind,
            completed_date=_date(completed_date, "completed_date"),
            expires_date=_date(expires_date, "expires_date", required=False),
            reference=reference or None,
            now=utcnow(),
        )
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        return render(
            request,
            "patrols/volunteer.html",
            _volunteer_page(request, session, volunteer_id, errors=_errors(exc, "kind"), form=form),
            status_code=exc.status_code,
        )
    return _done(f"/coordinator/volunteers/{volunteer_id}", "Record added.")


# --- monthly report -------------------------------------------------------------------------------


@router.get("/coordinator/reports/monthly", response_class=HTMLResponse, dependencies=[ReportPage])
def monthly(request: Request, session: SessionDep, month: str | None = None) -> HTMLResponse:
    now = utcnow()
    try:
        chosen = service.parse_month(month, now=now)
    except NTEError as exc:
        chosen = service.parse_month(None, now=now)
        report = service.monthly_report(session, month=chosen, now=now)
        return render(
            request,
            "patrols/monthly.html",
            _common(request, report=report, errors={"month": exc.detail}, month=month or ""),
            status_code=exc.status_code,
        )
    report = service.monthly_report(session, month=chosen, now=now)
    return render(request, "patrols/monthly.html", _common(request, report=report, month=f"{chosen:%Y-%m}"))


@router.get("/coordinator/reports/monthly.csv", dependencies=[ReportPage])
def monthly_csv(session: SessionDep, month: str | None = None) -> Response:
    now = utcnow()
    chosen = service.parse_month(month, now=now)
    body = service.monthly_csv(service.monthly_report(session, month=chosen, now=now))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="patrols-{chosen:%Y-%m}.csv"'},
    )


# --- volunteer ------------------------------------------------------------------------------------


def _my_page(request: Request, session: SessionDep, user: User, **extra: Any) -> dict[str, Any]:
    volunteer = service.volunteer_for_user(session, user)
    now = utcnow()
    mine = service.volunteer_shifts(session, volunteer, now=now)
    taken = {s.id for _, s in mine}
    return _common(
        request,
        volunteer=volunteer,
        mine=mine,
        choices={signup.id: service.volunteer_choices(shift, signup, now=now) for signup, shift in mine},
        briefings=service.shift_briefings(session, volunteer=volunteer, signups=mine, now=now),
        now=now,
        open_shifts=[i for i in service.open_shifts(session, now=now) if i.shift.id not in taken],
        records=service.record_states(session, volunteer, today=service.local(now).date()),
        eligibility=service.eligibility_problem(session, volunteer, on=service.local(now).date()),
        deadline_hours=get_patrol_settings().cancellation_deadline_hours,
        **extra,
    )


@router.get("/volunteer", response_class=HTMLResponse)
def my_shifts(request: Request, session: SessionDep, user: User = VolunteerPage) -> HTMLResponse:
    try:
        context = _my_page(request, session, user)
    except NotAVolunteer:
        context = _common(request, volunteer=None)
    return render(request, "patrols/volunteer_home.html", context)


def _volunteer_action(
    request: Request, session: SessionDep, user: User, action, message: str, back: str = "/volunteer"
) -> Response:
    try:
        action(service.volunteer_for_user(session, user))
    except NTEError as exc:
        if exc.status_code == 404 and exc.field != "shift_id":
            raise
        return render(
            request,
            "patrols/volunteer_home.html",
            _my_page(request, session, user, errors=_errors(exc, "shift_id")),
            status_code=exc.status_code,
        )
    return _done(back, message)


@router.post("/volunteer/shifts/{shift_id}/signup", response_class=HTMLResponse, dependencies=[CsrfProtected])
def sign_up(request: Request, session: SessionDep, shift_id: int, user: User = VolunteerPage) -> Response:
    result: dict[str, str] = {}

    def act(volunteer):
        result["status"] = service.book_shift(session, volunteer=volunteer, shift_id=shift_id, now=utcnow()).status

    response = _volunteer_action(request, session, user, act, "")
    if isinstance(response, RedirectResponse):
        msg = (
            "You are on the waitlist; we will e-mail you if a place frees up."
            if result.get("status") == "waitlisted"
            else "You are signed up. Thank you!"
        )
        return _done("/volunteer", msg)
    return response


@router.post("/volunteer/shifts/{shift_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfProtected])
def cancel(request: Request, session: SessionDep, shift_id: int, user: User = VolunteerPage) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.cancel_signup(session, volunteer=v, shift_id=shift_id, now=utcnow()),
        "You are no longer on this shift.",
    )


@router.post("/volunteer/shifts/{shift_id}/offer", response_class=HTMLResponse, dependencies=[CsrfProtected])
def offer(
    request: Request,
    session: SessionDep,
    shift_id: int,
    accept: Annotated[str, Form(max_length=5)] = "",
    user: User = VolunteerPage,
) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.respond_to_offer(
            session, volunteer=v, shift_id=shift_id, accept=accept == "yes", now=utcnow()
        ),
        "Place confirmed. Thank you!" if accept == "yes" else "Offer declined.",
    )


@router.post("/volunteer/shifts/{shift_id}/check-in", response_class=HTMLResponse, dependencies=[CsrfProtected])
def check_in(request: Request, session: SessionDep, shift_id: int, user: User = VolunteerPage) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.check_in(session, volunteer=v, shift_id=shift_id, now=utcnow()),
        "Checked in. Stay with your team.",
    )


@router.post("/volunteer/shifts/{shift_id}/home-safe", response_class=HTMLResponse, dependencies=[CsrfProtected])
def home_safe(request: Request, session: SessionDep, shift_id: int, user: User = VolunteerPage) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.home_safe(session, volunteer=v, shift_id=shift_id, now=utcnow()),
        "Thank you, glad you are home safe.",
    )


@router.post("/volunteer/feed", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_feed(request: Request, session: SessionDep, user: User = VolunteerPage) -> Response:
    volunteer = service.volunteer_for_user(session, user)
    token = service.issue_feed_token(session, volunteer=volunteer, now=utcnow())
    url = f"{get_settings().base_url}/api/patrols/feed/{token}.ics"
    return render(request, "patrols/volunteer_home.html", _my_page(request, session, user, feed_url=url))


@router.post("/volunteer/feed/revoke", response_class=HTMLResponse, dependencies=[CsrfProtected])
def revoke_feed(request: Request, session: SessionDep, user: User = VolunteerPage) -> Response:
    volunteer = service.volunteer_for_user(session, user)
    service.revoke_feed_token(session, volunteer=volunteer, now=utcnow())
    return _done("/volunteer", "Your calendar address has been revoked; it no longer works.")


def _debrief_page(request: Request, session: SessionDep, user: User, shift_id: int, **extra: Any) -> dict[str, Any]:
    volunteer = service.volunteer_for_user(session, user)
    shift = service.get_shift(session, shift_id)
    signup = service.repo.signup_for(session, shift.id, volunteer.id)
    if signup is None or signup.status != "confirmed" or not volunteer.is_team_lead:
        raise service.NotTeamLead("Only a team lead on this shift can file its debrief.", field="shift_id")
    area = service.get_area(session, shift.area_id)
    return _common(
        request,
        shift=shift,
        area=area,
        kinds=SUPPORT_KINDS,
        genders=GENDERS,
        area_geojson=json.dumps(service.area_feature(area)),
        debrief=service.debrief_view(session, shift.id, restricted=False),
        **extra,
    )


@router.get("/volunteer/shifts/{shift_id}/debrief", response_class=HTMLResponse)
def debrief_form(request: Request, session: SessionDep, shift_id: int, user: User = VolunteerPage) -> HTMLResponse:
    return render(request, "patrols/debrief.html", _debrief_page(request, session, user, shift_id))


@router.post("/volunteer/shifts/{shift_id}/debrief", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def file_debrief(request: Request, session: SessionDep, shift_id: int, user: User = VolunteerPage) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        counts: dict[tuple[str, str], int] = {}
        for kind in SUPPORT_KINDS:
            for gender in GENDERS:
                raw = values.get(f"count.{kind}.{gender}", "").strip()
                if raw:
                    try:
                        counts[(kind, gender)] = int(raw)
                    except ValueError:
                        raise Invalid("Enter a whole number.", field=f"count.{kind}.{gender}") from None
        incidents = []
        if values.get("incidents.0.title", "").strip() or values.get("incidents.0.notes", "").strip():
            incidents.append(
                {
                    "title": values.get("incidents.0.title", ""),
                    "notes": values.get("incidents.0.notes"),
                    "lon": values.get("incidents.0.lon") or None,
                    "lat": values.get("incidents.0.lat") or None,
                }
            )
        service.file_debrief(
            session,
            user=user,
            shift_id=shift_id,
            counts=counts,
            summary=values.get("summary") or None,
            incidents=incidents,
            now=utcnow(),
        )
    except NTEError as exc:
        if exc.status_code in (403, 404):
            raise
        return render(
            request,
            "patrols/debrief.html",
            _debrief_page(request, session, user, shift_id, errors=_errors(exc, "summary"), form=values),
            status_code=exc.status_code,
        )
    return _done("/volunteer", "Debrief filed. Thank you for tonight.")
