"""Passwords and e-mailed links: changing a password, confirming an address, and the
"forgot your password?" reset. A new password ends every other way in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import messages
from nte.auth import repository as repo
from nte.auth.exceptions import LinkNotValid
from nte.auth.models import EmailToken, User
from nte.auth.security import hash_password, new_token, token_hash, verify_password
from nte.auth.service.accounts import check_password_strength, normalise_email
from nte.config import Settings
from nte.errors import Invalid
from nte.notifications import service as outbox


def set_password(
    session: Session, *, user: User, new: str, keep_session_id: int | None, now: datetime, action: str, field: str
) -> None:
    check_password_strength(new, field=field)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    # A new password ends every other way in: other sessions and every API token (a token made
    # with the old password must not outlive it; the owner makes new ones).
    repo.revoke_user_sessions(session, user.id, now=now, except_id=keep_session_id)
    revoked = repo.revoke_user_tokens(session, user.id, now=now)
    audit.record(
        session, actor=user, action=action, target_type="user", target_id=user.id, detail={"tokens_revoked": revoked}
    )


def change_password(
    session: Session, *, user: User, current: str, new: str, keep_session_id: int | None, now: datetime
) -> None:
    if not verify_password(user.password_hash, current):
        raise Invalid("The current password is not right.", field="current_password")
    set_password(
        session,
        user=user,
        new=new,
        keep_session_id=keep_session_id,
        now=now,
        action="user.password_change",
        field="new_password",
    )


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


# --- password reset ------------------------------------------------------------------------------
# The answer to "forgot your password?" never says whether an account uses the address: the page is
# the same, and the mail goes through the outbox (sent by the scheduler after the commit), so the
# request costs about the same either way.

RESET_PURPOSE = "reset_password"
RESET_HOURS = 1


def request_password_reset(
    session: Session, *, email: str, now: datetime, settings: Settings, spend: Callable[[str], None]
) -> None:
    """Mail a one-time link to the account that uses ``email``, if one does; the same outcome for
    the caller either way. ``spend(email)`` is the caller's rate limit (raises RateLimited): it is
    counted for every well-formed address, known or not."""
    email = normalise_email(email)
    spend(email)
    user = repo.get_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    repo.expire_email_tokens(session, user.id, RESET_PURPOSE, now=now)
    token = create_email_token(session, user=user, purpose=RESET_PURPOSE, now=now, hours=RESET_HOURS)
    link = f"{settings.base_url.rstrip('/')}/password-reset/{token}"
    outbox.enqueue(
        session,
        to=user.email,
        subject=messages.RESET_SUBJECT,
        body=messages.RESET_MAIL % {"link": link},
        now=now,
        secret=link,
    )


def _reset_record(session: Session, token: str, now: datetime) -> EmailToken:
    record = repo.find_email_token(session, token_hash(token), RESET_PURPOSE, now=now)
    if record is None:
        raise LinkNotValid(
            "This password reset link is not valid: it has expired (links work for one hour) or was already used. "
            "Ask for a new one.",
            field="token",
        )
    return record


def check_reset_link(session: Session, *, token: str, now: datetime) -> None:
    """Raise LinkNotValid unless the link can still set a password."""
    _reset_record(session, token, now)


def reset_password(session: Session, *, token: str, new: str, now: datetime) -> User:
    """Set a new password through a reset link: the link is used up, and every session and API token
    of the account ends. Opening the mailed link proves the address, so it counts as confirmed."""
    record = _reset_record(session, token, now)
    user = repo.get_user(session, record.user_id)
    if user is None or not user.is_active:
        raise LinkNotValid("This password reset link is not valid. Ask for a new one.", field="token")
    set_password(
        session, user=user, new=new, keep_session_id=None, now=now, action="user.password_reset", field="password"
    )
    record.used_at = now
    repo.expire_email_tokens(session, user.id, RESET_PURPOSE, now=now)
    user.email_confirmed_at = user.email_confirmed_at or now
    return user
