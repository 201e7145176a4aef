"""Sign-in, sign-out, account, e-mail confirmation, password reset and invitation pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nte.auth import service
from nte.auth.deps import (
    ANON_FORM_MAX_AGE,
    LOGIN_NONCE_COOKIE,
    SESSION_COOKIE,
    AdminPage,
    CsrfProtected,
    CurrentPrincipal,
    LoginCsrfProtected,
    ResetBudget,
    SignInAttemptDep,
    login_form_token,
    public,
    signed_in_page,
    signing_out,
)
from nte.auth.models import Role, User
from nte.db import SessionDep, utcnow
from nte.errors import Invalid, NTEError, RateLimited
from nte.i18n import N_
from nte.web.flash import FlashMessages
from nte.web.forms import FormDep
from nte.web.templating import render

router = APIRouter(include_in_schema=False)

#: What a page says after a form went through (the sign-in page's words are translated; the
#: invitations page's are the ones its template shows).
RESET_DONE = "auth.reset_done"
INVITATION_SENT = "auth.invitation_sent"
INVITATION_WITHDRAWN = "auth.invitation_withdrawn"
TOKEN_REVOKED = "auth.token_revoked"  # noqa: S105 - a message key
FLASH = FlashMessages(
    {
        TOKEN_REVOKED: N_("Token %(name)s revoked: it no longer works anywhere."),
        RESET_DONE: N_("Your password has been changed. Sign in with the new one."),
        INVITATION_SENT: N_("Invitation sent. The link works for 7 days."),
        INVITATION_WITHDRAWN: N_(
            "Invitation withdrawn: its link no longer works. An account that was never used has been removed."
        ),
    }
)


def _flashed(request: Request, key: str) -> bool:
    """Whether the page was reached by the redirect that carries the signed message ``key``."""
    shown = FLASH.message(request)
    return shown is not None and shown.template == FLASH.messages[key]


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


def _bound_form(request: Request, template: str, context: dict, *, path: str, status_code: int = 200) -> HTMLResponse:
    """A form whose token is bound to this browser (a nonce cookie on ``path``): the forms that sign
    a browser in (sign-in, accepting an invitation), so nobody can sign a victim into their account."""
    form = login_form_token(request)
    response = render(request, template, {**context, "login_csrf": form.token}, status_code=status_code)
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        form.nonce,
        max_age=ANON_FORM_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path=path,
    )
    return response


def _login_page(
    request: Request, *, next_url: str, errors: dict[str, str], email: str, status_code: int = 200
) -> HTMLResponse:
    return _bound_form(
        request,
        "auth/login.html",
        {"next": next_url, "errors": errors, "email": email, "reset_done": _flashed(request, RESET_DONE)},
        path="/login",
        status_code=status_code,
    )


def _signed_in(request: Request, session: SessionDep, user: User, target: str) -> RedirectResponse:
    settings = request.app.state.settings
    new = service.start_session(session, user=user, now=utcnow(), settings=settings)
    response = RedirectResponse(target, status_code=303)
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
    return _signed_in(request, session, user, _safe_next(next if next != "/" else None, user))


# Access: any signed-in role, with its CSRF token; it ends the caller's own session (``signing_out``),
# so nothing signed in can follow it in the same browser until the next sign-in.
@router.post("/logout", dependencies=[CsrfProtected])
def logout(session: SessionDep, principal: CurrentPrincipal, user: User = Depends(signing_out)) -> Response:
    if principal and principal.auth_session:
        service.end_session(session, record=principal.auth_session, now=utcnow())
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


#: How long a token made on the account page lasts (days); the first is the default.
TOKEN_DAYS = (90, 30, 365)


def _account_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    token_errors: dict[str, str] | None = None,
    changed: bool = False,
    new_token: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    from nte.config import get_settings

    return render(
        request,
        "auth/account.html",
        {
            "user": user,
            "errors": errors or {},
            "changed": changed,
            "tokens": service.list_api_tokens(session, user=user),
            "token_errors": token_errors or {},
            "token_days": TOKEN_DAYS,
            "new_token": new_token,
            "now": utcnow(),
            "ogc_url": get_settings().base_url.rstrip("/") + "/ogc",
            "done": FLASH.message(request),
        },
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep, user: User = Depends(signed_in_page)) -> HTMLResponse:
    return _account_page(request, session, user)


@router.post("/account/tokens", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_token(
    request: Request, session: SessionDep, form: FormDep, user: User = Depends(signed_in_page)
) -> HTMLResponse:
    """A bearer token for a GIS tool or another program, shown once on the page that answers."""
    name, days_text = form.get("name"), form.get("days", str(TOKEN_DAYS[0]))
    errors: dict[str, str] = {}
    if days_text not in {str(d) for d in TOKEN_DAYS}:
        errors["days"] = "Choose how long the token lasts: " + ", ".join(f"{d} days" for d in TOKEN_DAYS) + "."
    if not errors:
        try:
            created = service.create_api_token(session, user=user, name=name, now=utcnow(), days=int(days_text))
        except NTEError as exc:
            errors[exc.field or "name"] = exc.detail
        else:
            return _account_page(request, session, user, new_token=created.token, status_code=201)
    return _account_page(request, session, user, token_errors=errors, status_code=422)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfProtected])
def revoke_token(
    request: Request, session: SessionDep, token_id: int, user: User = Depends(signed_in_page)
) -> Response:
    record = service.revoke_api_token(session, token_id=token_id, actor=user, now=utcnow(), own_only=True)
    return FLASH.redirect("/account", TOKEN_REVOKED, name=record.name)


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
    return _account_page(request, session, user, errors=errors, changed=not errors, status_code=422 if errors else 200)


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


# --- forgotten password --------------------------------------------------------------------------


@router.get("/password-reset", response_class=HTMLResponse, dependencies=[Depends(public)])
def password_reset_request_form(request: Request) -> HTMLResponse:
    return render(request, "auth/password_reset_request.html", {"errors": {}, "email": "", "sent": False})


# Access: public (anonymous form token). Known and unknown addresses get the same page and status;
# only a malformed address (422) or too many requests (429) are answered differently.
@router.post("/password-reset", response_class=HTMLResponse, dependencies=[Depends(public), CsrfProtected])
def password_reset_request(
    request: Request, session: SessionDep, budget: ResetBudget, email: Annotated[str, Form(max_length=254)] = ""
) -> HTMLResponse:
    try:
        service.request_password_reset(
            session, email=email, now=utcnow(), settings=request.app.state.settings, spend=budget
        )
    except NTEError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return render(
            request,
            "auth/password_reset_request.html",
            {"errors": {exc.field or "email": exc.detail}, "email": email, "sent": False},
            status_code=exc.status_code,
            headers=headers,
        )
    return render(request, "auth/password_reset_request.html", {"errors": {}, "email": "", "sent": True})


def _reset_page(request: Request, token: str, *, errors: dict[str, str], status_code: int = 200) -> HTMLResponse:
    return render(
        request,
        "auth/password_reset.html",
        {"token": token, "errors": errors, "refused": None},
        status_code=status_code,
    )


def _refused(request: Request, template: str, exc: NTEError) -> HTMLResponse:
    return render(request, template, {"token": "", "errors": {}, "refused": exc.detail}, status_code=exc.status_code)


@router.get("/password-reset/{token}", response_class=HTMLResponse, dependencies=[Depends(public)])
def password_reset_form(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    try:
        service.check_reset_link(session, token=token[:200], now=utcnow())
    except NTEError as exc:
        return _refused(request, "auth/password_reset.html", exc)
    return _reset_page(request, token, errors={})


@router.post("/password-reset/{token}", response_class=HTMLResponse, dependencies=[Depends(public), CsrfProtected])
def password_reset(
    request: Request,
    session: SessionDep,
    token: str,
    password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    now = utcnow()
    try:
        service.check_reset_link(session, token=token[:200], now=now)
    except NTEError as exc:
        return _refused(request, "auth/password_reset.html", exc)
    if password != confirm_password:
        return _reset_page(
            request, token, errors={"confirm_password": "The two passwords do not match."}, status_code=422
        )
    try:
        service.reset_password(session, token=token[:200], new=password, now=now)
    except NTEError as exc:
        return _reset_page(request, token, errors={exc.field or "password": exc.detail}, status_code=exc.status_code)
    return FLASH.redirect("/login", RESET_DONE)


# --- invitations ---------------------------------------------------------------------------------


def _invitation_page(
    request: Request,
    token: str,
    *,
    email: str,
    display_name: str,
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return _bound_form(
        request,
        "auth/invitation.html",
        {"token": token, "email": email, "display_name": display_name, "errors": errors, "refused": None},
        path="/invite",
        status_code=status_code,
    )


@router.get("/invite/{token}", response_class=HTMLResponse, dependencies=[Depends(public)])
def invitation_form(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    try:
        _, user = service.open_invitation(session, token=token[:200], now=utcnow())
    except NTEError as exc:
        return _refused(request, "auth/invitation.html", exc)
    return _invitation_page(request, token, email=user.email, display_name=user.display_name, errors={})


# Access: public; the form's token is bound to this browser (as the sign-in form's is), because
# accepting signs the browser in.
@router.post("/invite/{token}", response_class=HTMLResponse, dependencies=[Depends(public), LoginCsrfProtected])
def accept_invitation(
    request: Request,
    session: SessionDep,
    token: str,
    display_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    confirm_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    now = utcnow()
    try:
        _, user = service.open_invitation(session, token=token[:200], now=now)
    except NTEError as exc:
        return _refused(request, "auth/invitation.html", exc)
    errors: dict[str, str] = {}
    if password != confirm_password:
        errors["confirm_password"] = "The two passwords do not match."  # noqa: S105 - a message
    else:
        try:
            user = service.accept_invitation(
                session, token=token[:200], display_name=display_name, password=password, now=now
            )
        except NTEError as exc:
            errors[exc.field or "password"] = exc.detail
    if errors:
        return _invitation_page(
            request, token, email=user.email, display_name=display_name, errors=errors, status_code=422
        )
    return _signed_in(request, session, user, HOME_FOR_ROLE.get(user.role, "/"))


#: The roles an administrator invites from this page (volunteers are invited from the coordinator's
#: volunteers page, which also makes their patrol profile).
STAFF_INVITE_ROLES = (Role.officer.value, Role.coordinator.value, Role.admin.value)


def _invitations_page(
    request: Request, session: SessionDep, *, errors: dict[str, str], form: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "auth/invitations.html",
        {
            "invitations": service.list_invitations(session),
            "roles": STAFF_INVITE_ROLES,
            "role_names": service.ROLE_NAMES,
            "errors": errors,
            "form": form,
            "now": utcnow(),
            "state": service.invitation_state,
            "withdrawable": STAFF_INVITE_ROLES,
            "done": _flashed(request, INVITATION_SENT),
            "withdrawn": _flashed(request, INVITATION_WITHDRAWN),
        },
        status_code=status_code,
    )


@router.get("/admin/invitations", response_class=HTMLResponse)
def invitations(request: Request, session: SessionDep, user: AdminPage) -> HTMLResponse:
    return _invitations_page(request, session, errors={}, form={})


@router.post("/admin/invitations", response_class=HTMLResponse, dependencies=[CsrfProtected])
def send_invitation(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    *,
    user: AdminPage,
) -> Response:
    form = {"email": email, "display_name": display_name, "role": role}
    try:
        if role not in STAFF_INVITE_ROLES:
            raise Invalid("Choose a role: officer, coordinator or administrator.", field="role")
        service.invite(
            session,
            actor=user,
            email=email,
            role=role,
            display_name=display_name,
            now=utcnow(),
            settings=request.app.state.settings,
        )
    except NTEError as exc:
        return _invitations_page(
            request, session, errors={exc.field or "email": exc.detail}, form=form, status_code=exc.status_code
        )
    return FLASH.redirect("/admin/invitations", INVITATION_SENT)


# Access: administrators, with the session's CSRF token. Staff invitations only (a volunteer's is
# withdrawn from the coordinator's volunteers page, which also looks after the patrol profile). The
# link stops working at once; the account it made goes too when it was never used.
@router.post("/admin/invitations/{invitation_id}/withdraw", response_class=HTMLResponse, dependencies=[CsrfProtected])
def withdraw_invitation(request: Request, session: SessionDep, invitation_id: int, user: AdminPage) -> Response:
    try:
        service.withdraw_invitation(
            session, actor=user, invitation_id=invitation_id, now=utcnow(), roles=frozenset(STAFF_INVITE_ROLES)
        )
    except NTEError as exc:
        return _invitations_page(
            request, session, errors={exc.field or "invitation_id": exc.detail}, form={}, status_code=exc.status_code
        )
    return FLASH.redirect("/admin/invitations", INVITATION_WITHDRAWN)
