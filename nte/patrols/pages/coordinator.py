"""The coordinator's pages: the staffing board, one shift (roster, cancel, confirm below minimum,
reinstate, no-shows) and the monthly report. Areas and series have their own modules."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from nte.auth.deps import CoordinatorPage, CsrfProtected, PatrolReaderPage
from nte.auth.models import User
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.patrols import service
from nte.patrols.config import get_patrol_settings
from nte.patrols.messages import FLASH
from nte.patrols.pages.common import (
    page_context,
)
from nte.web.downloads import download
from nte.web.forms import field_errors
from nte.web.templating import render as render_page

router = APIRouter(include_in_schema=False)

# --- coordinator: staffing board ------------------------------------------------------------------


@router.get("/coordinator", response_class=HTMLResponse)
def board(request: Request, user: CoordinatorPage, session: SessionDep) -> HTMLResponse:
    items = service.staffing_board(session, now=utcnow())
    hours = get_patrol_settings().stand_down_hours
    return render_page(request, "patrols/board.html", page_context(request, items=items, stand_down_hours=hours))


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
        stand_down_at=service.stand_down_time(shift),
        **extra,
    )


@router.get("/coordinator/shifts/{shift_id}", response_class=HTMLResponse)
def shift_detail(request: Request, user: CoordinatorPage, session: SessionDep, shift_id: int) -> HTMLResponse:
    return render_page(request, "patrols/shift.html", _shift_page(request, session, shift_id))


def _shift_post(
    request: Request,
    session: SessionDep,
    shift_id: int,
    action: Callable[[], object],
    key: str,
    *,
    reason: str | None = None,
) -> Response:
    """One coordinator action on a shift: the redirect with its message, or the shift page again with
    the refusal. A decision with a ``reason`` (confirm below minimum, reinstate) shows a refusal about
    the reason at the reason field, any other at the shift, and keeps the reason typed."""
    try:
        action()
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        if reason is None:
            errors, extra = field_errors(exc, default="shift_id"), {}
        else:
            errors = {("reason" if exc.field == "reason" else "shift_id"): exc.detail}
            extra = {"reason": reason}
        return render_page(
            request,
            "patrols/shift.html",
            _shift_page(request, session, shift_id, errors=errors, **extra),
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/coordinator/shifts/{shift_id}", key)


def _shift_decision(
    request: Request,
    session: SessionDep,
    shift_id: int,
    user: User,
    reason: str,
    decide: Callable[..., object],
    key: str,
) -> Response:
    """Confirm below minimum / reinstate: the coordinator's decision with its reason."""
    return _shift_post(
        request,
        session,
        shift_id,
        lambda: decide(session, actor=user, shift_id=shift_id, reason=reason, now=utcnow()),
        key,
        reason=reason,
    )


@router.post("/coordinator/shifts/{shift_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfProtected])
def cancel_shift(request: Request, session: SessionDep, shift_id: int, user: CoordinatorPage) -> Response:
    return _shift_post(
        request,
        session,
        shift_id,
        lambda: service.cancel_shift(session, actor=user, shift_id=shift_id, now=utcnow()),
        "shift.cancelled",
    )


@router.post(
    "/coordinator/shifts/{shift_id}/confirm-below-minimum", response_class=HTMLResponse, dependencies=[CsrfProtected]
)
def confirm_below_minimum(
    request: Request,
    session: SessionDep,
    shift_id: int,
    user: CoordinatorPage,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _shift_decision(
        request, session, shift_id, user, reason, service.confirm_below_minimum, "shift.confirmed_below_minimum"
    )


@router.post("/coordinator/shifts/{shift_id}/reinstate", response_class=HTMLResponse, dependencies=[CsrfProtected])
def reinstate_shift(
    request: Request,
    session: SessionDep,
    shift_id: int,
    user: CoordinatorPage,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _shift_decision(request, session, shift_id, user, reason, service.reinstate_shift, "shift.reinstated")


@router.post("/coordinator/signups/{signup_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfProtected])
def take_off(request: Request, session: SessionDep, signup_id: int, user: CoordinatorPage) -> Response:
    signup = service.get_signup(session, signup_id)
    return _shift_post(
        request,
        session,
        signup.shift_id,
        lambda: service.coordinator_cancel_signup(session, actor=user, signup_id=signup_id, now=utcnow()),
        "signup.taken_off",
    )


@router.post("/coordinator/signups/{signup_id}/no-show", response_class=HTMLResponse, dependencies=[CsrfProtected])
def no_show(
    request: Request,
    session: SessionDep,
    signup_id: int,
    user: CoordinatorPage,
    value: Annotated[str, Form(max_length=5)] = "yes",
) -> Response:
    signup = service.get_signup(session, signup_id)
    return _shift_post(
        request,
        session,
        signup.shift_id,
        lambda: service.mark_no_show(session, actor=user, signup_id=signup_id, no_show=value == "yes", now=utcnow()),
        "signup.no_show" if value == "yes" else "signup.no_show_removed",
    )


# --- monthly report -------------------------------------------------------------------------------


@router.get("/coordinator/reports/monthly", response_class=HTMLResponse)
def monthly(request: Request, user: PatrolReaderPage, session: SessionDep, month: str | None = None) -> HTMLResponse:
    now = utcnow()
    try:
        chosen = service.parse_month(month, now=now)
    except NTEError as exc:
        chosen = service.parse_month(None, now=now)
        report = service.monthly_report(session, month=chosen, now=now)
        return render_page(
            request,
            "patrols/monthly.html",
            page_context(request, report=report, errors={"month": exc.detail}, month=month or ""),
            status_code=exc.status_code,
        )
    report = service.monthly_report(session, month=chosen, now=now)
    return render_page(request, "patrols/monthly.html", page_context(request, report=report, month=f"{chosen:%Y-%m}"))


@router.get("/coordinator/reports/monthly.csv")
def monthly_csv(user: PatrolReaderPage, session: SessionDep, month: str | None = None) -> Response:
    """The month's report as CSV: a download, so it leaves an audit event naming the month."""
    now = utcnow()
    chosen = service.parse_month(month, now=now)
    name = f"{chosen:%Y-%m}"
    return download(
        session,
        actor=user,
        kind="csv",
        content=service.monthly_csv(service.monthly_report(session, month=chosen, now=now)),
        filename=f"patrols-{name}.csv",
        action="patrols.export",
        target_type="patrol_month",
        target_id=name,
        detail={"month": name},
    )
