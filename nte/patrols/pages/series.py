"""The coordinator's series pages: the list, a new series (weekday pickers or an RRULE), one series
with its nights, and pause/resume, end, change from a date and one night's changes."""

from __future__ import annotations

from datetime import date as date_
from datetime import time as time_
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from nte.auth.deps import CoordinatorPage, CsrfProtected
from nte.db import SessionDep, utcnow
from nte.errors import FieldErrors, Invalid, NTEError
from nte.london import london_today
from nte.patrols import service
from nte.patrols.messages import CHANGED_CANCELLED, CHANGED_MOVED, CHANGED_NOBODY, CHANGED_TOLD, FLASH, render
from nte.patrols.pages.common import (
    ordered_errors,
    page_context,
    parse_date,
    parse_int,
    parse_time,
    required,
)
from nte.patrols.recurrence import (
    WEEKDAY_CODES,
    InvalidSeries,
    ShiftSeriesSpec,
    plain_words,
    rule_until,
    weekdays_of,
    weekly_rule,
    with_until,
)
from nte.web.forms import field_errors
from nte.web.templating import render as render_page

router = APIRouter(include_in_schema=False)

SERIES_FIELDS = (
    "area_id",
    "name",
    "weekdays",
    "interval",
    "start_time",
    "end_time",
    "start_date",
    "end_date",
    "rrule",
    "min_volunteers",
    "max_volunteers",
    "min_team_leads",
    "meeting_point",
)


# --- coordinator: series --------------------------------------------------------------------------


DAY_LABELS = dict(
    zip(WEEKDAY_CODES, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
MISSING = {
    "start_time": "Enter a start time, for example 22:00.",
    "end_time": "Enter an end time, for example 03:00 (earlier than the start means the next morning).",
    "start_date": "Enter the date of the first possible night.",
    "from_date": "Enter the date the change starts from.",
    "end_date": "Enter the date of the last night.",
}


class _Form:
    """Reads a form's fields, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def _missing(self, exc: NTEError, field: str) -> None:
        self.errors.setdefault(
            field, MISSING.get(field, exc.detail) if exc.detail.startswith("Enter a ") else exc.detail
        )

    def date(self, value: str, field: str, *, required: bool = True) -> date_ | None:
        try:
            return parse_date(value, field, required=required)
        except NTEError as exc:
            self._missing(exc, field)
            return None

    def time(self, value: str, field: str) -> time_ | None:
        try:
            return parse_time(value, field)
        except NTEError as exc:
            if (value or "").strip():
                self.errors.setdefault(field, exc.detail)
            else:
                self.errors.setdefault(field, MISSING.get(field, exc.detail))
            return None

    def number(self, value: str, field: str) -> int | None:
        try:
            return parse_int(value, field)
        except NTEError as exc:
            self.errors.setdefault(field, exc.detail)
            return None

    def rule(
        self,
        *,
        advanced: str,
        weekdays: list[str],
        interval: str,
        end_date: date_ | None,
        day_field: str = "weekdays",
        rule_field: str = "rrule",
    ) -> str | None:
        """The RRULE: the advanced text when filled (it wins; an end date still sets UNTIL), else
        built from the weekday and "every 2nd week" pickers."""
        text = (advanced or "").strip()
        if text:
            if end_date is None:
                return text
            try:
                return with_until(text, end_date)
            except InvalidSeries:
                return text  # its own error is reported when the rule is checked
        every = 2 if interval == "2" else 1
        if not weekdays:
            self.errors.setdefault(day_field, "Tick at least one weekday (or write a rule under Advanced).")
            return None
        try:
            return weekly_rule(weekdays, interval=every, until=end_date)
        except InvalidSeries as exc:
            self.errors.setdefault(day_field, f"{exc.message[:1].upper()}{exc.message[1:]}.")
            return None


def _rule_errors(
    problems: dict[str, str], *, from_pickers: bool, has_end: bool, rename: dict[str, str]
) -> dict[str, str]:
    """Service problems in the form's words and fields: a rule built from the pickers that makes no
    night is the weekdays' or end date's problem, not the (hidden) rule text's."""
    out: dict[str, str] = {}
    for key, detail in problems.items():
        if key == "rrule" and detail.startswith("Generates no nights"):
            detail = "No night falls between the first date and the end date: check the weekdays and the dates."
            key = "end_date" if has_end else ("weekdays" if from_pickers else "rrule")
        elif key == "rrule" and from_pickers:
            key = "weekdays"
        elif key == "end_time" and detail.startswith("Must differ"):
            detail = "The end time must differ from the start time."
        out[rename.get(key, key)] = detail
    return out


def _state(series: Any) -> str:
    """Running, Paused, or Ended (its last night, the rule's UNTIL, is before today)."""
    until = rule_until(series.rrule, series.tz)
    if until is not None and until < london_today(utcnow()):
        return "Ended"
    return "Running" if series.is_active else "Paused"


def _series_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    series = service.list_series(session)
    return page_context(
        request,
        series=[(s, service.series_plain_words(session, s), _state(s)) for s in series],
        areas=service.list_patrol_areas(session),
        day_labels=DAY_LABELS,
        **extra,
    )


@router.get("/coordinator/series", response_class=HTMLResponse)
def series_list(request: Request, user: CoordinatorPage, session: SessionDep) -> HTMLResponse:
    return render_page(
        request,
        "patrols/series.html",
        _series_page(
            request,
            session,
            form={
                "weekdays": ["FR"],
                "start_time": "22:00",
                "end_time": "04:00",
                "min_volunteers": "4",
                "max_volunteers": "12",
                "min_team_leads": "1",
                "start_date": london_today(utcnow()).isoformat(),
            },
        ),
    )


def _preview(rule: str, start: date_, start_time: time_, end_time: time_) -> dict[str, str]:
    spec = ShiftSeriesSpec(rrule=rule, start_date=start, start_time=start_time, end_time=end_time)
    return {"words": plain_words(spec), "rule": rule}


@router.post("/coordinator/series", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_series(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    area_id: Annotated[str, Form(max_length=12)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    weekdays: Annotated[list[str] | None, Form(max_length=7)] = None,
    interval: Annotated[str, Form(max_length=2)] = "1",
    rrule: Annotated[str, Form(max_length=400)] = "",
    start_date: Annotated[str, Form(max_length=20)] = "",
    end_date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "",
    end_time: Annotated[str, Form(max_length=10)] = "",
    min_volunteers: Annotated[str, Form(max_length=6)] = "",
    max_volunteers: Annotated[str, Form(max_length=6)] = "",
    min_team_leads: Annotated[str, Form(max_length=6)] = "",
    meeting_point: Annotated[str, Form(max_length=300)] = "",
    action: Annotated[str, Form(max_length=10)] = "create",
) -> Response:
    days = [d[:2].upper() for d in (weekdays or [])][:7]
    form: dict[str, Any] = dict(
        area_id=area_id,
        name=name,
        weekdays=days,
        interval=interval,
        rrule=rrule,
        start_date=start_date,
        end_date=end_date,
        start_time=start_time,
        end_time=end_time,
        min_volunteers=min_volunteers,
        max_volunteers=max_volunteers,
        min_team_leads=min_team_leads,
        meeting_point=meeting_point,
    )
    f = _Form()
    area = f.number(area_id, "area_id") if area_id.strip() else None
    if not area_id.strip():
        f.errors["area_id"] = "Choose a patrol area."
    first = f.date(start_date, "start_date")
    last = f.date(end_date, "end_date", required=False)
    if first is not None and last is not None and last < first:
        f.errors["end_date"] = "The end date is before the first night: choose a later end date."
        last = None
    start = f.time(start_time, "start_time")
    end = f.time(end_time, "end_time")
    rule = f.rule(advanced=rrule, weekdays=days, interval=interval, end_date=last)
    numbers = {
        key: f.number(value, key)
        for key, value in (
            ("min_volunteers", min_volunteers),
            ("max_volunteers", max_volunteers),
            ("min_team_leads", min_team_leads),
        )
    }
    problems = service.series_problems(
        session,
        area_id=area,
        name=name,
        rrule=rule,
        start_date=first,
        start_time=start,
        end_time=end,
        meeting_point=meeting_point or None,
        min_volunteers=numbers["min_volunteers"],
        max_volunteers=numbers["max_volunteers"],
        min_team_leads=numbers["min_team_leads"],
    )
    errors = {
        **_rule_errors(problems, from_pickers=not rrule.strip(), has_end=last is not None, rename={}),
        **f.errors,
    }
    if errors:
        return render_page(
            request,
            "patrols/series.html",
            _series_page(request, session, errors=ordered_errors(errors, SERIES_FIELDS), form=form),
            status_code=422,
        )
    assert area is not None and rule is not None and first is not None and start is not None and end is not None
    if action == "preview":
        return render_page(
            request,
            "patrols/series.html",
            _series_page(request, session, form=form, preview=_preview(rule, first, start, end)),
        )
    try:
        series = service.create_series(
            session,
            actor=user,
            area_id=area,
            name=name,
            rrule=rule,
            start_date=first,
            start_time=start,
            end_time=end,
            min_volunteers=required(numbers["min_volunteers"]),
            max_volunteers=required(numbers["max_volunteers"]),
            min_team_leads=required(numbers["min_team_leads"]),
            meeting_point=meeting_point or None,
            now=utcnow(),
        )
    except NTEError as exc:
        errors = field_errors(exc, default="rrule")
        return render_page(
            request,
            "patrols/series.html",
            _series_page(request, session, errors=errors, form=form),
            status_code=exc.status_code,
        )
    return FLASH.redirect(
        f"/coordinator/series/{series.id}", "series.saved", words=service.series_plain_words(session, series)
    )


def _series_detail(request: Request, session: SessionDep, series_id: int, **extra: Any) -> dict[str, Any]:
    series = service.get_series(session, series_id)
    now = utcnow()
    shifts = service.series_staffing(session, series.id, now=now)
    pickers = weekdays_of(series.rrule)
    today = london_today(now)
    change_form = {
        "from_date": max(today, series.start_date).isoformat(),
        "new_weekdays": pickers[0] if pickers else [],
        "new_interval": str(pickers[1]) if pickers else "1",
        "new_rrule": "" if pickers else series.rrule,
        "new_start_time": f"{series.start_time:%H:%M}",
        "new_end_time": f"{series.end_time:%H:%M}",
        "new_meeting_point": series.meeting_point or "",
        "new_min_volunteers": str(series.min_volunteers),
        "new_max_volunteers": str(series.max_volunteers),
        "new_min_team_leads": str(series.min_team_leads),
    }
    until = rule_until(series.rrule, series.tz)
    context = page_context(
        request,
        series=series,
        description=service.series_plain_words(session, series),
        area=service.get_area(session, series.area_id),
        items=shifts,
        day_labels=DAY_LABELS,
        until=until,
        signed_up=sum(item.confirmed + item.offered + item.waitlisted for item in shifts if item.state != "cancelled"),
        scheduled=sum(1 for item in shifts if item.state != "cancelled"),
        **extra,
    )
    context["form"] = {**change_form, "end_date": until.isoformat() if until else "", **context["form"]}
    return context


@router.get("/coordinator/series/{series_id}", response_class=HTMLResponse)
def series_detail(request: Request, user: CoordinatorPage, session: SessionDep, series_id: int) -> HTMLResponse:
    return render_page(request, "patrols/series_detail.html", _series_detail(request, session, series_id))


def _series_refused(
    request: Request,
    session: SessionDep,
    series_id: int,
    exc: NTEError,
    form: dict[str, Any],
    *,
    default: str,
    rename: dict[str, str] | None = None,
) -> Response:
    if exc.status_code == 404:
        raise exc
    errors = field_errors(exc, default=default)
    if rename:
        errors = {rename.get(k, k): v for k, v in errors.items()}
    return render_page(
        request,
        "patrols/series_detail.html",
        _series_detail(request, session, series_id, errors=errors, form=form),
        status_code=exc.status_code,
    )


@router.post("/coordinator/series/{series_id}/pause", response_class=HTMLResponse, dependencies=[CsrfProtected])
def pause_series(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    series_id: int,
    action: Annotated[str, Form(max_length=10)] = "pause",
) -> Response:
    active = action == "resume"
    try:
        result = service.set_series_active(session, actor=user, series_id=series_id, active=active, now=utcnow())
    except NTEError as exc:
        return _series_refused(request, session, series_id, exc, {}, default="series_id")
    key = ("series.resumed" if active else "series.paused") + ("_told" if result.told else "")
    return FLASH.redirect(
        f"/coordinator/series/{series_id}", key, moved=result.moved, cancelled=result.cancelled, told=result.told
    )


@router.post("/coordinator/series/{series_id}/end", response_class=HTMLResponse, dependencies=[CsrfProtected])
def end_series(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    series_id: int,
    end_date: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = {"end_date": end_date}
    try:
        if not end_date.strip():  # nothing typed: say which date is wanted
            raise Invalid(MISSING["end_date"], field="end_date")
        last = required(parse_date(end_date, "end_date"))
        result = service.end_series(session, actor=user, series_id=series_id, last_date=last, now=utcnow())
    except NTEError as exc:
        return _series_refused(request, session, series_id, exc, form, default="end_date")
    return FLASH.redirect(
        f"/coordinator/series/{series_id}",
        "series.ended_told" if result.told else "series.ended",
        last=f"{last:%d %b %Y}",
        cancelled=result.cancelled,
        told=result.told,
    )


@router.post("/coordinator/series/{series_id}/change", response_class=HTMLResponse, dependencies=[CsrfProtected])
def change_series(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    series_id: int,
    from_date: Annotated[str, Form(max_length=20)] = "",
    new_weekdays: Annotated[list[str] | None, Form(max_length=7)] = None,
    new_interval: Annotated[str, Form(max_length=2)] = "1",
    new_rrule: Annotated[str, Form(max_length=400)] = "",
    new_start_time: Annotated[str, Form(max_length=10)] = "",
    new_end_time: Annotated[str, Form(max_length=10)] = "",
    new_meeting_point: Annotated[str, Form(max_length=300)] = "",
    new_min_volunteers: Annotated[str, Form(max_length=6)] = "",
    new_max_volunteers: Annotated[str, Form(max_length=6)] = "",
    new_min_team_leads: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    service.get_series(session, series_id)  # 404 first
    days = [d[:2].upper() for d in (new_weekdays or [])][:7]
    form: dict[str, Any] = dict(
        from_date=from_date,
        new_weekdays=days,
        new_interval=new_interval,
        new_rrule=new_rrule,
        new_start_time=new_start_time,
        new_end_time=new_end_time,
        new_meeting_point=new_meeting_point,
        new_min_volunteers=new_min_volunteers,
        new_max_volunteers=new_max_volunteers,
        new_min_team_leads=new_min_team_leads,
    )
    rename = {
        "start_date": "from_date",
        "weekdays": "new_weekdays",
        "rrule": "new_rrule",
        "start_time": "new_start_time",
        "end_time": "new_end_time",
        "meeting_point": "new_meeting_point",
        "min_volunteers": "new_min_volunteers",
        "max_volunteers": "new_max_volunteers",
        "min_team_leads": "new_min_team_leads",
        "end_date": "new_weekdays",
    }
    f = _Form()
    first = f.date(from_date, "from_date")
    if first is not None and first < london_today(utcnow()):
        f.errors["from_date"] = service.PAST_FROM_DATE
    start = f.time(new_start_time, "start_time")
    end = f.time(new_end_time, "end_time")
    rule = f.rule(advanced=new_rrule, weekdays=days, interval=new_interval, end_date=None)
    numbers = [
        f.number(v, k)
        for k, v in (
            ("min_volunteers", new_min_volunteers),
            ("max_volunteers", new_max_volunteers),
            ("min_team_leads", new_min_team_leads),
        )
    ]
    errors = {rename.get(k, k): v for k, v in f.errors.items()}
    if not errors:
        assert first is not None and start is not None and end is not None and rule is not None
        try:
            result = service.change_series_from(
                session,
                actor=user,
                series_id=series_id,
                from_date=first,
                rrule=rule,
                start_time=start,
                end_time=end,
                min_volunteers=required(numbers[0]),
                max_volunteers=required(numbers[1]),
                min_team_leads=required(numbers[2]),
                meeting_point=new_meeting_point or None,
                now=utcnow(),
            )
        except NTEError as exc:
            problems = exc.errors if isinstance(exc, FieldErrors) else None
            if problems is None:
                return _series_refused(request, session, series_id, exc, form, default="from_date", rename=rename)
            errors = _rule_errors(problems, from_pickers=not new_rrule.strip(), has_end=False, rename=rename)
    if errors:
        fields = ("from_date", *(f"new_{name}" for name in SERIES_FIELDS))
        return render_page(
            request,
            "patrols/series_detail.html",
            _series_detail(request, session, series_id, errors=ordered_errors(errors, fields), form=form),
            status_code=422,
        )
    counts = ((CHANGED_MOVED, result.moved), (CHANGED_CANCELLED, result.cancelled), (CHANGED_TOLD, result.told))
    parts = [render(template, n=n) for template, n in counts if n]
    return FLASH.redirect(
        f"/coordinator/series/{result.series.id}",
        "series.changed",
        first=f"{first:%d %b %Y}",
        words=service.series_plain_words(session, result.series),
        summary="; ".join(parts) if parts else CHANGED_NOBODY,
    )


@router.post("/coordinator/series/{series_id}/nights", response_class=HTMLResponse, dependencies=[CsrfProtected])
def change_night(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    series_id: int,
    occurrence_date: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=20)] = "change",
    start_time: Annotated[str, Form(max_length=10)] = "",
    end_time: Annotated[str, Form(max_length=10)] = "",
    moved_to: Annotated[str, Form(max_length=20)] = "",
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
        return render_page(
            request,
            "patrols/series_detail.html",
            _series_detail(request, session, series_id, errors=field_errors(exc, default="occurrence_date"), form=form),
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/coordinator/series/{series_id}", "night.updated", date=occurrence_date)
