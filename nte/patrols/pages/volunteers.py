"""The coordinator's volunteer pages: the list, invitations, one volunteer and their records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from nte.auth.deps import CoordinatorPage, CsrfProtected
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import Invalid, NTEError
from nte.london import london_today
from nte.patrols import applications, service
from nte.patrols.messages import FLASH
from nte.patrols.models import RECORD_KINDS, VOLUNTEER_STATUSES
from nte.patrols.pages.common import page_context, parse_date, parse_int
from nte.web.forms import field_errors
from nte.web.templating import render

router = APIRouter(include_in_schema=False)

# --- coordinator: volunteers ----------------------------------------------------------------------


def _volunteers_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    return page_context(
        request,
        rows=service.list_volunteers(session, today=london_today(utcnow())),
        candidates=service.volunteer_candidates(session),
        statuses=VOLUNTEER_STATUSES,
        applications=applications.list_applications(session),
        invitations=applications.waiting_invitations(session, now=utcnow()),
        **extra,
    )


def _volunteers_refusal(request: Request, session: SessionDep, exc: NTEError, field: str) -> HTMLResponse:
    return render(
        request,
        "patrols/volunteers.html",
        _volunteers_page(request, session, errors=field_errors(exc, default=field)),
        status_code=exc.status_code,
    )


@router.get("/coordinator/volunteers", response_class=HTMLResponse)
def volunteers(request: Request, user: CoordinatorPage, session: SessionDep) -> HTMLResponse:
    return render(request, "patrols/volunteers.html", _volunteers_page(request, session))


@router.post("/coordinator/volunteers", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_volunteer(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    user_id: Annotated[str, Form(max_length=12)] = "",
    phone: Annotated[str, Form(max_length=60)] = "",
    emergency_contact: Annotated[str, Form(max_length=300)] = "",
    status: Annotated[str, Form(max_length=20)] = "applicant",
    is_team_lead: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    form = dict(user_id=user_id, phone=phone, emergency_contact=emergency_contact, status=status)
    try:
        if not user_id.strip():
            raise Invalid("Choose a volunteer account.", field="user_id")
        volunteer = service.create_volunteer(
            session,
            actor=user,
            user_id=parse_int(user_id, "user_id"),
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
            _volunteers_page(request, session, errors=field_errors(exc, default="user_id"), form=form),
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/coordinator/volunteers/{volunteer.id}", "volunteer.created")


@router.post("/coordinator/volunteers/invite", response_class=HTMLResponse, dependencies=[CsrfProtected])
def invite_volunteer(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    email: Annotated[str, Form(max_length=254)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
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
                errors=field_errors(exc, default="email"),
                form={"email": email, "display_name": display_name},
            ),
            status_code=exc.status_code,
        )
    return FLASH.redirect("/coordinator/volunteers", "volunteer.invited")


# Access: coordinators and administrators, with the session's CSRF token. A wrong id or an
# application already decided is a 4xx with the reason on the volunteers page.
@router.post(
    "/coordinator/volunteers/applications/{application_id}/approve",
    response_class=HTMLResponse,
    dependencies=[CsrfProtected],
)
def approve_application(request: Request, session: SessionDep, application_id: int, user: CoordinatorPage) -> Response:
    try:
        person = applications.approve_application(
            session, actor=user, application_id=application_id, now=utcnow(), settings=get_settings()
        )
    except NTEError as exc:
        return _volunteers_refusal(request, session, exc, "application_id")
    return FLASH.redirect("/coordinator/volunteers", "application.approved", name=person.display_name)


@router.post(
    "/coordinator/volunteers/applications/{application_id}/decline",
    response_class=HTMLResponse,
    dependencies=[CsrfProtected],
)
def decline_application(request: Request, session: SessionDep, application_id: int, user: CoordinatorPage) -> Response:
    try:
        name = applications.decline_application(session, actor=user, application_id=application_id, now=utcnow())
    except NTEError as exc:
        return _volunteers_refusal(request, session, exc, "application_id")
    return FLASH.redirect("/coordinator/volunteers", "application.declined", name=name)


@router.post(
    "/coordinator/volunteers/invitations/{invitation_id}/withdraw",
    response_class=HTMLResponse,
    dependencies=[CsrfProtected],
)
def withdraw_invitation(request: Request, session: SessionDep, invitation_id: int, user: CoordinatorPage) -> Response:
    try:
        done = applications.withdraw_volunteer_invitation(
            session, actor=user, invitation_id=invitation_id, now=utcnow()
        )
    except NTEError as exc:
        return _volunteers_refusal(request, session, exc, "invitation_id")
    key = "invitation.withdrawn_removed" if done.account_removed else "invitation.withdrawn"
    return FLASH.redirect("/coordinator/volunteers", key, email=done.email)


def _volunteer_page(request: Request, session: SessionDep, volunteer_id: int, **extra: Any) -> dict[str, Any]:
    volunteer = service.get_volunteer(session, volunteer_id)
    today = london_today(utcnow())
    return page_context(
        request,
        volunteer=volunteer,
        person=service.volunteer_user(session, volunteer),
        records=service.record_states(session, volunteer, today=today),
        shifts=service.volunteer_shifts(session, volunteer, now=utcnow()),
        reliability=service.volunteer_reliability(session, volunteer, now=utcnow()),
        statuses=VOLUNTEER_STATUSES,
        kinds=RECORD_KINDS,
        **extra,
    )


@router.get("/coordinator/volunteers/{volunteer_id}", response_class=HTMLResponse)
def volunteer_detail(request: Request, user: CoordinatorPage, session: SessionDep, volunteer_id: int) -> HTMLResponse:
    return render(request, "patrols/volunteer.html", _volunteer_page(request, session, volunteer_id))


@router.post("/coordinator/volunteers/{volunteer_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def update_volunteer(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    volunteer_id: int,
    phone: Annotated[str, Form(max_length=60)] = "",
    emergency_contact: Annotated[str, Form(max_length=300)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    is_team_lead: Annotated[str, Form(max_length=5)] = "",
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
            _volunteer_page(request, session, volunteer_id, errors=field_errors(exc, default="status")),
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/coordinator/volunteers/{volunteer_id}", "volunteer.saved")


@router.post(
    "/coordinator/volunteers/{volunteer_id}/records", response_class=HTMLResponse, dependencies=[CsrfProtected]
)
def add_record(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    volunteer_id: int,
    kind: Annotated[str, Form(max_length=20)] = "",
    completed_date: Annotated[str, Form(max_length=20)] = "",
    expires_date: Annotated[str, Form(max_length=20)] = "",
    reference: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = dict(kind=kind, completed_date=completed_date, expires_date=expires_date, reference=reference)
    try:
        service.add_record(
            session,
            actor=user,
            volunteer_id=volunteer_id,
            kind=kind,
            completed_date=parse_date(completed_date, "completed_date"),
            expires_date=parse_date(expires_date, "expires_date", required=False),
            reference=reference or None,
            now=utcnow(),
        )
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        return render(
            request,
            "patrols/volunteer.html",
            _volunteer_page(request, session, volunteer_id, errors=field_errors(exc, default="kind"), form=form),
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/coordinator/volunteers/{volunteer_id}", "volunteer.record_added")
