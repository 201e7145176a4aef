"""Accounts: e-mail addresses and passwords that can be used, making an account, signing in, and
removing an account nobody ever used. Never commits: the caller owns the transaction."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as repo
from nte.auth.exceptions import BadCredentials, EmailNotConfirmed, EmailTaken, WeakPassword
from nte.auth.models import Role, User
from nte.auth.security import MIN_PASSWORD_LENGTH, hash_password, verify_password
from nte.auth.throttle import SignInThrottle
from nte.errors import Invalid
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


def list_users(session: Session, *, role: str | None = None) -> list[User]:
    """Every account (of ``role``, if given), by e-mail address."""
    return repo.list_users(session, role=role)


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


def account_is_unused(session: Session, user: User) -> bool:
    """An account nobody ever used: no password set and no invitation accepted."""
    return user.password_hash is None and not repo.has_accepted_invitation(session, user.id)


def remove_unused_account(session: Session, *, user: User, actor: User | None, reason: str, now: datetime) -> bool:
    """Delete an account that never had a password (what hangs off it, such as a volunteer's profile,
    goes with it through the foreign keys). Returns False, changing nothing, for an account in use."""
    if not account_is_unused(session, user):
        return False
    user_id, role = user.id, user.role
    repo.delete_user(session, user)
    audit.record(
        session,
        actor=actor,
        action="user.remove_unused",
        target_type="user",
        target_id=user_id,
        detail={"role": role, "reason": reason},
        at=now,
    )
    return True
