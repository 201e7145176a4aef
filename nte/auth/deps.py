"""Who is calling, and what their role lets them reach. Every route declares its access with
exactly one of these dependencies (``public``, ``require_roles``, ``require_page_roles``); the
route x role matrix test refuses a route that declares none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from nte.auth import service
from nte.auth.models import AuthSession, Role, User
from nte.auth.security import tokens_equal
from nte.auth.throttle import SignInThrottle
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import Forbidden, LoginRequired, NotAuthenticated, RateLimited
from nte.web.ratelimit import RateLimiter, client_address

SESSION_COOKIE = "nte_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

OFFICERS = (Role.officer, Role.admin)
STAFF = (Role.officer, Role.admin, Role.coordinator)
COORDINATORS = (Role.coordinator, Role.admin)
PATROL_READERS = (Role.coordinator, Role.officer, Role.admin)
PATROL_MEMBERS = (Role.volunteer, Role.coordinator, Role.admin)
OWNERS = (Role.venue_manager, *OFFICERS)


@dataclass(frozen=True)
class Viewer:
    id: int
    email: str
    role: str
    display_name: str

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(id=user.id, email=user.email, role=user.role, display_name=user.display_name)


@dataclass
class Principal:
    user: User
    auth_session: AuthSession | None  # None when the caller used a bearer token

    @property
    def via_cookie(self) -> bool:
        return self.auth_session is not None


def get_principal(request: Request, session: SessionDep) -> Principal | None:
    if hasattr(request.state, "principal"):
        return request.state.principal
    principal: Principal | None = None
    now = utcnow()
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = service.resolve_api_token(session, token=header[7:].strip(), now=now)
        if user is None:
            raise NotAuthenticated("The bearer token is invalid, expired or revoked.", field="authorization")
        principal = Principal(user=user, auth_session=None)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        found = service.resolve_session(session, token=cookie, now=now)
        if found:
            principal = Principal(user=found[1], auth_session=found[0])
    request.state.principal = principal
    # A plain snapshot for page layouts: still readable when an error page is rendered after the
    # request's session was rolled back (ORM objects are expired by then).
    request.state.viewer = Viewer.of(principal.user) if principal else None
    return principal


CurrentPrincipal = Annotated[Principal | None, Depends(get_principal)]


def public(request: Request) -> None:
    """Marks a route as open to everyone, signed in or not. Its pages carry the quick exit (base.html
    reads ``request.state.public_page``), unless a page says otherwise."""
    request.state.public_page = True


public.allowed_roles = None  # type: ignore[attr-defined]
public.is_page = False  # type: ignore[attr-defined]


def _check_header_csrf(request: Request, principal: Principal) -> None:
    if request.method in SAFE_METHODS or not principal.via_cookie:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    assert principal.auth_session is not None
    if not sent or not tokens_equal(sent, principal.auth_session.csrf_token):
        raise Forbidden(
            "Missing or wrong CSRF token (send the X-CSRF-Token header).", field=CSRF_HEADER, code="csrf_failed"
        )


def require_roles(*roles: Role) -> Callable[..., User]:
    """JSON API access: 401 without credentials, 403 for other roles."""
    allowed = frozenset(r.value for r in roles)

    def dependency(request: Request, principal: CurrentPrincipal) -> User:
        if principal is None:
            raise NotAuthenticated("Sign in or send a bearer token.", field="authorization")
        if principal.user.role not in allowed:
            raise Forbidden("Your role does not allow this.")
        _check_header_csrf(request, principal)
        return principal.user

    dependency.allowed_roles = allowed  # type: ignore[attr-defined]
    dependency.is_page = False  # type: ignore[attr-defined]
    return dependency


def require_page_roles(*roles: Role) -> Callable[..., User]:
    """HTML page access: a redirect to the sign-in page without a session, 403 for other roles."""
    allowed = frozenset(r.value for r in roles)

    def dependency(request: Request, principal: CurrentPrincipal) -> User:
        if principal is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target)
        if principal.user.role not in allowed:
            raise Forbidden("Your role does not allow you to see this page.")
        return principal.user

    dependency.allowed_roles = allowed  # type: ignore[attr-defined]
    dependency.is_page = True  # type: ignore[attr-defined]
    return dependency


def signed_in_page(request: Request, principal: CurrentPrincipal) -> User:
    """Any signed-in role (password change, sign-out)."""
    if principal is None:
        raise LoginRequired(request.url.path)
    return principal.user


signed_in_page.allowed_roles = frozenset(r.value for r in Role)  # type: ignore[attr-defined]
signed_in_page.is_page = True  # type: ignore[attr-defined]
signed_in_page.ends_session = False  # type: ignore[attr-defined]


def signing_out(request: Request, principal: CurrentPrincipal) -> User:
    """Any signed-in role, on the route that ends the caller's own session (sign-out). Declared
    apart from ``signed_in_page`` so that the route x role test walks it after every other route
    and then checks that the session really ended."""
    return signed_in_page(request, principal)


signing_out.allowed_roles = signed_in_page.allowed_roles  # type: ignore[attr-defined]
signing_out.is_page = True  # type: ignore[attr-defined]
signing_out.ends_session = True  # type: ignore[attr-defined]


# --- CSRF for HTML forms -------------------------------------------------------------------------
# Signed-in forms carry the session's token. Anonymous forms (the public report form, venue
# sign-up) set no cookie at all, so they carry a signed, time-limited form token instead.

_ANON_SALT = "nte-anonymous-form"
ANON_FORM_MAX_AGE = 4 * 3600


def _anon_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_ANON_SALT)


def csrf_token_for(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.auth_session is not None:
        return principal.auth_session.csrf_token
    return _anon_serializer().dumps("form")


async def csrf_protect(request: Request, principal: CurrentPrincipal) -> None:
    """Check the hidden ``csrf_token`` field of a form post."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, ""))
    if principal is not None and principal.auth_session is not None:
        if sent and tokens_equal(sent, principal.auth_session.csrf_token):
            return
    else:
        try:
            _anon_serializer().loads(sent, max_age=ANON_FORM_MAX_AGE)
            return
        except BadSignature:
            pass
    raise Forbidden(
        "This form has expired or did not come from this site. Please reload the page and try again.",
        field=CSRF_FIELD,
        code="csrf_failed",
    )


@dataclass(frozen=True)
class SignInAttempt:
    """Who is trying to sign in, for the throttle: this process's throttle and the client address
    (after the proxy's forwarded header, as uvicorn resolves it). Neither is stored or logged."""

    throttle: SignInThrottle
    client: str


def sign_in_attempt(request: Request) -> SignInAttempt:
    state = request.app.state
    if not hasattr(state, "sign_in_throttle"):
        settings = state.settings
        state.sign_in_throttle = SignInThrottle(
            free_attempts=settings.login_free_attempts, max_delay_seconds=settings.login_max_delay_seconds
        )
    return SignInAttempt(throttle=state.sign_in_throttle, client=client_address(request))


SignInAttemptDep = Annotated[SignInAttempt, Depends(sign_in_attempt)]

#: "Forgot your password?" requests per client address, and per typed e-mail address, per hour.
RESETS_PER_CLIENT_PER_HOUR = 10
RESETS_PER_EMAIL_PER_HOUR = 3
TOO_MANY_RESETS = "Too many password reset requests. Please wait a while and try again."


def client_and_address_budget(
    name: str, *, per_client: int, per_address: int, message: str, what: str
) -> Callable[[Request], Callable[[str], None]]:
    """A dependency for a form that acts on an e-mail address (a password reset, an application):
    what the service calls with a well-formed address before it looks anything up, raising
    RateLimited (429, ``message``) past ``per_client`` an hour from one connection or ``per_address``
    an hour for one address. Counted for every address, known or not, so the limit says nothing
    about which addresses have accounts. In memory under rotating keyed hashes, one pair of limiters
    per ``name`` on the app's state."""

    def budget(request: Request) -> Callable[[str], None]:
        state = request.app.state
        if not hasattr(state, f"{name}_client_limiter"):
            setattr(state, f"{name}_client_limiter", RateLimiter(limit=per_client, window_seconds=3600))
        if not hasattr(state, f"{name}_email_limiter"):
            setattr(state, f"{name}_email_limiter", RateLimiter(limit=per_address, window_seconds=3600))
        by_client: RateLimiter = getattr(state, f"{name}_client_limiter")
        by_email: RateLimiter = getattr(state, f"{name}_email_limiter")
        client = client_address(request)

        def spend(email: str) -> None:
            try:
                by_client.hit(client, what=what)
                by_email.hit(email, what=what)
            except RateLimited as exc:
                raise RateLimited(message, retry_after=exc.retry_after, field="email") from None

        return spend

    return budget


reset_budget = client_and_address_budget(
    "reset",
    per_client=RESETS_PER_CLIENT_PER_HOUR,
    per_address=RESETS_PER_EMAIL_PER_HOUR,
    message=TOO_MANY_RESETS,
    what="password reset request",
)


ResetBudget = Annotated[Callable[[str], None], Depends(reset_budget)]
# --- CSRF for the sign-in form ----------------------------------------------------------------------
# The sign-in form's token is bound to the browser that asked for the form: GET /login sets a random
# nonce in a cookie (path /login, SameSite=Strict) and the form carries the nonce, signed. Another
# browser's token, or a token replayed without its cookie, is refused, so nobody can sign a victim's
# browser into an account of theirs (login CSRF). Report and sign-up forms stay cookie-free.

LOGIN_NONCE_COOKIE = "nte_login"
_LOGIN_SALT = "nte-login-form"


def _login_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_LOGIN_SALT)


@dataclass(frozen=True)
class LoginForm:
    nonce: str  # set as LOGIN_NONCE_COOKIE on the response that shows the form
    token: str  # the form's hidden csrf_token


def login_form_token(request: Request) -> LoginForm:
    from nte.auth.security import new_token

    nonce = request.cookies.get(LOGIN_NONCE_COOKIE) or new_token()
    return LoginForm(nonce=nonce, token=_login_serializer().dumps(nonce))


async def login_csrf_protect(request: Request) -> None:
    """The sign-in form's token must be this browser's (its nonce cookie), and fresh."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    try:
        signed = _login_serializer().loads(sent, max_age=ANON_FORM_MAX_AGE)
    except BadSignature:
        signed = None
    if not nonce or not isinstance(signed, str) or not tokens_equal(signed, nonce):
        raise Forbidden(
            "This sign-in form has expired or did not come from this browser. Please reload the page and try again.",
            field=CSRF_FIELD,
            code="csrf_failed",
        )


LoginCsrfProtected = Depends(login_csrf_protect)
CsrfProtected = Depends(csrf_protect)

# --- who may call what: every role dependency, defined once ------------------------------------
# ``...Api``: the JSON API, 401 without credentials (bearer token or session), 403 for another role.
# ``...Page``: an HTML page, a redirect to the sign-in form without a session, 403 for another role.

OfficerApi = Annotated[User, Depends(require_roles(*OFFICERS))]
StaffApi = Annotated[User, Depends(require_roles(*STAFF))]
AdminApi = Annotated[User, Depends(require_roles(Role.admin))]
CoordinatorApi = Annotated[User, Depends(require_roles(*COORDINATORS))]
VolunteerApi = Annotated[User, Depends(require_roles(Role.volunteer))]
PatrolMemberApi = Annotated[User, Depends(require_roles(*PATROL_MEMBERS))]
PatrolReaderApi = Annotated[User, Depends(require_roles(*PATROL_READERS))]
OwnerApi = Annotated[User, Depends(require_roles(*OWNERS))]
AnyUserApi = Annotated[User, Depends(require_roles(*Role))]

OfficerPage = Annotated[User, Depends(require_page_roles(*OFFICERS))]
StaffPage = Annotated[User, Depends(require_page_roles(*STAFF))]
AdminPage = Annotated[User, Depends(require_page_roles(Role.admin))]
CoordinatorPage = Annotated[User, Depends(require_page_roles(*COORDINATORS))]
PatrolReaderPage = Annotated[User, Depends(require_page_roles(*PATROL_READERS))]
VolunteerPage = Annotated[User, Depends(require_page_roles(Role.volunteer))]
ManagerPage = Annotated[User, Depends(require_page_roles(Role.venue_manager))]
OwnerPage = Annotated[User, Depends(require_page_roles(*OWNERS))]
