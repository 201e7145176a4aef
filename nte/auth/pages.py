"""Sign-in, sign-out, account and e-mail confirmation pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nte.auth import service
from nte.auth.deps import (
    ANON_FORM_MAX_AGE,
    LOGIN_NONCE_COOKIE,
    SESSION_COOKIE,
    CsrfProtected,
    CurrentPrincipal,
    LoginCsrfProtected,
    SignInAttemptDep,
    login_form_token,
    public,
    signed_in_page,
    signing_out,
)
from nte.auth.models import User
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.web.templating import render

router = APIRouter(include_in_schema=False)

HOME_FOR_ROLE = {
    "admin": "/admin",
    "officer": "/officer",
    "coordinator": "/coordinator",
    "volunteer": "/volunteer",
    "venue_manager": "/venue-portal",
}


def _safe_next(next_url: str | None, user: User | None = None) -> str:
    if next_url and next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return HOME_FOR_ROLE.get(user.role, "/") if user else "/"


def _login_page(
    request: Request, *, next_url: str, errors: dict[str, str], email: str, status_code: int = 200
) -> HTMLResponse:
    form = login_form_token(request)
    response = render(
        request,
        "auth/login.html",
        {"next": next_url, "errors": errors, "email": email, "login_csrf": form.token},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        form.nonce,
        max_age=ANON_FORM_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_url=_safe_next(next), errors={}, email="")


# Access: public, with the sign-in form's token bound to this browser (``login_csrf_protect``). Anyone
# may try to sign in: a missing field is a 422 naming it, a wrong e-mail or password a 401 with the form.
@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(public), LoginCsrfProtected])
def login(
    request: Request,
    session: SessionDep,
    attempt: SignInAttemptDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    settings = request.app.state.settings
    now = utcnow()
    try:
        user = service.authenticate(
            session, email=email, password=password, now=now, throttle=attempt.throttle, client=attempt.client
        )
    except NTEError as exc:
        # Returned, not raised: the request's transaction commits, so the failed-attempt count is kept.
        return _login_page(
            request,
            next_url=_safe_next(next),
            errors={exc.field or "email": exc.detail},
            email=email,
            status_code=exc.status_code,
        )
    new = service.start_session(session, user=user, now=now, settings=settings)
    response = RedirectResponse(_safe_next(next if next != "/" else None, user), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


# Access: any signed-in role, with its CSRF token; it ends the caller's own session (``signing_out``),
# so nothing signed in can follow it in the same browser until the next sign-in.
@router.post("/logout", dependencies=[CsrfProtected])
def logout(session: SessionDep, principal: CurrentPrincipal, user: User = Depends(signing_out)) -> Response:
    if principal and principal.auth_session:
        service.end_session(session, record=principal.auth_session, now=utcnow())
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: User = Depends(signed_in_page)) -> HTMLResponse:
    return render(request, "auth/account.html", {"user": user, "errors": {}, "changed": False})


@router.post("/account/password", response_class=HTMLResponse, dependencies=[CsrfProtected])
def change_password(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
    user: User = Depends(signed_in_page),
) -> HTMLResponse:
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = "The two new passwords do not match."  # noqa: S105 - a message
    else:
        try:
            service.change_password(
                session,
                user=user,
                current=current_password,
                new=new_password,
                keep_session_id=principal.auth_session.id if principal and principal.auth_session else None,
                now=utcnow(),
            )
        except NTEError as exc:
            errors[exc.field or "new_password"] = exc.detail
    return render(
        request,
        "auth/account.html",
        {"user": user, "errors": errors, "changed": not errors},
        status_code=422 if errors else 200,
    )


@router.get("/confirm-email", response_class=HTMLResponse, dependencies=[Depends(public)])
def confirm_email_form(request: Request, token: str = "") -> HTMLResponse:
    return render(request, "auth/confirm_email.html", {"token": token[:200], "done": False, "error": None})


@router.post("/confirm-email", response_class=HTMLResponse, dependencies=[Depends(public), CsrfProtected])
def confirm_email(
    request: Request, session: SessionDep, token: Annotated[str, Form(max_length=200)] = ""
) -> HTMLResponse:
    try:
        service.confirm_email(session, token=token, now=utcnow())
    except NTEError as exc:
        return render(
            request,
            "auth/confirm_email.html",
            {"token": "", "done": False, "error": exc.detail},
            status_code=exc.status_code,
        )
    return render(request, "auth/confirm_email.html", {"token": "", "done": True, "error": None})
