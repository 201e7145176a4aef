"""JSON API for accounts and bearer tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from nte.auth import service
from nte.auth.deps import AnyUserApi, SignInAttemptDep, public
from nte.auth.models import User
from nte.auth.schemas import PasswordTokenRequest, TokenCreate, TokenCreated, TokenRead, UserRead
from nte.db import SessionDep, utcnow
from nte.errors import ERROR_RESPONSES, NTEError, RateLimited

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERROR_RESPONSES)


def _user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        email_confirmed=user.email_confirmed_at is not None,
    )


@router.get("/me", summary="Who am I")
def me(user: AnyUserApi) -> UserRead:
    return _user_read(user)


@router.post(
    "/token",
    status_code=201,
    dependencies=[Depends(public)],
    response_model=TokenCreated,
    summary="Exchange an e-mail and password for a bearer token (shown once)",
)
def token_from_password(
    body: PasswordTokenRequest, session: SessionDep, attempt: SignInAttemptDep
) -> TokenCreated | JSONResponse:
    now = utcnow()
    try:
        user = service.authenticate(
            session, email=body.email, password=body.password, now=now, throttle=attempt.throttle, client=attempt.client
        )
    except NTEError as exc:
        # Returned, not raised: the transaction commits, so the failed-attempt count is kept.
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)
    created = service.create_api_token(session, user=user, name=body.name, now=now, days=30)
    return TokenCreated(
        id=created.record.id, name=created.record.name, token=created.token, expires_at=created.record.expires_at
    )


@router.get("/tokens", summary="My API tokens")
def list_tokens(session: SessionDep, user: AnyUserApi) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in service.list_api_tokens(session, user=user)]


@router.post("/tokens", status_code=201, summary="Create an API token for myself (shown once)")
def create_token(body: TokenCreate, session: SessionDep, user: AnyUserApi) -> TokenCreated:
    created = service.create_api_token(session, user=user, name=body.name, now=utcnow(), days=body.days)
    return TokenCreated(
        id=created.record.id, name=created.record.name, token=created.token, expires_at=created.record.expires_at
    )


@router.delete("/tokens/{token_id}", summary="Revoke a token at once")
def revoke_token(token_id: int, session: SessionDep, user: AnyUserApi) -> TokenRead:
    return TokenRead.model_validate(service.revoke_api_token(session, token_id=token_id, actor=user, now=utcnow()))
