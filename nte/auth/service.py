"""Accounts, sign-in, sessions and API tokens. Never commits: the caller owns the transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as repo
from nte.auth.exceptions import BadCredentials, EmailNotConfirmed, EmailTaken, WeakPassword
from nte.auth.models import ApiToken, AuthSession, EmailToken, Role, User  # noqa: F401 - User re-exported
from nte.auth.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)
from nte.auth.throttle import SignInThrottle
from nte.config import Settings
from nte.errors import Invalid, NotFound
from nte.i18n import N_, Formatted

EMAIL_RE = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


def normalise_email(email: str, *, field: str = "email") -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise Invalid(N_("Enter an e-mail address like name@example.org."), field=field)
    return email


def check_password_strength(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            Formatted(N_("The password must be at least %(n)s characters long."), n=MIN_PASSWORD_LENGTH), field=field
        )
    if len(password) > 256:
        raise WeakPassword(N_("The password must be at most 256 characters long."), field=field)


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: Role | str,
    password: str | None,
    actor: User | None = None,
    confirmed_at: datetime | None = None,
) -> User:
    email = normalise_email(email)
    role = Role(role)
    if not display_name.strip():
        raise Invalid("Enter a name.", field="display_name")
    if repo.get_user_by_email(session, email):
        raise EmailTaken()
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email,
        display_name=display_name.strip()[:120],
        role=role.value,
        password_hash=hash_password(password) if password else None,
        email_confirmed_at=confirmed_at,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor=actor, action="user.create", target_type="user", target_id=user.id, detail={"role": role.value}
    )
    return user


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    now: datetime,
    throttle: SignInThrottle,
    client: str,
) -> User:
    """Check a password. Failures slow down the (typed e-mail, client address) pair that made
    them (``nte.auth.throttle``), never the account itself: the right password from anywhere else
    always works. Known and unknown e-mails get the same answers at the same cost (one argon2
    verification each).

    A missing e-mail or password is a form mistake (422 naming the field), not a wrong credential:
    nothing is looked up and nothing is counted."""
    if not (email or "").strip():
        raise Invalid("Enter your e-mail address.", field="email")
    if not password:
        raise Invalid("Enter your password.", field="password")
    throttle.check(email=email, client=client, now=now)
    user = repo.get_user_by_email(session, email.strip().lower())
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        throttle.failed(email=email, client=client, now=now)
        if user is not None:  # shown to admins; it refuses nothing
            user.failed_login_count += 1
            user.last_failed_login_at = now
        raise BadCredentials()
    throttle.succeeded(email=email, client=client, now=now)
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed()
    user.failed_login_count = 0
    user.last_failed_login_at = None
    return user


@dataclass(frozen=True)
class NewSession:
    token: str
    record: AuthSession


def start_session(session: Session, *, user: User, now: datetime, settings: Settings) -> NewSession:
    token = new_token()
    record = AuthSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
    )
    session.add(record)
    session.flush()
    return NewSession(token=token, record=record)


def resolve_session(session: Session, *, token: str, now: datetime) -> tuple[AuthSession, User] | None:
    return repo.find_session(session, token_hash(token), now=now)


def end_session(session: Session, *, record: AuthSession, now: datetime) -> None:
    record.revoked_at = now


def change_password(
    session: Session, *, user: User, current: str, new: str, keep_session_id: int | None, now: datetime
) -> None:
    if not verify_password(user.password_hash, current):
        raise Invalid("The current password is not right.", field="current_password")
    check_password_strength(new, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    # A new password ends every other way in: other sessions and every API token (a token made
    # with the old password must not outlive it; the owner makes new ones).
    repo.revoke_user_sessions(session, user.id, now=now, except_id=keep_session_id)
    revoked = repo.revoke_user_tokens(session, user.id, now=now)
    audit.record(
        session,
        actor=user,
        action="user.password_change",
        target_type="user",
        target_id=user.id,
        detail={"tokens_revoked": revoked},
    )


@dataclass(frozen=True)
class NewApiToken:
    token: str
    record: ApiToken


def create_api_token(
    session: Session, *, user: User, name: str, now: datetime, days: int | None = None, actor: User | None = None
) -> NewApiToken:
    if not name.strip() or len(name) > 80:
        raise Invalid("Give the token a name of 1 to 80 characters.", field="name")
    token = new_token("nte_")
    record = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=token[:10],
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor or user,
        action="token.create",
        target_type="token",
        target_id=record.id,
        detail={"user_id": user.id, "name": record.name},
    )
    return NewApiToken(token=token, record=record)


def resolve_api_token(session: Session, *, token: str, now: datetime) -> User | None:
    found = repo.find_api_token(session, token_hash(token), now=now)
    if not found:
        return None
    record, user = found
    record.last_used_at = now
    return user


def revoke_api_token(session: Session, *, token_id: int, actor: User, now: datetime) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None or (actor.role != Role.admin and record.user_id != actor.id):
        raise NotFound("No such token.", field="token_id")
    record.revoked_at = record.revoked_at or now
    audit.record(session, actor=actor, action="token.revoke", target_type="token", target_id=record.id)
    return record


def create_email_token(session: Session, *, user: User, purpose: str, now: datetime, hours: int = 72) -> str:
    token = new_token()
    session.add(
        EmailToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def confirm_email(session: Session, *, token: str, now: datetime) -> User:
    record = repo.find_email_token(session, token_hash(token), "confirm_email", now=now)
    if record is None:
        raise Invalid("This confirmation link is not valid or has expired.", field="token")
    record.used_at = now
    user = repo.get_user(session, record.user_id)
    assert user is not None
    user.email_confirmed_at = user.email_confirmed_at or now
    return user
