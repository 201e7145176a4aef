"""The coordinator's pages: staffing board, areas, series, one shift and the monthly report."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from nte.auth.deps import CsrfProtected
from nte.auth.models import User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import Invalid, NTEError
from nte.patrols import service
from nte.patrols.pages.common import (
    MAX_UPLOAD,
    CoordinatorPage,
    ReportPage,
    field_errors,
    page_context,
    parse_date,
    parse_int,
    parse_time,
    redirect_done,
    required,
)
from nte.web.templating import render

router = APIRouter(include_in_schema=False)

# --- coordinator: staffing board ------------------------------------------------------------------


@router.get("/coordinator", response_class=HTMLResponse, dependencies=[CoordinatorPage])
def board(request: Request, session: SessionDep) -> HTMLResponse:
    items = service.staffing_board(session, now=utcnow())
    return render(request, "patrols/board.html", page_context(request, items=items))


# --- coordinator: areas ---------------------------------------------------------------------------


def _areas_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    return page_context(request, areas=service.list_patrol_areas(session), **extra)


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
    return redirect_done("/coordinator/areas", f"Patrol area {name.strip()} saved.")


# --- coordinator: series --------------------------------------------------------------------------


def _series_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    series = service.list_series(session)
    return page_context(
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
            area_id=parse_int(area_id, "area_id"),
            name=name,
            rrule=rrule,
            start_date=required(parse_date(start_date, "start_date")),
            start_time=required(parse_time(start_time, "start_time")),
            end_time=required(parse_time(end_time, "end_time")),
            min_volunteers=parse_int(min_volunteers, "min_volunteers"),
            max_volunteers=parse_int(max_volunteers, "max_volunteers"),
            min_team_leads=parse_int(min_team_leads, "min_team_leads"),
            meeting_point=meeting_point or None,
            now=utcnow(),
        )
    except NTEError as exc:
        return render(
            request,
            "patrols/series.html",
            _series_page(request, session, errors=field_errors(exc, "rrule"), form=form),
            status_code=exc.status_code,
        )
    return redirect_done(f"/coordinator/series/{series.id}", "Series saved and shifts scheduled for the next 8 weeks.")


def _series_detail(request: Request, session: SessionDep, series_id: int, **extra: Any) -> dict[str, Any]:
    series = service.get_series(session, series_id)
    shifts = service.staffing_for(session, service.repo.shifts_of_series(session, series.id, from_at=utcnow()))
    return page_context(
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
        day = parse_date(occurrence_date, "occurrence_date")
        assert day is not None
        if action == "cancel":
            service.change_night(
                session, actor=user, series_id=series_id, occurrence_date=day, cancelled=True, now=utcnow()
            )
        elif action == "restore":
            service.change_night(session, actor=user, series_id=series_id, occurrence_date=day, now=utcnow())
        else:
            start = parse_time(start_time, "start_time", required=False)
            end = parse_time(end_time, "end_time", required=False)
            moved = parse_date(moved_to, "moved_to", required=False)
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
            _series_detail(request, session, series_id, errors=field_errors(exc, "occurrence_date"), form=form),
            status_code=exc.status_code,
        )
    return redirect_done(f"/coordinator/series/{series_id}", f"Night of {occurrence_date} updated.")


# --- coordinator: one shift -----------------------------------------------------------------------


def _shift_page(request: Request, session: SessionDep, shift_id: int, **extra: Any) -> dict[str, Any]:
    shift = service.get_shift(session, shift_id)
    area = service.get_area(session, shift.area_id)
    roster = service.roster(session, shift.id)
    now = utcnow()
    return page_context(
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
            _shift_page(request, session, shift_id, errors=field_errors(exc, "shift_id")),
            status_code=exc.status_code,
        )
    return redirect_done(f"/coordinator/shifts/{shift_id}", message)


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
            page_context(request, report=report, errors={"month": exc.detail}, month=month or ""),
            status_code=exc.status_code,
        )
    report = service.monthly_report(session, month=chosen, now=now)
    return render(request, "patrols/monthly.html", page_context(request, report=report, month=f"{chosen:%Y-%m}"))


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
