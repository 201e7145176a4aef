"""Accounts, sign-in, sessions and API tokens. Never commits: the caller owns the transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as repo
from nte.auth.exceptions import (
    AccountExists,
    BadCredentials,
    EmailNotConfirmed,
    EmailTaken,
    InvitationNotAllowed,
    InvitationNotWaiting,
    LinkNotValid,
    WeakPassword,
)
from nte.auth.models import ApiToken, AuthSession, EmailToken, Invitation, Role, User  # noqa: F401 - User re-exported
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
from nte.notifications import service as outbox

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


def _set_password(
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
    _set_password(
        session,
        user=user,
        new=new,
        keep_session_id=keep_session_id,
        now=now,
        action="user.password_change",
        field="new_password",
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


# --- password reset ------------------------------------------------------------------------------
# The answer to "forgot your password?" never says whether an account uses the address: the page is
# the same, and the mail goes through the outbox (sent by the scheduler after the commit), so the
# request costs about the same either way.

RESET_PURPOSE = "reset_password"
RESET_HOURS = 1
RESET_MAIL = """Someone (we hope you) asked to reset the password of your NTE Safe account.

Choose a new password here (the link works once, for one hour):

{link}

If you did not ask for this, ignore this mail: your password stays as it is.
"""


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
        subject="Reset your NTE Safe password",
        body=RESET_MAIL.format(link=link),
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
    _set_password(
        session, user=user, new=new, keep_session_id=None, now=now, action="user.password_reset", field="password"
    )
    record.used_at = now
    repo.expire_email_tokens(session, user.id, RESET_PURPOSE, now=now)
    user.email_confirmed_at = user.email_confirmed_at or now
    return user


# --- invitations ---------------------------------------------------------------------------------

INVITATION_DAYS = 7
#: Who may invite whom. Volunteers also need a patrol profile: the patrols service invites them.
MAY_INVITE: dict[str, frozenset[str]] = {
    Role.admin.value: frozenset({Role.officer.value, Role.coordinator.value, Role.admin.value, Role.volunteer.value}),
    Role.coordinator.value: frozenset({Role.volunteer.value}),
}
INVITATION_MAIL = """{inviter} has invited you to NTE Safe, the council's night-time safety service, as {role}.

Choose your name and password here (the link works once, for {days} days):

{link}

If you were not expecting this, ignore this mail.
"""
ROLE_NAMES = {
    "admin": "an administrator",
    "officer": "a community safety officer",
    "coordinator": "a volunteer coordinator",
    "volunteer": "a volunteer",
    "venue_manager": "a venue manager",
}


@dataclass(frozen=True)
class NewInvitation:
    token: str
    record: Invitation
    user: User


def invite(
    session: Session,
    *,
    actor: User,
    email: str,
    role: Role | str,
    display_name: str,
    now: datetime,
    settings: Settings,
) -> NewInvitation:
    """Make the account (no password yet) and mail its owner a one-time link. An address that already
    has an account is refused, plainly (inviters are trusted staff); one invited before with the same
    role and never accepted gets a new link, and the old one stops working."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid("Choose a role.", field="role") from None
    if role.value not in MAY_INVITE.get(actor.role, frozenset()):
        raise InvitationNotAllowed()
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    if not display_name:
        raise Invalid("Enter the person's name.", field="display_name")
    if len(display_name) > 120:
        raise Invalid("The name must be at most 120 characters long.", field="display_name")
    user = repo.get_user_by_email(session, email)
    if user is None:
        user = create_user(session, email=email, display_name=display_name, role=role, password=None, actor=actor)
    elif user.password_hash is None and user.role == role.value and user.is_active:
        repo.expire_invitations(session, user.id, now=now)
        user.display_name = display_name
    else:
        raise AccountExists()
    token = new_token()
    record = Invitation(
        user_id=user.id,
        invited_by_id=actor.id,
        role=role.value,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(record)
    session.flush()
    link = f"{settings.base_url.rstrip('/')}/invite/{token}"
    outbox.enqueue(
        session,
        to=user.email,
        subject="You are invited to NTE Safe",
        body=INVITATION_MAIL.format(
            inviter=actor.display_name, role=ROLE_NAMES[role.value], days=INVITATION_DAYS, link=link
        ),
        now=now,
        secret=link,
    )
    audit.record(
        session,
        actor=actor,
        action="user.invite",
        target_type="user",
        target_id=user.id,
        detail={"role": role.value, "invitation_id": record.id},
    )
    return NewInvitation(token=token, record=record, user=user)


def open_invitation(session: Session, *, token: str, now: datetime) -> tuple[Invitation, User]:
    """The invitation a link stands for, while it can still be accepted; LinkNotValid otherwise."""
    record = repo.find_invitation(session, token_hash(token))
    if record is not None and record.accepted_at is not None:
        raise LinkNotValid(
            "This invitation was already accepted. Sign in with the password chosen then, "
            "or use 'Forgot your password?' on the sign-in page.",
            field="token",
        )
    if record is not None and record.withdrawn_at is not None:
        inviter = repo.get_user(session, record.invited_by_id) if record.invited_by_id else None
        who = f"{inviter.display_name} ({inviter.email})" if inviter else "the council's volunteer coordinator"
        raise LinkNotValid(
            f"This invitation link is no longer valid: it was withdrawn. If you think this is a mistake, ask {who}.",
            field="token",
        )
    if record is None or record.expires_at <= now:
        raise LinkNotValid(
            f"This invitation link is no longer valid: it has expired (invitations work for {INVITATION_DAYS} days) "
            "or was withdrawn. Ask whoever invited you (your volunteer coordinator, or the council's "
            "administrator for staff) to send a new one.",
            field="token",
        )
    user = repo.get_user(session, record.user_id)
    if user is None or not user.is_active or user.role != record.role:
        raise LinkNotValid("This invitation is no longer valid. Ask whoever invited you.", field="token")
    return record, user


def accept_invitation(session: Session, *, token: str, display_name: str, password: str, now: datetime) -> User:
    """The invitee chooses their name and password: the address is confirmed and the link used up."""
    record, user = open_invitation(session, token=token, now=now)
    display_name = (display_name or "").strip()
    if not display_name:
        raise Invalid("Enter your name.", field="display_name")
    if len(display_name) > 120:
        raise Invalid("Your name must be at most 120 characters long.", field="display_name")
    check_password_strength(password)  # before anything changes: the page commits what it shows
    user.display_name = display_name
    _set_password(
        session,
        user=user,
        new=password,
        keep_session_id=None,
        now=now,
        action="user.invitation_accept",
        field="password",
    )
    user.email_confirmed_at = user.email_confirmed_at or now
    record.accepted_at = now
    return user


class InvitationNotFound(NotFound):
    code = "invitation_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such invitation.", field="invitation_id")


def invitation_state(record: Invitation, *, now: datetime) -> str:
    """``accepted``, ``withdrawn``, ``expired`` or ``waiting`` (the only one that can be withdrawn)."""
    if record.accepted_at is not None:
        return "accepted"
    if record.withdrawn_at is not None:
        return "withdrawn"
    if record.expires_at <= now:
        return "expired"
    return "waiting"


def get_invitation(session: Session, invitation_id: int) -> Invitation:
    record = repo.get_invitation(session, invitation_id)
    if record is None:
        raise InvitationNotFound()
    return record


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


@dataclass(frozen=True)
class Withdrawn:
    invitation_id: int
    email: str
    account_removed: bool


def withdraw_invitation(
    session: Session,
    *,
    actor: User,
    invitation_id: int,
    now: datetime,
    remove_account: bool = True,
    roles: frozenset[str] | None = None,
) -> Withdrawn:
    """The link stops working at once. The account it made is removed too when it has nothing else
    (no password, no other invitation still waiting) and ``remove_account`` (the caller's domain
    may know of more that the account holds). ``roles`` narrows which invitations the actor may
    withdraw (a coordinator: volunteers'); others are 'no such invitation'."""
    record = get_invitation(session, invitation_id)
    allowed = roles if roles is not None else MAY_INVITE.get(actor.role, frozenset())
    if record.role not in allowed:
        raise InvitationNotFound()
    state = invitation_state(record, now=now)
    if state != "waiting":
        raise InvitationNotWaiting(state)
    record.withdrawn_at = now
    user = repo.get_user(session, record.user_id)
    assert user is not None  # the invitation is deleted with its account
    email = user.email
    audit.record(
        session,
        actor=actor,
        action="user.invitation_withdraw",
        target_type="user",
        target_id=user.id,
        detail={"invitation_id": record.id, "role": record.role},
        at=now,
    )
    removed = False
    if remove_account and not repo.has_waiting_invitation(session, user.id, now=now):
        removed = remove_unused_account(session, user=user, actor=actor, reason="invitation_withdrawn", now=now)
    return Withdrawn(invitation_id=invitation_id, email=email, account_removed=removed)


def remove_stale_invitees(
    session: Session, *, now: datetime, days: int, holds_anything: Callable[[Session, User], bool] | None = None
) -> int:
    """Accounts that never set a password, whose every invitation ended (expired or withdrawn) more
    than ``days`` ago, are deleted and audited. Accounts with a password, an accepted invitation,
    a waiting or recent invitation, no invitation at all (an application waiting for a
    coordinator), or anything ``holds_anything`` says they hold, are kept. Returns how many were
    removed; running it again removes nothing more."""
    removed = 0
    for user in repo.stale_invitees(session, before=now - timedelta(days=days)):
        # What other domains hang on the account (a volunteer's vetting records, added before the
        # volunteer accepted) is theirs to say: such an account is never removed unasked.
        if holds_anything is not None and holds_anything(session, user):
            continue
        if remove_unused_account(session, user=user, actor=None, reason="invitation_expired", now=now):
            removed += 1
    return removed
